"""AWS Query requests (form or query-string pairs) into operation params.

The inverse of botocore's ``QuerySerializer``. The pairs are first arranged into a tree by
the dots in their names (``Tags.member.1.Key`` -> Tags / member / 1 / Key); the operation's
compiled decoder then walks its input shape over that tree, so only modelled names are read
and every other parameter is ignored, as AWS ignores them.

Wire rules (botocore's, reversed): list elements are ``Name.member.N`` (``member`` is the
list member's ``locationName`` if it has one) or ``Name.N`` when ``flattened``, a flattened
list whose member has a ``locationName`` is keyed by that name; elements are ordered by N,
which must be a positive decimal integer (anything else is ignored); ``Name=`` with an empty
value is an empty list. Maps are ``Name.entry.N.key`` / ``.value`` (names from the key and
value shapes' ``locationName``), ``Name.N.key`` when flattened. Structures nest by ``.Field``.
Scalars: integers and longs in decimal (range-checked), booleans ``true``/``false`` (any
case), timestamps ISO 8601 or epoch seconds, blobs base64. A value that does not convert
becomes ``Invalid`` and is reported by validation along with every other violation.
When a name repeats, the first value wins.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from iamd.errors import InvalidAction, MissingAction, ValidationError
from iamd.protocol.models import Service, resolve_service
from iamd.protocol.shapes import ShapeCompiler
from iamd.protocol.validate import Invalid, validation_message

__all__ = ["Decoder", "FormNode", "ParsedRequest", "build_tree", "parse_request"]


class FormNode:
    """One dotted segment of the request's parameter names."""

    __slots__ = ("children", "value")

    def __init__(self, value: str | None = None) -> None:
        self.value = value
        self.children: dict[str, FormNode] | None = None

    def child_value(self, name: str) -> str | None:
        child = self.children.get(name) if self.children else None
        return child.value if child is not None else None


# FormNode -> decoded value, or None when the node holds nothing for this shape.
Decoder = Callable[[FormNode], Any]


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """An operation name and its decoded, validated params."""

    action: str
    params: dict[str, Any]


def build_tree(pairs: Iterable[tuple[str, str]]) -> FormNode:
    """Arrange (name, value) pairs by the dots in their names."""
    root = FormNode()
    top: dict[str, FormNode] = {}
    root.children = top
    for name, value in pairs:
        if "." not in name:  # most names: one level, no loop
            child = top.get(name)
            if child is None:
                top[name] = FormNode(value)
            elif child.value is None:
                child.value = value
            continue
        node = root
        for part in name.split("."):
            children = node.children
            if children is None:
                children = node.children = {}
            child = children.get(part)
            if child is None:
                child = children[part] = FormNode()
            node = child
        if node.value is None:
            node.value = value
    return root


def parse_request(service: Service | str, pairs: Iterable[tuple[str, str]]) -> ParsedRequest:
    """Find the operation named by ``Action``, decode its params and validate them.

    Raises ``MissingAction`` (no or empty ``Action``), ``InvalidAction`` (an operation the
    service lacks, or a ``Version`` other than the service's; an absent or empty ``Version``
    is accepted) or ``ValidationError`` (every violation at once).
    """
    model = resolve_service(service)
    root = build_tree(pairs)
    action = root.child_value("Action")
    if not action:
        raise MissingAction()
    version = root.child_value("Version") or None
    operation = model.operation(action)
    if operation is None or (version is not None and version != model.api_version):
        raise InvalidAction(
            f"Could not find operation {action} for version {version or model.api_version}"
        )
    params: dict[str, Any] = operation.decoder(root) or {}
    violations: list[str] = []
    operation.validator(params, "", violations)
    if violations:
        raise ValidationError(validation_message(violations))
    return ParsedRequest(action, params)


def compile_input_decoder(shape: Any, memo: dict[tuple[str, str], Any] | None = None) -> Decoder:
    """The decoder for an operation's input shape (None: the operation takes no params);
    ``memo`` shares compiled shapes between the operations of one service."""
    if shape is None:
        return lambda node: None
    return _Compiler(memo).build(shape)


_MAX_INDEX_TEXT = 9  # no list iamd takes has a billion members


def _indexed(container: FormNode) -> list[FormNode]:
    """Children named 1, 2, ... in numeric order; other names and repeats are ignored."""
    if not container.children:
        return []
    numbered: dict[int, FormNode] = {}
    for name, child in container.children.items():
        if name.isascii() and name.isdigit() and len(name) <= _MAX_INDEX_TEXT:
            index = int(name)
            if index >= 1 and index not in numbered:
                numbered[index] = child
    return [numbered[index] for index in sorted(numbered)]


def _wire_name(name: str, member: Any) -> str:
    """The parameter-name segment of a structure member, as botocore serializes it."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        element_name: str | None = member.member.serialization.get("name")
        if element_name:
            return element_name
    wire: str = member.serialization.get("name", name)
    return wire


class _Compiler(ShapeCompiler[Decoder]):
    def _scalar(self, shape: Any) -> Decoder:
        return _scalar(shape)

    def _structure(self, shape: Any) -> Decoder:
        """One generated function per structure shape, members unrolled in model order;
        a string member (most of them) is read inline, any other calls its decoder.
        Only ``repr`` of model names reaches the source."""
        namespace: dict[str, Any] = {}
        lines = [
            "def decode(node):",
            "    children = node.children",
            "    if not children:",
            "        return None",
            "    result = {}",
        ]
        for index, (name, member) in enumerate(shape.members.items()):
            if "location" in member.serialization:
                continue
            lines.append(f"    child = children.get({_wire_name(name, member)!r})")
            lines.append("    if child is not None:")
            decoder = self.build(member)
            if decoder is _decode_string:
                lines.append("        value = child.value")
            else:
                namespace[f"d{index}"] = decoder
                lines.append(f"        value = d{index}(child)")
            lines.append("        if value is not None:")
            lines.append(f"            result[{name!r}] = value")
        lines.append("    return result or None")
        source = "\n".join(lines) + "\n"
        exec(compile(source, f"<decoder for {shape.name}>", "exec"), namespace)
        decode: Decoder = namespace["decode"]
        return decode

    def _list(self, shape: Any) -> Decoder:
        element = self.build(shape.member)
        flattened = bool(shape.serialization.get("flattened"))
        element_name: str = shape.member.serialization.get("name", "member")

        def decode(node: FormNode) -> list[Any] | None:
            if flattened:
                container: FormNode | None = node
            else:
                container = node.children.get(element_name) if node.children else None
            items: list[Any] = []
            if container is not None:
                for child in _indexed(container):
                    value = element(child)
                    if value is not None:
                        items.append(value)
            if items:
                return items
            return [] if node.value == "" else None

        return decode

    def _map(self, shape: Any) -> Decoder:
        decode_key = self.build(shape.key)
        decode_value = self.build(shape.value)
        key_name: str = shape.key.serialization.get("name", "key")
        value_name: str = shape.value.serialization.get("name", "value")
        flattened = bool(shape.serialization.get("flattened"))

        def decode(node: FormNode) -> dict[Any, Any] | None:
            if flattened:
                container: FormNode | None = node
            else:
                container = node.children.get("entry") if node.children else None
            result: dict[Any, Any] = {}
            if container is not None:
                for entry in _indexed(container):
                    children = entry.children or {}
                    key_node, value_node = children.get(key_name), children.get(value_name)
                    if key_node is None or value_node is None:
                        continue
                    key, value = decode_key(key_node), decode_value(value_node)
                    if key is not None and value is not None and key not in result:
                        result[key] = value
            return result or None

        return decode


_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z|[+-]?Infinity\Z|NaN\Z"
)
_LIMITS = {"integer": 2**31, "long": 2**63}
_MAX_INTEGER_TEXT = 40  # digits, sign and leading zeros of any number iamd takes


def _scalar(shape: Any) -> Decoder:
    kind = shape.type_name
    if kind in _LIMITS:
        limit = _LIMITS[kind]

        def decode_integer(node: FormNode) -> int | Invalid | None:
            raw = node.value
            if raw is None:
                return None
            # A long run of digits is out of range whatever it says: int() of thousands
            # of digits is refused (and costs more than linear time before that).
            if len(raw) <= _MAX_INTEGER_TEXT and _INTEGER.match(raw):
                number = int(raw)
                if -limit <= number < limit:
                    return number
            return Invalid(raw, "an integer")

        return decode_integer
    if kind in ("float", "double"):

        def decode_float(node: FormNode) -> float | Invalid | None:
            raw = node.value
            if raw is None:
                return None
            return float(raw) if _FLOAT.match(raw) else Invalid(raw, "a number")

        return decode_float
    if kind == "boolean":

        def decode_boolean(node: FormNode) -> bool | Invalid | None:
            raw = node.value
            if raw is None:
                return None
            lowered = raw.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            return Invalid(raw, "true or false")

        return decode_boolean
    if kind == "timestamp":
        return _decode_timestamp
    if kind == "blob":
        return _decode_blob
    return _decode_string


def _decode_string(node: FormNode) -> str | None:
    return node.value


def _decode_timestamp(node: FormNode) -> datetime.datetime | Invalid | None:
    raw = node.value
    if raw is None:
        return None
    try:
        if _FLOAT.match(raw) and "n" not in raw.lower():
            return datetime.datetime.fromtimestamp(float(raw), datetime.UTC)
        parsed = datetime.datetime.fromisoformat(raw)
    except (ValueError, OverflowError, OSError):
        return Invalid(raw, "a timestamp in ISO 8601 format")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def _decode_blob(node: FormNode) -> bytes | Invalid | None:
    raw = node.value
    if raw is None:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return Invalid(raw, "base64-encoded")
