"""JSON written by clients, read with its nesting bounded.

``json.loads`` recurses once per ``[`` or ``{``: thousands of them raise RecursionError
(and code that walks the result recurses again). No document iamd takes from a client
(policies, tokens' claims, context assertions, ``/authorize`` bodies) nests deeper than
a few levels, so ``loads`` refuses anything past ``MAX_DEPTH`` before parsing, in one
linear scan, with ``TooDeep`` (a ``ValueError``, as ``json.JSONDecodeError`` is).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

# Strings are skipped whole (a bracket inside one does not nest); the pattern cannot
# backtrack: each character of a string is matched one way only.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than ``MAX_DEPTH``."""


def depth_within(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests at most ``limit`` arrays and objects (a cheap upper bound
    first: a document with few brackets cannot nest deeply)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8", "replace")
    if text.count("[") + text.count("{") <= limit:
        return True
    depth = 0
    for token in _TOKENS.finditer(text):
        ch = token.group()
        if ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` for client input: TooDeep past ``MAX_DEPTH``."""
    if not depth_within(text):
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    return json.loads(text, **kwargs)
