"""Strict form decoding: what AWS clients send decodes, anything else is MalformedQueryString."""

from __future__ import annotations

import asyncio
import re
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.errors import MalformedQueryString
from iamd.server.errors import RequestEntityTooLarge
from iamd.server.forms import decode_pairs, read_body


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        (b"", []),
        (b"Action=ListRoles", [("Action", "ListRoles")]),
        (b"a=1&&b=2&", [("a", "1"), ("b", "2")]),
        (b"flag", [("flag", "")]),
        (b"a=x+y%20z", [("a", "x y z")]),
        (b"a=%2B%26%3D", [("a", "+&=")]),
        (b"n%C3%A4me=v%C3%A4lue", [("näme", "välue")]),
        ("a=ü".encode(), [("a", "ü")]),
        (b"a=1=2", [("a", "1=2")]),
        (b"Tags.member.1.Key=k", [("Tags.member.1.Key", "k")]),
    ],
)
def test_decodes(raw: bytes, pairs: list[tuple[str, str]]) -> None:
    assert decode_pairs(raw) == pairs


@pytest.mark.parametrize("raw", [b"a=%", b"a=%4", b"a=%G1", b"%zz=1", b"a=%FF", b"a=\xc3", b"\xff"])
def test_refuses(raw: bytes) -> None:
    with pytest.raises(MalformedQueryString):
        decode_pairs(raw)


def _receive(chunks: list[bytes]) -> Any:
    messages: list[MutableMapping[str, Any]] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


def test_read_body_joins_chunks() -> None:
    assert asyncio.run(read_body(None, _receive([b"ab", b"", b"cd"]), 10)) == b"abcd"


def test_read_body_stops_at_the_limit() -> None:
    with pytest.raises(RequestEntityTooLarge):
        asyncio.run(read_body(None, _receive([b"abcdef", b"ghijkl"]), 10))
    with pytest.raises(RequestEntityTooLarge):
        asyncio.run(read_body("11", _receive([]), 10))


def test_read_body_on_disconnect() -> None:
    assert asyncio.run(read_body("5", _receive([]), 10)) == b""


def _reference(raw: bytes, where: str) -> list[tuple[str, str]] | str:
    """The plain definition, piece by piece: the pairs, or the message of the first fault."""
    pairs = []
    for piece in raw.split(b"&"):
        if not piece:
            continue
        parts = []
        for part in piece.partition(b"=")[::2]:
            if re.search(rb"%(?![0-9A-Fa-f]{2})", part):
                return f"The request {where} contains a '%' that is not followed by two hex digits."
            try:
                parts.append(unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8"))
            except UnicodeDecodeError:
                return f"The request {where} is not valid UTF-8."
        pairs.append((parts[0], parts[1]))
    return pairs


_PIECES = [b"%", b"+", b"=", b"&", b"a", b"0", b"f", b"F", b"g", b"\r", b"\n", b"\xc3", b"\xa4"]
_PIECES += [b"\xff", b"%2B", b"%3D", b"%26", b"%0a", b"%C3%A4", b"%c3", b"%e2%82%ac", b"%25"]
_PIECES += [b"\x00", b"%00", b"%3d"]


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map(b"".join), st.booleans())
def test_decode_pairs_matches_the_plain_definition(raw: bytes, in_query: bool) -> None:
    """The fast paths (whole-body decode without '%', quoted-printable in C for escapes)
    give the same pairs, and the same first error, as decoding each piece by itself."""
    where = "query string" if in_query else "body"
    try:
        decoded: list[tuple[str, str]] | str = decode_pairs(raw, where)
    except MalformedQueryString as error:
        decoded = error.message
    assert decoded == _reference(raw, where)
