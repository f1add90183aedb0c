"""Any text survives the wire in both directions (hypothesis), against botocore."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import botocore.parsers
import botocore.serialize
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.protocol import parse_request, serialize_result
from iamd.protocol.xml_serializer import escape_text

from .synthetic_model import SERVICE

# Characters XML 1.0 can carry (surrogates cannot be encoded at all).
_XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
texts = st.text(st.characters(exclude_categories=("Cs",)))
names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1).filter(
    lambda name: name.strip() == name
)


def _operation_model(name: str) -> Any:
    operation = SERVICE.operation(name)
    assert operation is not None
    return operation.botocore_model


@settings(max_examples=300)
@given(texts, st.lists(texts, max_size=3), st.dictionaries(names, st.integers(-5, 5), max_size=3))
def test_form_values_round_trip(text: str, items: list[str], mapping: dict[str, int]) -> None:
    params = {"Renamed": text, "NamedList": items, "FlatMap": mapping}
    serializer = botocore.serialize.create_serializer("query")
    body = urlencode(serializer.serialize_to_request(params, _operation_model("Op"))["body"])
    parsed = parse_request(SERVICE, parse_qsl(body, keep_blank_values=True)).params
    # botocore sends an empty list as `NamedList=` but nothing at all for an empty map.
    expected = {key: value for key, value in params.items() if key != "FlatMap" or value}
    assert parsed == expected


@settings(max_examples=300)
@given(texts)
def test_response_text_round_trips_or_is_replaced(text: str) -> None:
    body = serialize_result(SERVICE, "Op", {"Renamed": text, "FlatList": [text]}, "id")
    parsed = botocore.parsers.create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, _operation_model("Op").output_shape
    )
    expected = (
        text
        if _XML_CHAR.fullmatch(text)
        else re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "\ufffd", text)
    )
    assert parsed.get("Renamed", "") == expected
    assert parsed["FlatList"] == [expected]


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@settings(max_examples=500)
@given(st.text(st.characters()) | st.text(st.sampled_from("a&<>\r\n\t\x00\x7f\u00a0\ufffe\ud800")))
def test_escape_text_matches_the_plain_definition(text: str) -> None:
    """The isprintable() fast path never skips anything the full definition escapes."""
    expected = "".join(_ESCAPES.get(ch, "\ufffd" if _NOT_XML.match(ch) else ch) for ch in text)
    assert escape_text(text) == expected
