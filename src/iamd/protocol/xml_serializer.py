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

Each shape compiles once to a writer that appends strings to a list; the document is one
``"".join``. Structures, the hot path (every role of a ListRoles page), get a function
generated from the model with their scalar members unrolled inline; lists, maps and the
other scalars are closures. Timestamps are formatted once per instant (a bounded cache).
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


_search_special = _SPECIAL.search


# Before asking _SPECIAL, writers try ``text.isprintable() and '&' not in text and ...``:
# a printable string has no control character, surrogate or U+FFFE/U+FFFF (all of them
# unprintable), so only '&', '<' and '>' are left to rule out. Four scans in C, about
# twice as fast as the regular expression on the identifiers and ARNs most text is.


def escape_text(text: str) -> str:
    """Escape element text; the common case (nothing to escape) returns ``text`` itself."""
    if (
        text.isprintable() and "&" not in text and "<" not in text and ">" not in text
    ) or _search_special(text) is None:
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


def compile_envelope(
    action: str, namespace: str, shape: Any, memo: dict[tuple[str, str], Any] | None = None
) -> Envelope:
    """Build the fixed parts of ``action``'s response and the writer for its result;
    ``memo`` shares compiled shapes between the operations of one service."""
    root = f"{action}Response"
    head = f'<{root} xmlns="{namespace}">'
    tail = f"</RequestId></ResponseMetadata></{root}>"
    if shape is None:
        return Envelope(head, "<ResponseMetadata><RequestId>", tail, None)
    wrapper: str | None = shape.serialization.get("resultWrapper")
    write = _Compiler(memo).build(shape)
    if wrapper is None:
        return Envelope(head, "<ResponseMetadata><RequestId>", tail, write)
    return Envelope(f"{head}<{wrapper}>", f"</{wrapper}><ResponseMetadata><RequestId>", tail, write)


class _Compiler(ShapeCompiler[Writer]):
    """Each writer appends to ``out`` directly. An element and its text are fused into one
    writer (generated code inside a structure, else a closure per scalar kind), so a string
    member costs no call at all in a structure and one elsewhere."""

    def _scalar(self, shape: Any) -> Writer:
        return _scalar(shape)

    def _member(self, name: str, member: Any) -> Writer:
        """A member's writer, including its own element(s)."""
        tag: str = member.serialization.get("name", name)
        flattened = bool(member.serialization.get("flattened"))
        if flattened and member.type_name == "list":
            element_tag: str = member.member.serialization.get("name", tag)
            return self._items(f"<{element_tag}>", f"</{element_tag}>", member.member)
        if flattened and member.type_name == "map":
            return _repeated(f"<{tag}>", f"</{tag}>", self._entry_writer(member))
        return self._tagged(f"<{tag}>", f"</{tag}>", member)

    def _tagged(self, open_tag: str, close_tag: str, shape: Any) -> Writer:
        """``shape``'s value inside one element, fused with the text writer when it is a
        string, policy document or timestamp."""
        kind = shape.type_name
        if kind == "string":
            if shape.name == POLICY_DOCUMENT_SHAPE:
                return _tagged_policy_document(open_tag, close_tag)
            return _tagged_string(open_tag, close_tag)
        if kind == "timestamp" and not _is_epoch(shape):
            return _tagged_timestamp(open_tag, close_tag)
        if kind == "boolean":
            return _tagged_boolean(open_tag, close_tag)
        return _tagged(open_tag, close_tag, self.build(shape))

    def _structure(self, shape: Any) -> Writer:
        """One generated function per structure shape, members unrolled in model order.

        A structure is the hot loop of every response (each role of a ListRoles page), so
        its writer is Python source built here from the model: string, policy document,
        timestamp, boolean and integer members are written inline, with their tags as
        constants; any other member calls its own compiled writer. Only ``repr`` of model
        names reaches the source.
        """
        namespace: dict[str, Any] = dict(_GENERATED_GLOBALS)
        lines = ["def write(value, out):", "    append = out.append", "    get = value.get"]
        for index, (name, member) in enumerate(shape.members.items()):
            lines.append(f"    v = get({name!r})")
            lines.append("    if v is not None:")
            statements = self._inline_member(name, member)
            if statements is None:
                namespace[f"w{index}"] = self._member(name, member)
                statements = [f"w{index}(v, out)"]
            lines.extend(f"        {statement}" for statement in statements)
        source = "\n".join(lines) + "\n"
        exec(compile(source, f"<xml writer for {shape.name}>", "exec"), namespace)
        write: Writer = namespace["write"]
        return write

    def _inline_member(self, name: str, member: Any) -> list[str] | None:
        """Statements writing a member's present value ``v`` with its element, or None
        when the member needs its own writer."""
        tag: str = member.serialization.get("name", name)
        kind = member.type_name
        open_tag, close_tag = repr(f"<{tag}>"), repr(f"</{tag}>")
        if kind == "string" and member.name == POLICY_DOCUMENT_SHAPE:
            text = "_percent_encode(v if type(v) is str else _as_str(v))"
        elif kind == "string":
            return [
                "if type(v) is not str:",
                "    v = _as_str(v)",
                "if not (v.isprintable() and '&' not in v and '<' not in v and '>' not in v)"
                " and _search_special(v) is not None:",
                "    v = _escape_special(_replace, v)",
                f"append({open_tag}); append(v); append({close_tag})",
            ]
        elif kind == "timestamp" and not _is_epoch(member):
            text = "_TIMESTAMPS.get(v) or _format_timestamp(v)"
        elif kind == "boolean":
            true, false = repr(f"<{tag}>true</{tag}>"), repr(f"<{tag}>false</{tag}>")
            return [f"append({true} if v else {false})"]
        elif kind in ("integer", "long"):
            text = "str(int(v))"
        else:
            return None
        return [f"append({open_tag}); append({text}); append({close_tag})"]

    def _list(self, shape: Any) -> Writer:
        tag: str = shape.member.serialization.get("name", "member")
        return self._items(f"<{tag}>", f"</{tag}>", shape.member)

    def _items(self, open_tag: str, close_tag: str, element_shape: Any) -> Writer:
        """Each item of a list in its own element."""
        if element_shape.type_name == "string" and element_shape.name != POLICY_DOCUMENT_SHAPE:
            return _repeated_strings(open_tag, close_tag)
        return _repeated(open_tag, close_tag, self.build(element_shape))

    def _map(self, shape: Any) -> Writer:
        return _repeated("<entry>", "</entry>", self._entry_writer(shape))

    def _entry_writer(self, shape: Any) -> Writer:
        """Writes one (key, value) item of a map as its key and value elements."""
        key_tag: str = shape.key.serialization.get("name", "key")
        value_tag: str = shape.value.serialization.get("name", "value")
        write_key = self._tagged(f"<{key_tag}>", f"</{key_tag}>", shape.key)
        write_value = self._tagged(f"<{value_tag}>", f"</{value_tag}>", shape.value)

        def write(item: tuple[Any, Any], out: list[str]) -> None:
            write_key(item[0], out)
            write_value(item[1], out)

        return write


# What generated structure writers may refer to, besides their members' writers.
_GENERATED_GLOBALS: dict[str, Any] = {}


def _tagged(open_tag: str, close_tag: str, inner: Writer) -> Writer:
    def write(value: Any, out: list[str]) -> None:
        out.append(open_tag)
        inner(value, out)
        out.append(close_tag)

    return write


def _repeated(open_tag: str, close_tag: str, element: Writer) -> Writer:
    """Each item of a list (or each (key, value) of a map) in its own element."""

    def write(value: Any, out: list[str]) -> None:
        append = out.append
        for item in value.items() if isinstance(value, Mapping) else value:
            append(open_tag)
            element(item, out)
            append(close_tag)

    return write


def _repeated_strings(open_tag: str, close_tag: str) -> Writer:
    def write(value: Any, out: list[str]) -> None:
        append = out.append
        for item in value.items() if isinstance(value, Mapping) else value:
            text = item if type(item) is str else _as_str(item)
            if (
                not (text.isprintable() and "&" not in text and "<" not in text and ">" not in text)
                and _search_special(text) is not None
            ):
                text = _SPECIAL.sub(_replace, text)
            append(open_tag)
            append(text)
            append(close_tag)

    return write


def _tagged_string(open_tag: str, close_tag: str) -> Writer:
    def write(value: Any, out: list[str]) -> None:
        text = value if type(value) is str else _as_str(value)
        if (
            not (text.isprintable() and "&" not in text and "<" not in text and ">" not in text)
            and _search_special(text) is not None
        ):
            text = _SPECIAL.sub(_replace, text)
        out.append(open_tag)
        out.append(text)
        out.append(close_tag)

    return write


def _tagged_policy_document(open_tag: str, close_tag: str) -> Writer:
    def write(value: Any, out: list[str]) -> None:
        out.append(open_tag)
        out.append(percent_encode(value if type(value) is str else _as_str(value)))
        out.append(close_tag)

    return write


def _tagged_timestamp(open_tag: str, close_tag: str) -> Writer:
    def write(value: Any, out: list[str]) -> None:
        out.append(open_tag)
        out.append(_TIMESTAMPS.get(value) or format_timestamp(value))
        out.append(close_tag)

    return write


def _tagged_boolean(open_tag: str, close_tag: str) -> Writer:
    true, false = f"{open_tag}true{close_tag}", f"{open_tag}false{close_tag}"

    def write(value: Any, out: list[str]) -> None:
        out.append(true if value else false)

    return write


def _as_str(value: object) -> str:
    """A plain ``str``: a subclass (a ``str`` enum) by its text, anything else by ``str()``."""
    return str.__str__(value) if isinstance(value, str) else str(value)


def _is_epoch(shape: Any) -> bool:
    return bool(shape.serialization.get("timestampFormat", "iso8601").lower() == "unixtimestamp")


def _scalar(shape: Any) -> Writer:
    kind = shape.type_name
    if kind == "string" and shape.name == POLICY_DOCUMENT_SHAPE:
        return _write_policy_document
    if kind == "timestamp":
        return _write_epoch if _is_epoch(shape) else _write_timestamp
    if kind not in _SCALAR_WRITERS:
        raise ValueError(f"unsupported shape type `{kind}` in shape {shape.name}")
    return _SCALAR_WRITERS[kind]


def _write_string(value: Any, out: list[str]) -> None:
    out.append(escape_text(value if type(value) is str else _as_str(value)))


def _write_policy_document(value: Any, out: list[str]) -> None:
    # Only unreserved characters and %XX come out, none of which need XML escaping.
    out.append(percent_encode(value if type(value) is str else _as_str(value)))


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


# datetime -> its text; equal instants format alike whatever their zone. Bounded: cleared
# when full. Most timestamps written are read again (a role's CreateDate on every list).
_TIMESTAMPS: dict[datetime.datetime, str] = {}
_TIMESTAMPS_MAX = 8192


def format_timestamp(value: datetime.datetime) -> str:
    """ISO 8601 UTC with milliseconds, ``2019-07-15T23:28:33.359Z``; naive means UTC."""
    moment = _utc(value)
    text = moment.isoformat(timespec="milliseconds")
    if moment.tzinfo is not None:
        text = text[:-6]  # "+00:00"
    text += "Z"
    if type(value) is datetime.datetime:
        if len(_TIMESTAMPS) >= _TIMESTAMPS_MAX:
            _TIMESTAMPS.clear()
        _TIMESTAMPS[value] = text
    return text


def _write_timestamp(value: Any, out: list[str]) -> None:
    out.append(_TIMESTAMPS.get(value) or format_timestamp(value))


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

_GENERATED_GLOBALS.update(
    {
        "_as_str": _as_str,
        "_search_special": _search_special,
        "_escape_special": _SPECIAL.sub,
        "_replace": _replace,
        "_percent_encode": percent_encode,
        "_TIMESTAMPS": _TIMESTAMPS,
        "_format_timestamp": format_timestamp,
    }
)
