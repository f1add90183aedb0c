"""Operation results (plain dicts shaped like the output shape) into Query XML.

The inverse of botocore's ``QueryParser``::

    <OpResponse xmlns="{namespace}">
      <OpResult>...members in model order...</OpResult>
      <ResponseMetadata><RequestId>{request id}</RequestId></ResponseMetadata>
    </OpResponse>

``OpResult`` is the output shape's ``resultWrapper`` (members sit directly under the response
element when there is none, and an operation without output gets only ResponseMetadata).
Lists are ``<Name><member>..</member></Name>`` (``member`` is the list member's locationName
if it has one) or repeated ``<Name>`` elements when flattened; maps are
``<Name><entry><key/><value/></entry></Name>``. Timestamps are ISO 8601 UTC with
milliseconds (``2019-07-15T23:28:33.359Z``; naive datetimes are taken as UTC), booleans
``true``/``false``, blobs base64. Every string of IAM's ``policyDocumentType`` is
percent-encoded (RFC 3986), which botocore's IAM handler reverses into a dict.

Members that are absent or None are omitted, keys the model does not know are ignored.
Text is escaped for XML, ``\\r`` as a character reference so that it survives parsing, and
characters XML 1.0 cannot carry become U+FFFD.

Each shape compiles once to a closure that appends strings to a list; the document is one
``"".join``.
"""

from __future__ import annotations

import base64
import datetime
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.protocol.models import Service, resolve_service
from iamd.protocol.shapes import ShapeCompiler

__all__ = ["CONTENT_TYPE", "Envelope", "escape_text", "serialize_result"]

CONTENT_TYPE = "text/xml"
POLICY_DOCUMENT_SHAPE = "policyDocumentType"

# (value, out) -> None; appends the value's XML content, without its own element.
Writer = Callable[[Any, list[str]], None]

_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_REPLACEMENTS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS.get(match.group(), "\ufffd")


def escape_text(text: str) -> str:
    """Escape element text; the common case (nothing to escape) returns ``text`` itself."""
    if _SPECIAL.search(text) is None:
        return text
    return _SPECIAL.sub(_replace, text)


@dataclass(frozen=True, slots=True)
class Envelope:
    """An operation's compiled response: fixed head and tail around the result's members."""

    head: str  # "<OpResponse xmlns=..><OpResult>"
    middle: str  # "</OpResult><ResponseMetadata><RequestId>"
    tail: str  # "</RequestId></ResponseMetadata></OpResponse>"
    write: Writer | None  # None: the operation has no output shape

    def render(self, result: Mapping[str, Any] | None, request_id: str) -> bytes:
        out = [self.head]
        if self.write is not None and result:
            self.write(result, out)
        out.append(self.middle)
        out.append(escape_text(request_id))
        out.append(self.tail)
        return "".join(out).encode("utf-8")


def serialize_result(
    service: Service | str, action: str, result: Mapping[str, Any] | None, request_id: str
) -> bytes:
    """The XML body of a successful response to ``action``."""
    operation = resolve_service(service).operation(action)
    if operation is None:
        raise ValueError(f"unknown operation `{action}`")
    return operation.envelope.render(result, request_id)


def compile_envelope(action: str, namespace: str, shape: Any) -> Envelope:
    """Build the fixed parts of ``action``'s response and the writer for its result."""
    root = f"{action}Response"
    head = f'<{root} xmlns="{namespace}">'
    tail = f"</RequestId></ResponseMetadata></{root}>"
    if shape is None:
        return Envelope(head, "<ResponseMetadata><RequestId>", tail, None)
    wrapper: str | None = shape.serialization.get("resultWrapper")
    write = _Compiler().build(shape)
    if wrapper is None:
        return Envelope(head, "<ResponseMetadata><RequestId>", tail, write)
    return Envelope(f"{head}<{wrapper}>", f"</{wrapper}><ResponseMetadata><RequestId>", tail, write)


class _Compiler(ShapeCompiler[Writer]):
    def _scalar(self, shape: Any) -> Writer:
        return _scalar(shape)

    def _member(self, name: str, member: Any) -> Writer:
        """A member's writer, including its own element(s)."""
        inner = self.build(member)
        tag: str = member.serialization.get("name", name)
        flattened = bool(member.serialization.get("flattened"))
        if flattened and member.type_name == "list":
            element_tag: str = member.member.serialization.get("name", tag)
            element = self.build(member.member)
            return _repeated(f"<{element_tag}>", f"</{element_tag}>", element)
        if flattened and member.type_name == "map":
            entry = self._entry_writer(member)
            return _repeated(f"<{tag}>", f"</{tag}>", entry)
        return _tagged(f"<{tag}>", f"</{tag}>", inner)

    def _structure(self, shape: Any) -> Writer:
        members = tuple(
            (name, self._member(name, member)) for name, member in shape.members.items()
        )

        def write(value: Any, out: list[str]) -> None:
            get = value.get
            for name, member_writer in members:
                member_value = get(name)
                if member_value is not None:
                    member_writer(member_value, out)

        return write

    def _list(self, shape: Any) -> Writer:
        tag: str = shape.member.serialization.get("name", "member")
        element = self.build(shape.member)
        return _repeated(f"<{tag}>", f"</{tag}>", element)

    def _map(self, shape: Any) -> Writer:
        return _repeated("<entry>", "</entry>", self._entry_writer(shape))

    def _entry_writer(self, shape: Any) -> Writer:
        """Writes one (key, value) item of a map as its key and value elements."""
        key_tag: str = shape.key.serialization.get("name", "key")
        value_tag: str = shape.value.serialization.get("name", "value")
        write_key = _tagged(f"<{key_tag}>", f"</{key_tag}>", self.build(shape.key))
        write_value = _tagged(f"<{value_tag}>", f"</{value_tag}>", self.build(shape.value))

        def write(item: tuple[Any, Any], out: list[str]) -> None:
            write_key(item[0], out)
            write_value(item[1], out)

        return write


def _tagged(open_tag: str, close_tag: str, inner: Writer) -> Writer:
    def write(value: Any, out: list[str]) -> None:
        out.append(open_tag)
        inner(value, out)
        out.append(close_tag)

    return write


def _repeated(open_tag: str, close_tag: str, element: Writer) -> Writer:
    """Each item of a list (or each (key, value) of a map) in its own element."""

    def write(value: Any, out: list[str]) -> None:
        items = value.items() if isinstance(value, Mapping) else value
        for item in items:
            out.append(open_tag)
            element(item, out)
            out.append(close_tag)

    return write


def _scalar(shape: Any) -> Writer:
    kind = shape.type_name
    if kind == "string" and shape.name == POLICY_DOCUMENT_SHAPE:
        return _write_policy_document
    if kind == "timestamp":
        if shape.serialization.get("timestampFormat", "iso8601").lower() == "unixtimestamp":
            return _write_epoch
        return _write_timestamp
    if kind not in _SCALAR_WRITERS:
        raise ValueError(f"unsupported shape type `{kind}` in shape {shape.name}")
    return _SCALAR_WRITERS[kind]


def _write_string(value: Any, out: list[str]) -> None:
    out.append(escape_text(value if isinstance(value, str) else str(value)))


def _write_policy_document(value: Any, out: list[str]) -> None:
    # Only unreserved characters and %XX come out, none of which need XML escaping.
    out.append(percent_encode(value if isinstance(value, str) else str(value)))


# Byte -> itself if unreserved (RFC 3986), else %XX: quote(value, safe="") by table lookup.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_PERCENT = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))


@functools.lru_cache(maxsize=512)
def percent_encode(value: str) -> str:
    """``urllib.parse.quote(value, safe="")``, twice as fast and cached: the same few policy
    documents are encoded again and again (every role of a ListRoles page, every GetRole)."""
    return "".join(map(_PERCENT.__getitem__, value.encode("utf-8")))


def _write_boolean(value: Any, out: list[str]) -> None:
    out.append("true" if value else "false")


def _write_integer(value: Any, out: list[str]) -> None:
    out.append(str(int(value)))


def _write_float(value: Any, out: list[str]) -> None:
    number = float(value)
    if math.isnan(number):
        out.append("NaN")
    elif math.isinf(number):
        out.append("Infinity" if number > 0 else "-Infinity")
    else:
        out.append(repr(number))


def _utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC)


def _write_timestamp(value: Any, out: list[str]) -> None:
    moment = _utc(value)
    out.append(
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}."
        f"{moment.microsecond // 1000:03d}Z"
    )


def _write_epoch(value: Any, out: list[str]) -> None:
    moment = _utc(value).replace(tzinfo=datetime.UTC)
    out.append(repr(round(moment.timestamp(), 3)))


def _write_blob(value: Any, out: list[str]) -> None:
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    out.append(base64.b64encode(data).decode("ascii"))


_SCALAR_WRITERS: dict[str, Writer] = {
    "string": _write_string,
    "boolean": _write_boolean,
    "integer": _write_integer,
    "long": _write_integer,
    "float": _write_float,
    "double": _write_float,
    "blob": _write_blob,
}
