"""Strict form decoding: what AWS clients send decodes, anything else is MalformedQueryString."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

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
