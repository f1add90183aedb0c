"""Wildcard matching that no pattern can make slow.

A policy's ``*`` matches any run of characters (the empty one included) and ``?`` exactly
one. A regex engine that backtracks takes time exponential in the number of ``*`` on a
value that almost matches (``*a*a*a*a*a*a*a*b`` against sixty ``a``), so patterns are
matched here without one whenever they could:

- ``Glob`` cuts a pattern at its ``*`` into pieces of fixed length (literal text and
  ``?``). The first piece must start the value and the last must end it; each middle
  piece is placed at its leftmost fit after the one before, which is optimal because
  pieces have fixed lengths. Each piece is found in time proportional to the value times
  the piece, so a whole match costs at most the value's length times the pattern's.
  (A piece with ``?`` is found by a regex without quantifiers, which cannot backtrack.)
- ``regex_safe`` tells which patterns a regex matches in that time too: those where no
  run of text a wildcard may cross holds more than one ``*``. The compiled matchers keep
  regexes for those (the common ``s3:Get*`` and ``arn:aws:s3:::bucket/*``), in C.
- ARN patterns are matched component by component (``split_arn``): a wildcard in the
  partition, service, region or account stays inside its component, one in the
  resource part spans ``/`` and ``:``.

Text that comes from a policy variable is literal: its ``*`` and ``?`` match themselves
(``Glob.from_runs``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

ARN_COMPONENTS = 6

Run = tuple[bool, str]
"""(wildcards_active, text): text written in the policy, or substituted from a variable."""


class _Piece:
    """Fixed-length text between two ``*``: literal characters and ``?``.

    A piece with a ``?`` is found with a regex of literals and ``.`` only: with no
    quantifier it cannot backtrack, and ``search`` tries each place once, in C.
    """

    __slots__ = ("_regex", "length", "text")

    def __init__(self, chars: Sequence[str | None]) -> None:
        self.length = len(chars)
        self.text = "".join(c for c in chars if c is not None)
        self._regex = None
        if len(self.text) != self.length:
            source = "".join("." if c is None else re.escape(c) for c in chars)
            self._regex = re.compile(source, re.DOTALL)

    def at(self, value: str, pos: int) -> bool:
        """Does the piece fit at ``pos``?"""
        if self._regex is None:
            return value.startswith(self.text, pos)
        return self._regex.match(value, pos) is not None

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost fit inside ``value[start:end]``, or -1."""
        if self._regex is None:
            return value.find(self.text, start, end)
        found = self._regex.search(value, start, end)
        return -1 if found is None else found.start()


class Glob:
    """One compiled wildcard pattern; ``match`` is a full match of the whole value."""

    __slots__ = ("_first", "_last", "_middle", "_single")

    def __init__(self, pieces: Sequence[Sequence[str | None]]) -> None:
        compiled = [_Piece(p) for p in pieces]
        self._single = len(compiled) == 1
        self._first = compiled[0]
        self._last = compiled[-1]
        self._middle = tuple(compiled[1:-1])

    @classmethod
    def of(cls, pattern: str) -> Glob:
        """A pattern written in a policy: every ``*`` and ``?`` is a wildcard."""
        return cls.from_runs([(True, pattern)])

    @classmethod
    def from_runs(cls, runs: Iterable[Run]) -> Glob:
        """A pattern whose variable-made runs are literal text."""
        pieces: list[list[str | None]] = [[]]
        for active, text in runs:
            if not active:
                pieces[-1].extend(text)
                continue
            for ch in text:
                if ch == "*":
                    pieces.append([])
                else:
                    pieces[-1].append(None if ch == "?" else ch)
        return cls(pieces)

    def match(self, value: str) -> bool:
        first, last = self._first, self._last
        if self._single:
            return len(value) == first.length and first.at(value, 0)
        end = len(value) - last.length
        if end < first.length or not first.at(value, 0) or not last.at(value, end):
            return False
        pos = first.length
        for piece in self._middle:
            found = piece.find(value, pos, end)
            if found < 0:
                return False
            pos = found + piece.length
        return True


class ArnGlob:
    """An ARN pattern, matched component by component (see the module's docstring)."""

    __slots__ = ("_parts",)

    def __init__(self, components: Sequence[Glob]) -> None:
        self._parts = tuple(components)

    @classmethod
    def of(cls, pattern: str) -> ArnGlob | None:
        """None when ``pattern`` does not have six components."""
        parts = split_arn(pattern)
        return None if parts is None else cls([Glob.of(p) for p in parts])

    @classmethod
    def from_runs(cls, runs: Iterable[Run]) -> ArnGlob | None:
        """Colons separate components wherever they come from (a variable may hold an ARN)."""
        components: list[list[Run]] = [[]]
        for active, text in runs:
            rest = text
            while len(components) < ARN_COMPONENTS and ":" in rest:
                before, rest = rest.split(":", 1)
                components[-1].append((active, before))
                components.append([])
            components[-1].append((active, rest))
        if len(components) != ARN_COMPONENTS:
            return None
        return cls([Glob.from_runs(c) for c in components])

    def match(self, value: str) -> bool:
        parts = split_arn(value)
        if parts is None:
            return False
        for glob, part in zip(self._parts, parts, strict=True):  # noqa: SIM110
            if not glob.match(part):
                return False
        return True


def split_arn(text: str) -> list[str] | None:
    """The six components of an ARN (the last may hold colons), or None."""
    parts = text.split(":", ARN_COMPONENTS - 1)
    return parts if len(parts) == ARN_COMPONENTS else None


def regex_safe(pattern: str, *, arn: bool = False) -> bool:
    """Whether a backtracking regex matches ``pattern`` in time linear in pattern x value:
    true when no run a wildcard may cross holds two ``*`` (for an ARN, each component)."""
    if pattern.count("*") < 2:
        return True
    if not arn:
        return False
    parts = split_arn(pattern)
    return parts is not None and all(p.count("*") < 2 for p in parts)
