"""Values for any botocore shape that fill every member and satisfy the model's constraints.

Strings come from a short list of candidates (the first that fits the shape's pattern,
length and enum wins), chosen so that XML specials, non-ASCII letters, CR/LF and tabs reach
the wire wherever the model allows them. Lists have two elements and maps two entries;
unions get their first member only. ``variant`` makes sibling values differ (map keys must).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from iamd.protocol.patterns import compile_java_pattern

POLICY_DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:Get*", "iam:PassRole"],
                "Resource": "arn:aws:s3:::bucket/a b&c<d>%e+f?g",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "Ünïcødé"}},
            }
        ],
    }
)

_CANDIDATES = (
    "Ünïcødé & <tag> 'q' \"d\"\r\nline\ttab",
    "arn:aws:iam::123456789012:role/path/Name-1",
    "Name_1+=,.@-",
    "/path/",
    "/",
    "v1",
    "o-abcdefghij",
    "o-abcdefghij/r-abcd",
    "p-abcdefgh",
    "123456789012",
    "ABCDEF123456",
    "https://example.com/path",
    "sub-domain",
    "a",
    "1",
    # IAM Roles Anywhere: ids are UUIDs, identifiers an id or an ARN
    "0e6b3c0e-1a2b-4c3d-8e4f-0123456789ab",
    *(
        f"arn:aws:rolesanywhere:us-east-1:123456789012:{kind}/0e6b3c0e-1a2b-4c3d-8e4f-0123456789ab"
        for kind in (
            "trust-anchor",
            "profile",
            "crl",
            "subject",
            "alias/trust-anchor",
            "alias/profile",
            "alias/crl",
        )
    ),
)

TIMESTAMP = datetime.datetime(2019, 7, 15, 23, 28, 33, 359000, tzinfo=datetime.UTC)


def _fits(shape: Any, text: str) -> bool:
    meta = shape.metadata
    if "enum" in meta and text not in meta["enum"]:
        return False
    if len(text) < meta.get("min", 0) or len(text) > meta.get("max", 10**9):
        return False
    pattern = meta.get("pattern")
    return pattern is None or compile_java_pattern(pattern).fullmatch(text) is not None


def string_value(shape: Any, variant: int = 0) -> str:
    meta = shape.metadata
    if "enum" in meta:
        return str(meta["enum"][variant % len(meta["enum"])])
    if shape.name == "policyDocumentType":
        return POLICY_DOCUMENT
    suffixes = (str(variant), "") if variant else ("",)
    for suffix in suffixes:
        for candidate in _CANDIDATES:
            texts = [candidate + suffix]
            low = meta.get("min", 0)
            if len(texts[0]) < low:
                texts += [texts[0] + fill * (low - len(texts[0])) for fill in ("a", "1", "/")]
                texts.append(texts[0] * (low // max(len(texts[0]), 1) + 1))
            for text in texts:
                if _fits(shape, text):
                    return text
    raise AssertionError(f"no candidate string fits shape {shape.name} {dict(meta)}")


def _number(shape: Any, default: int) -> int:
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    value = default
    if low is not None and value < low:
        value = int(low)
    if high is not None and value > high:
        value = int(high)
    return value


def value_for(shape: Any, variant: int = 0, depth: int = 0) -> Any:
    if depth > 12:
        raise AssertionError(f"shape {shape.name} nests too deeply for the generator")
    kind = shape.type_name
    if kind == "structure":
        members = list(shape.members.items())
        if shape.metadata.get("union"):
            members = members[:1]
        return {name: value_for(member, variant, depth + 1) for name, member in members}
    if kind == "list":
        count = min(2, shape.metadata.get("max", 2))
        return [value_for(shape.member, variant + i, depth + 1) for i in range(count)]
    if kind == "map":
        count = min(2, shape.metadata.get("max", 2))
        return {
            value_for(shape.key, variant + i, depth + 1): value_for(shape.value, i, depth + 1)
            for i in range(count)
        }
    if kind == "string":
        return string_value(shape, variant)
    if kind in ("integer", "long"):
        return _number(shape, 7 + variant)
    if kind in ("float", "double"):
        return float(_number(shape, 3 + variant)) + 0.5
    if kind == "boolean":
        return variant % 2 == 0
    if kind == "timestamp":
        return TIMESTAMP + datetime.timedelta(seconds=variant)
    if kind == "blob":
        return b"\x00\x01binary\xff" + bytes([variant])
    raise AssertionError(f"unhandled shape type {kind}")
