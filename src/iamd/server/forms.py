"""The request body and query string as (name, value) pairs, decoded strictly.

AWS Query requests are ``application/x-www-form-urlencoded``: ``&``-separated
``name=value`` pairs, ``+`` for a space, ``%XX`` escapes, UTF-8 underneath. A body over
the size limit, a ``%`` not followed by two hex digits, or bytes that are not UTF-8 get
the AWS error a client expects (never a 500), before anything else happens.
"""

from __future__ import annotations

import re
from binascii import a2b_qp
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
    if not raw:
        return []
    try:
        return _split_escaped(raw, where) if b"%" in raw else _split_plain(raw)
    except UnicodeDecodeError:
        raise MalformedQueryString(f"The request {where} is not valid UTF-8.") from None


def _split_plain(raw: bytes) -> list[tuple[str, str]]:
    """Without escapes, decoding first and splitting after is the same (UTF-8 never
    encodes '&' or '=' inside another character)."""
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    pairs: list[tuple[str, str]] = []
    for piece in raw.decode("utf-8").split("&"):
        if piece:
            name, _, value = piece.partition("=")
            pairs.append((name, value))
    return pairs


def _split_escaped(raw: bytes, where: str) -> list[tuple[str, str]]:
    if not any(byte in raw for byte in _NOT_WHOLE):
        translated = raw.translate(_TO_QP_WHOLE)
        decoded = a2b_qp(translated)
        # Without CR or LF, only a well-formed escape makes the decoder drop two bytes
        # (a '%' it cannot decode drops none or one), so this proves all are well-formed.
        if len(translated) - len(decoded) == 2 * raw.count(b"%"):
            return _split_decoded(decoded)
    if _BAD_ESCAPE.search(raw) is not None:
        # Report whichever fault comes first, piece by piece.
        for piece in raw.split(b"&"):
            name, _, value = piece.partition(b"=")
            _decode(name, where)
            _decode(value, where)
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    for piece in raw.split(b"&"):
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        if b"%" in name or b"+" in name:
            name = a2b_qp(name.translate(_TO_QP))
        if b"%" in value or b"+" in value:
            value = (
                a2b_qp(value.translate(_TO_QP))
                if b"=" not in value
                else unquote_to_bytes(value.replace(b"+", b" "))
            )
        append((name.decode("utf-8"), value.decode("utf-8")))
    return pairs


def _split_decoded(decoded: bytes) -> list[tuple[str, str]]:
    """Split a body decoded whole, in which NUL stands for every '=' of the form.

    No NUL and no escape of NUL or '&' was in the body (``_NOT_WHOLE``), so every '&' is a
    separator and every NUL a literal '='. UTF-8 is valid as a whole exactly when it is
    valid piece by piece ('&' and '=' are ASCII).
    """
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    for piece in decoded.decode("utf-8").split("&"):
        if piece:
            name, _, value = piece.partition("\x00")
            append((name, value.replace("\x00", "=") if "\x00" in value else value))
    return pairs


# Bodies the whole-body decoder cannot take (they go piece by piece): NUL is its stand-in
# for '=', escaped NUL and '&' would look like separators, and after '=' the
# quoted-printable decoder treats CR and LF as a soft line break.
_NOT_WHOLE = (b"\x00", b"%00", b"%26", b"\r", b"\n")


# binascii's quoted-printable decoder turns '=XX' into byte XX, in C, and copies every
# other byte as it is (outside of '=' followed by CR or LF, a soft line break). So with
# '%' -> '=' and '+' -> ' ' it decodes a form, provided every '%' is followed by two hex
# digits and no literal '=' is left in what it reads: the piece-by-piece path checks the
# escapes first and leaves values holding '=' to unquote_to_bytes; the whole-body path
# turns '=' into NUL and proves the escapes well-formed by the length it loses.
_TO_QP = bytes.maketrans(b"%+", b"= ")
_TO_QP_WHOLE = bytes.maketrans(b"%+=", b"= \x00")


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
