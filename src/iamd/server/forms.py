"""The request body and query string as (name, value) pairs, decoded strictly.

AWS Query requests are ``application/x-www-form-urlencoded``: ``&``-separated
``name=value`` pairs, ``+`` for a space, ``%XX`` escapes, UTF-8 underneath. A body over
the size limit, a ``%`` not followed by two hex digits, or bytes that are not UTF-8 get
the AWS error a client expects (never a 500), before anything else happens.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

from iamd.errors import MalformedQueryString
from iamd.server.errors import RequestEntityTooLarge

MAX_BODY_BYTES = 1 << 20  # 1 MiB: far above any IAM or STS request (a policy is 6 KiB)

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"The request body is larger than the limit of {limit} bytes.")


async def read_body(content_length: str | None, receive: Receive, limit: int) -> bytes:
    """The whole body, or RequestEntityTooLarge as soon as it is known to exceed ``limit``."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            break
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def decode_pairs(raw: bytes, where: str = "body") -> list[tuple[str, str]]:
    """Split and decode a form-encoded string; MalformedQueryString if it is not one."""
    pairs: list[tuple[str, str]] = []
    if not raw:
        return pairs
    for piece in raw.split(b"&"):
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        pairs.append((_decode(name, where), _decode(value, where)))
    return pairs


def _decode(part: bytes, where: str) -> str:
    if b"%" in part:
        if _BAD_ESCAPE.search(part):
            raise MalformedQueryString(
                f"The request {where} contains a '%' that is not followed by two hex digits."
            )
        part = unquote_to_bytes(part.replace(b"+", b" "))
    elif b"+" in part:
        part = part.replace(b"+", b" ")
    try:
        return part.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedQueryString(f"The request {where} is not valid UTF-8.") from None
