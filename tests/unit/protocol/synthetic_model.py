"""A small synthetic query model with the wire traits IAM and STS do not use today:
flattened lists and maps, locationName on members and list/map members, recursion, and
every scalar type (timestamps in both formats, blobs, doubles, booleans, longs)."""

from __future__ import annotations

import datetime
from typing import Any

from iamd.protocol import Service

_STRUCTURE = {
    "type": "structure",
    "members": {
        "FlatList": {"shape": "FlatNamedList"},
        "FlatPlain": {"shape": "FlatPlainList"},
        "NamedList": {"shape": "NamedMemberList"},
        "Renamed": {"shape": "Text", "locationName": "OtherName"},
        "FlatMap": {"shape": "FlatNamedMap"},
        "Map": {"shape": "PlainMap"},
        "When": {"shape": "When"},
        "Epoch": {"shape": "Epoch"},
        "Data": {"shape": "Data"},
        "Ratio": {"shape": "Ratio"},
        "Flag": {"shape": "Flag"},
        "Count": {"shape": "Count"},
        "Tree": {"shape": "Node"},
        "Empty": {"shape": "PlainList"},
    },
}

DEFINITION: dict[str, Any] = {
    "version": "2.0",
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "example",
        "protocol": "query",
        "serviceId": "Example",
        "signatureVersion": "v4",
        "xmlNamespace": "https://example.com/doc/2020-01-01/",
    },
    "operations": {
        "Op": {
            "name": "Op",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "OpRequest"},
            "output": {"shape": "OpResponse", "resultWrapper": "OpResult"},
        },
        "Bare": {
            "name": "Bare",
            "http": {"method": "POST", "requestUri": "/"},
            "output": {"shape": "OpResponse"},
        },
    },
    "shapes": {
        "OpRequest": _STRUCTURE,
        "OpResponse": _STRUCTURE,
        "Text": {"type": "string"},
        "FlatNamedList": {
            "type": "list",
            "member": {"shape": "Text", "locationName": "Item"},
            "flattened": True,
        },
        "FlatPlainList": {"type": "list", "member": {"shape": "Text"}, "flattened": True},
        "NamedMemberList": {"type": "list", "member": {"shape": "Text", "locationName": "Thing"}},
        "PlainList": {"type": "list", "member": {"shape": "Text"}},
        "FlatNamedMap": {
            "type": "map",
            "key": {"shape": "Text", "locationName": "K"},
            "value": {"shape": "Count", "locationName": "V"},
            "flattened": True,
        },
        "PlainMap": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Node"}},
        "When": {"type": "timestamp"},
        "Epoch": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
        "Data": {"type": "blob"},
        "Ratio": {"type": "double"},
        "Flag": {"type": "boolean"},
        "Count": {"type": "long"},
        "Node": {
            "type": "structure",
            "members": {"Name": {"shape": "Text"}, "Children": {"shape": "NodeList"}},
        },
        "NodeList": {"type": "list", "member": {"shape": "Node"}},
    },
}

SERVICE = Service.from_definition(DEFINITION, "example")

VALUE: dict[str, Any] = {
    "FlatList": ["a", "b & <c>"],
    "FlatPlain": ["x"],
    "NamedList": ["p", "q"],
    "Renamed": "renamed",
    "FlatMap": {"k1": 1, "k2": 2},
    "Map": {"m": {"Name": "leaf"}},
    "When": datetime.datetime(2021, 2, 3, 4, 5, 6, 789000, tzinfo=datetime.UTC),
    "Epoch": datetime.datetime(2021, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
    "Data": b"\x00bytes\xff",
    "Ratio": 2.5,
    "Flag": False,
    "Count": 2**40,
    "Tree": {"Name": "root", "Children": [{"Name": "kid", "Children": [{"Name": "grandkid"}]}]},
    "Empty": [],
}
