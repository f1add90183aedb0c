"""Model constraints on request parameters, reported the way AWS reports them.

Every violation is gathered (``required``, ``min``/``max`` on lengths and values, ``pattern``,
``enum``, unions, and values the query decoder could not convert) and raised as one
``ValidationError``::

    2 validation errors detected: Value 'a:b' at 'roleSessionName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value null at
    'roleArn' failed to satisfy constraint: Member must not be null

Member paths are AWS's: the member name with a lower-case first letter, joined by dots, list
elements as ``tags.3.member.key`` (1-based). Values of ``sensitive`` shapes are not echoed
(``Value at 'x' ...``). Members are checked in model order and, within a member, in the order
pattern, length, value range, enum; AWS's own order between constraints is not documented.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.errors import ValidationError
from iamd.protocol.models import Service, resolve_service
from iamd.protocol.patterns import compile_java_pattern
from iamd.protocol.shapes import ShapeCompiler

__all__ = ["Invalid", "Validator", "find_violations", "validate_params", "validation_message"]

# (value, path, violations) -> None; value is never None here.
Validator = Callable[[Any, str, list[str]], None]


@dataclass(frozen=True, slots=True)
class Invalid:
    """A wire value that could not be converted to its member's type.

    The query decoder puts one in place of the value; validation reports it and nothing
    else about that member, so it never reaches an operation.
    """

    raw: str
    expected: str  # completes "Member must be ...", e.g. "an integer"


def validation_message(violations: list[str]) -> str:
    """AWS's summary line over one or more violations."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(violations)


def find_violations(service: Service | str, action: str, params: Mapping[str, Any]) -> list[str]:
    """Every constraint the params of ``action`` violate, in AWS's wording (empty if valid)."""
    operation = resolve_service(service).operation(action)
    if operation is None:
        raise ValueError(f"unknown operation `{action}`")
    violations: list[str] = []
    operation.validator(params, "", violations)
    return violations


def validate_params(service: Service | str, action: str, params: Mapping[str, Any]) -> None:
    """Raise one ``ValidationError`` listing every violation, or return if the params are valid."""
    violations = find_violations(service, action, params)
    if violations:
        raise ValidationError(validation_message(violations))


def show(value: object) -> str:
    """A value as AWS prints it inside ``Value '...'`` (Java's toString conventions)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, Invalid):
        return value.raw
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{show(k)}={show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _failure(value: object, path: str, constraint: str, sensitive: bool) -> str:
    shown = "Value" if sensitive else f"Value '{show(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _member_path(name: str) -> str:
    return name[:1].lower() + name[1:]


# IAM no longer echoes a value in its validation messages ("Value at 'status' failed to
# satisfy constraint: Member must satisfy enum value set"); STS still does.
QUIET_SERVICES = frozenset({"iam"})

# Members whose model pattern AWS does not report in the model's words: the operation checks
# them and answers with a sentence of its own (CreateVirtualMFADevice's Path: "The specified
# value for path is invalid. ..."). Their other constraints are checked as usual.
PATTERNS_LEFT_TO_OPERATION: dict[tuple[str, str], frozenset[str]] = {
    ("iam", "CreateVirtualMFADevice"): frozenset({"Path"}),
}


def compile_input_validator(
    shape: Any,
    memo: dict[tuple[str, str], Any] | None = None,
    *,
    quiet: bool = False,
    unpatterned: frozenset[str] = frozenset(),
) -> Validator:
    """The validator for an operation's input shape (None: nothing to check); ``memo``
    shares compiled shapes between the operations of one service; ``quiet``: messages
    show no values (and no enum's members), as IAM's; ``unpatterned``: members of the
    input whose pattern is left to the operation (a private memo then keeps the shared
    one free of these laxer checkers)."""
    if shape is None:
        return lambda value, path, out: None
    if unpatterned:
        memo = None
    return _Compiler(memo, quiet, unpatterned).build(shape)


class _Compiler(ShapeCompiler[Validator]):
    def __init__(
        self,
        memo: dict[tuple[str, str], Any] | None,
        quiet: bool,
        unpatterned: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(memo)
        self._quiet = quiet
        self._unpatterned = unpatterned

    def _scalar(self, shape: Any) -> Validator:
        return _scalar(shape, self._quiet)

    def _structure(self, shape: Any) -> Validator:
        """One generated function per structure shape, members unrolled in model order.

        Every request validates its input structure, so the checker is Python source built
        here from the model. A scalar member whose value is of its exact Python type and
        meets every constraint is accepted inline (one comparison chain, no call, no path
        string); anything else goes to the member's full checker, which words the
        violations. Only ``repr`` of model names reaches the source; constraint values
        are passed in as constants.
        """
        required = set(shape.required_members)
        sensitive = self._quiet or bool(shape.metadata.get("sensitive"))
        is_union = bool(shape.metadata.get("union"))
        namespace: dict[str, Any] = {
            "Mapping": Mapping,
            "_failure": _failure,
            "_type_text": _type_text,
            "_null": _null,
            "SENSITIVE": sensitive,
        }
        lines = [
            "def check(value, path, out):",
            "    if type(value) is not dict and not isinstance(value, Mapping):",
            "        text = _type_text(value, 'a structure')",
            "        out.append(_failure(value, path, text, SENSITIVE))",
            "        return",
            "    get = value.get",
        ]
        if is_union:
            lines.append("    set_count = 0")
        for index, (name, member) in enumerate(shape.members.items()):
            member_path = _member_path(name)
            lax = name in self._unpatterned and member.type_name == "string"
            namespace[f"c{index}"] = (
                _scalar(member, self._quiet, pattern=False) if lax else self.build(member)
            )
            where = f"(path + {'.' + member_path!r}) if path else {member_path!r}"
            lines.append(f"    v = get({name!r})")
            lines.append("    if v is None:")
            if name in required:
                lines.append(f"        out.append(_null(path, {member_path!r}))")
            else:
                lines.append("        pass")
            lines.append("    else:")
            if is_union:
                lines.append("        set_count += 1")
            accept = None if lax else _inline_accept(member, index, namespace)
            if accept is None:
                lines.append(f"        c{index}(v, {where}, out)")
            else:
                lines.append(f"        if not ({accept}):")
                lines.append(f"            c{index}(v, {where}, out)")
        if is_union:
            lines.append("    if set_count != 1:")
            lines.append(
                "        out.append(_failure(value, path, "
                "'Member must have exactly one member set', False))"
            )
        source = "\n".join(lines) + "\n"
        exec(compile(source, f"<validator for {shape.name}>", "exec"), namespace)
        check: Validator = namespace["check"]
        return check

    def _list(self, shape: Any) -> Validator:
        element = self.build(shape.member)
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        sensitive = self._quiet or bool(shape.metadata.get("sensitive"))

        def check(value: Any, path: str, out: list[str]) -> None:
            if not isinstance(value, list | tuple):
                out.append(_failure(value, path, _type_text(value, "a list"), sensitive))
                return
            _check_length(value, len(value), path, out, low=low, high=high, sensitive=sensitive)
            for index, item in enumerate(value, 1):
                where = f"{path}.{index}.member"
                if item is None:
                    out.append(
                        f"Value null at '{where}' failed to satisfy constraint: "
                        "Member must not be null"
                    )
                else:
                    element(item, where, out)

        return check

    def _map(self, shape: Any) -> Validator:
        key_check = self.build(shape.key)
        value_check = self.build(shape.value)
        key_texts = _constraint_texts(shape.key)
        value_is_scalar = shape.value.type_name not in ("structure", "list", "map")
        value_texts = _constraint_texts(shape.value)
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        sensitive = self._quiet or bool(shape.metadata.get("sensitive"))

        def check(value: Any, path: str, out: list[str]) -> None:
            if not isinstance(value, Mapping):
                out.append(_failure(value, path, _type_text(value, "a map"), sensitive))
                return
            _check_length(value, len(value), path, out, low=low, high=high, sensitive=sensitive)
            bad_key = bad_value = False
            nested: list[str] = []
            for key, item in value.items():
                scratch: list[str] = []
                key_check(key, path, scratch)
                bad_key = bad_key or bool(scratch)
                if item is None:
                    bad_value = True
                    continue
                scratch = []
                value_check(item, f"{path}.{key}", scratch)
                if value_is_scalar:
                    bad_value = bad_value or bool(scratch)
                else:
                    nested.extend(scratch)
            if bad_key:
                text = "Map keys must satisfy constraint: [" + ", ".join(key_texts) + "]"
                out.append(_failure(value, path, text, sensitive))
            if bad_value:
                text = "Map value must satisfy constraint: [" + ", ".join(value_texts) + "]"
                out.append(_failure(value, path, text, sensitive))
            out.extend(nested)

        return check


def _null(path: str, member_path: str) -> str:
    where = f"{path}.{member_path}" if path else member_path
    return f"Value null at '{where}' failed to satisfy constraint: Member must not be null"


def _inline_accept(shape: Any, index: int, namespace: dict[str, Any]) -> str | None:
    """An expression over ``v`` that is true only if ``_scalar(shape)`` would find nothing
    wrong with ``v`` (false may still be valid: the full check decides), or None when the
    member is not a scalar worth inlining. Constants it needs go into ``namespace``."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        terms = ["type(v) is str"]
        if "pattern" in meta:
            namespace[f"m{index}"] = compile_java_pattern(meta["pattern"]).fullmatch
            terms.append(f"m{index}(v) is not None")
        measure = "len(v)"
    elif kind in ("integer", "long"):
        terms = ["type(v) is int"]
        measure = "v"
    elif kind == "boolean":
        terms = ["type(v) is bool"]
        measure = "v"
    else:
        return None
    if "min" in meta:
        namespace[f"lo{index}"] = meta["min"]
        terms.append(f"{measure} >= lo{index}")
    if "max" in meta:
        namespace[f"hi{index}"] = meta["max"]
        terms.append(f"{measure} <= hi{index}")
    if "enum" in meta:
        namespace[f"e{index}"] = frozenset(meta["enum"])
        terms.append(f"v in e{index}")
    return " and ".join(terms)


def _type_text(value: object, expected: str) -> str:
    if isinstance(value, Invalid):
        return f"Member must be {value.expected}"
    return f"Member must be {expected}"


def _check_length(
    value: object,
    length: int,
    path: str,
    out: list[str],
    *,
    low: float | None,
    high: float | None,
    sensitive: bool,
) -> None:
    if low is not None and length < low:
        text = f"Member must have length greater than or equal to {_number_text(low)}"
        out.append(_failure(value, path, text, sensitive))
    if high is not None and length > high:
        text = f"Member must have length less than or equal to {_number_text(high)}"
        out.append(_failure(value, path, text, sensitive))


def _constraint_texts(shape: Any) -> list[str]:
    """Every constraint of a scalar shape, as listed in AWS's map-constraint messages."""
    meta = shape.metadata
    is_number = shape.type_name in ("integer", "long", "float", "double")
    unit = "value" if is_number else "length"
    texts: list[str] = []
    if "max" in meta:
        texts.append(f"Member must have {unit} less than or equal to {_number_text(meta['max'])}")
    if "min" in meta:
        texts.append(
            f"Member must have {unit} greater than or equal to {_number_text(meta['min'])}"
        )
    if "pattern" in meta:
        texts.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if "enum" in meta:
        texts.append("Member must satisfy enum value set: [" + ", ".join(meta["enum"]) + "]")
    return texts


# Per scalar type: what a value must be, in words and as Python types. bool is an int
# subclass, so it is refused explicitly for the numeric types.
_SCALARS: dict[str, tuple[str, tuple[type, ...]]] = {
    "string": ("a string", (str,)),
    "integer": ("an integer", (int,)),
    "long": ("an integer", (int,)),
    "float": ("a number", (int, float)),
    "double": ("a number", (int, float)),
    "boolean": ("true or false", (bool,)),
    "timestamp": ("a timestamp", (datetime.datetime,)),
    "blob": ("binary data", (bytes, bytearray, str)),
}


def _scalar(shape: Any, quiet: bool = False, *, pattern: bool = True) -> Validator:
    kind = shape.type_name
    if kind not in _SCALARS:
        raise ValueError(f"unsupported shape type `{kind}` in shape {shape.name}")
    expected, types = _SCALARS[kind]
    refuse_bool = kind != "boolean"
    meta = shape.metadata
    sensitive = quiet or bool(meta.get("sensitive"))
    pattern_text: str | None = meta.get("pattern") if kind == "string" and pattern else None
    regex = compile_java_pattern(pattern_text) if pattern_text is not None else None
    low: float | None = meta.get("min")
    high: float | None = meta.get("max")
    enum: frozenset[str] | None = frozenset(meta["enum"]) if "enum" in meta else None
    enum_text = "" if quiet else ": [" + ", ".join(meta.get("enum", ())) + "]"
    is_number = kind in ("integer", "long", "float", "double")
    has_length = kind in ("string", "blob")

    def check(value: Any, path: str, out: list[str]) -> None:
        # A separate flag keeps mypy from narrowing ``value`` to ``object``.
        accepted = isinstance(value, types) and not (refuse_bool and isinstance(value, bool))
        if not accepted:
            out.append(_failure(value, path, _type_text(value, expected), sensitive))
            return
        if regex is not None and regex.fullmatch(value) is None:
            text = f"Member must satisfy regular expression pattern: {pattern_text}"
            out.append(_failure(value, path, text, sensitive))
        if has_length:
            _check_length(value, len(value), path, out, low=low, high=high, sensitive=sensitive)
        elif is_number:
            if low is not None and value < low:
                text = f"Member must have value greater than or equal to {_number_text(low)}"
                out.append(_failure(value, path, text, sensitive))
            if high is not None and value > high:
                text = f"Member must have value less than or equal to {_number_text(high)}"
                out.append(_failure(value, path, text, sensitive))
        if enum is not None and value not in enum:
            text = f"Member must satisfy enum value set{enum_text}"
            out.append(_failure(value, path, text, sensitive))

    return check
