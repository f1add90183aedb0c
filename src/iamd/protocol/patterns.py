"""Java regular expressions from the service models, translated for Python's ``re``.

AWS validates ``pattern`` constraints with Java's ``java.util.regex`` and matches the whole
value (``Matcher.matches``). The models use Java syntax that Python's ``re`` lacks or reads
differently: ``\\p{L}``-style Unicode categories, ``\\x{...}``, ``\\z``, ``\\h``, ``\\Q...\\E``
and ``(?<name>...)``. ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII-only in Java, so patterns are
compiled with ``re.ASCII`` and Unicode categories are expanded into explicit code point ranges
(from ``unicodedata``; the ``regex`` module is not a dependency).

Constructs with no faithful translation (nested classes ``[a[b]]``, intersections ``&&``,
``\\R``, ``\\X``, ``\\G``, back references by name, script and block properties) raise
``ValueError`` rather than match something else.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["compile_java_pattern", "translate_java_pattern"]

_MAX_CODE_POINT = 0x10FFFF

# Unions of general categories that Java accepts as one- or two-letter names.
_CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "L": ("Lu", "Ll", "Lt", "Lm", "Lo"),
    "LC": ("Lu", "Ll", "Lt"),
    "M": ("Mn", "Mc", "Me"),
    "N": ("Nd", "Nl", "No"),
    "P": ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"),
    "S": ("Sm", "Sc", "Sk", "So"),
    "Z": ("Zs", "Zl", "Zp"),
    "C": ("Cc", "Cf", "Cs", "Co", "Cn"),
}

# Java's POSIX classes are ASCII-only unless UNICODE_CHARACTER_CLASS is set.
_POSIX: dict[str, tuple[tuple[int, int], ...]] = {
    "Lower": ((0x61, 0x7A),),
    "Upper": ((0x41, 0x5A),),
    "ASCII": ((0x00, 0x7F),),
    "Alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "Digit": ((0x30, 0x39),),
    "Alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "Punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "Graph": ((0x21, 0x7E),),
    "Print": ((0x20, 0x7E),),
    "Blank": ((0x09, 0x09), (0x20, 0x20)),
    "Cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "XDigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
    "Space": ((0x09, 0x0D), (0x20, 0x20)),
}

_HORIZONTAL_SPACE = (
    (0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x180E, 0x180E),
    (0x2000, 0x200A), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
_VERTICAL_SPACE = ((0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029))

_Ranges = tuple[tuple[int, int], ...]


@functools.cache
def _category_table() -> dict[str, _Ranges]:
    """Code point ranges of every two-letter general category (one pass, ~0.3 s, once)."""
    table: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    previous = category("\0")
    start = 0
    for cp in range(1, _MAX_CODE_POINT + 1):
        current = category(chr(cp))
        if current != previous:
            table.setdefault(previous, []).append((start, cp - 1))
            previous, start = current, cp
    table.setdefault(previous, []).append((start, _MAX_CODE_POINT))
    return {name: tuple(ranges) for name, ranges in table.items()}


def _merge(ranges: list[tuple[int, int]]) -> _Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


def _complement(ranges: _Ranges) -> _Ranges:
    result: list[tuple[int, int]] = []
    next_low = 0
    for low, high in ranges:
        if low > next_low:
            result.append((next_low, low - 1))
        next_low = high + 1
    if next_low <= _MAX_CODE_POINT:
        result.append((next_low, _MAX_CODE_POINT))
    return tuple(result)


@functools.cache
def _property_ranges(name: str) -> _Ranges:
    """The code points of a Java ``\\p{name}`` property."""
    if name.startswith("Is") and len(name) in (3, 4):
        name = name[2:]  # \p{IsL} is an alias of \p{L}
    if name == "L&":
        name = "LC"
    if name in _POSIX:
        return _POSIX[name]
    table = _category_table()
    if name in _CATEGORY_GROUPS:
        return _merge([r for cat in _CATEGORY_GROUPS[name] for r in table.get(cat, ())])
    if len(name) == 2 and name[0] in _CATEGORY_GROUPS:
        return table.get(name, ())
    raise ValueError(f"unsupported Unicode property `\\p{{{name}}}` in pattern")


def _class_body(ranges: _Ranges) -> str:
    """Ranges as the inside of a Python character class."""
    parts: list[str] = []
    for low, high in ranges:
        if low == high:
            parts.append(f"\\U{low:08X}")
        else:
            parts.append(f"\\U{low:08X}-\\U{high:08X}")
    return "".join(parts)


def _read_braced(pattern: str, i: int) -> tuple[str, int]:
    """Read ``{...}`` starting at ``pattern[i] == '{'``; return its content and the next index."""
    end = pattern.find("}", i)
    if end < 0:
        raise ValueError(f"unclosed `{{` in pattern at index {i}")
    return pattern[i + 1 : end], end + 1


def translate_java_pattern(pattern: str) -> str:
    """Translate a Java regular expression into an equivalent Python ``re`` pattern.

    The result is meant to be compiled with ``re.ASCII`` (Java's default meaning of ``\\w``,
    ``\\d``, ``\\s`` and ``\\b``) and matched with ``fullmatch``.
    """
    out: list[str] = []
    in_class = False
    class_start = False  # just after `[` or `[^`, where `]` is a literal in Java
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError("pattern ends with a lone backslash")
            out.append(_translate_escape(pattern, i + 1, in_class))
            i = _escape_end(pattern, i + 1)
            class_start = False
            continue
        if in_class:
            if ch == "]" and not class_start:
                in_class = False
                out.append("]")
            elif ch == "[":
                raise ValueError("nested character classes are not supported in patterns")
            elif ch == "&" and pattern.startswith("&&", i):
                raise ValueError("character class intersections are not supported in patterns")
            elif ch in "&~|" or (ch == "-" and out and out[-1] == "-"):
                # Python warns about (and may one day reinterpret) doubled set operators.
                out.append("\\" + ch)
            else:
                out.append(ch)
            class_start = False
            i += 1
            continue
        if ch == "[":
            in_class = True
            class_start = True
            out.append("[")
            if pattern.startswith("[^", i):
                out.append("^")
                i += 1
            i += 1
            continue
        if (
            ch == "("
            and pattern.startswith("(?<", i)
            and not pattern.startswith(("(?<=", "(?<!"), i)
        ):
            out.append("(?P<")
            i += 3
            continue
        out.append(ch)
        i += 1
    if in_class:
        raise ValueError("unclosed character class in pattern")
    return "".join(out)


def _escape_end(pattern: str, i: int) -> int:
    """Index just past the escape whose letter is at ``pattern[i]``."""
    ch = pattern[i]
    if ch in "pP":
        return _read_braced(pattern, i + 1)[1] if pattern.startswith("{", i + 1) else i + 2
    if ch == "x" and pattern.startswith("{", i + 1):
        return _read_braced(pattern, i + 1)[1]
    if ch == "x":
        return i + 3
    if ch == "u":
        return i + 5
    if ch == "c":
        return i + 2
    if ch == "0":
        j = i + 1
        while j < len(pattern) and j < i + 4 and pattern[j] in "01234567":
            j += 1
        return j
    if ch == "Q":
        end = pattern.find("\\E", i + 1)
        return len(pattern) if end < 0 else end + 2
    return i + 1


def _translate_escape(pattern: str, i: int, in_class: bool) -> str:
    ch = pattern[i]
    if ch in "pP":
        if pattern.startswith("{", i + 1):
            name = _read_braced(pattern, i + 1)[0]
        elif i + 1 < len(pattern):
            name = pattern[i + 1]
        else:
            raise ValueError("pattern ends inside a `\\p` escape")
        ranges = _property_ranges(name)
        return _ranges_text(ranges, negate=ch == "P", in_class=in_class)
    if ch == "x" and pattern.startswith("{", i + 1):
        return _literal(int(_read_braced(pattern, i + 1)[0], 16))
    if ch == "x":
        return _literal(int(pattern[i + 1 : i + 3], 16))
    if ch == "u":
        return _literal(int(pattern[i + 1 : i + 5], 16))
    if ch == "c":
        return _literal(ord(pattern[i + 1]) ^ 0x40)
    if ch == "0":
        digits = pattern[i + 1 : _escape_end(pattern, i)]
        if not digits:
            raise ValueError("`\\0` needs at least one octal digit in a Java pattern")
        return _literal(int(digits, 8))
    if ch == "e":
        return _literal(0x1B)
    if ch == "h":
        return _ranges_text(_HORIZONTAL_SPACE, negate=False, in_class=in_class)
    if ch == "H":
        return _ranges_text(_HORIZONTAL_SPACE, negate=True, in_class=in_class)
    if ch == "v":
        return _ranges_text(_VERTICAL_SPACE, negate=False, in_class=in_class)
    if ch == "V":
        return _ranges_text(_VERTICAL_SPACE, negate=True, in_class=in_class)
    if ch == "Q":
        end = pattern.find("\\E", i + 1)
        quoted = pattern[i + 1 :] if end < 0 else pattern[i + 1 : end]
        return "".join(_literal(ord(c)) for c in quoted)
    if ch == "z" and not in_class:
        return r"\Z"
    if ch == "Z" and not in_class:
        return r"(?=\n?\Z)"
    if ch in "RXGkK" or (ch.isdigit() and in_class):
        raise ValueError(f"unsupported escape `\\{ch}` in pattern")
    return "\\" + ch


def _literal(cp: int) -> str:
    if cp > _MAX_CODE_POINT:
        raise ValueError(f"code point {cp:#x} out of range in pattern")
    return f"\\U{cp:08X}"


def _ranges_text(ranges: _Ranges, *, negate: bool, in_class: bool) -> str:
    if in_class:
        return _class_body(_complement(ranges) if negate else ranges)
    return ("[^" if negate else "[") + _class_body(ranges) + "]"


@functools.cache
def compile_java_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a model ``pattern`` once; use ``.fullmatch`` as Java's ``matches`` does."""
    return re.compile(translate_java_pattern(pattern), re.ASCII)
