"""From policy text to a validated ``Policy``.

``parse_policy`` reads the JSON (rejecting duplicate keys, which ``json`` would silently
merge), checks the characters AWS allows, runs the grammar
checks of ``validate.py`` for the document's kind, and only then builds the values of
``document.py``. Every problem found is reported in one ``PolicyError``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from iamd.model import json_text
from iamd.policy import validate
from iamd.policy.document import (
    VERSION_2008,
    ConditionClause,
    Effect,
    Policy,
    PolicyError,
    PolicyKind,
    Position,
    PrincipalSpec,
    Statement,
    scalar_text,
)

SYNTAX_ERROR = "Syntax errors in policy."
_ALLOWED_CHARACTERS = re.compile(r"[\u0009\u000A\u000D\u0020-\u00FF]*")


class _DuplicateKey(ValueError):
    pass


def policy_size(text: str) -> int:
    """The size AWS counts against policy quotas: characters, whitespace excluded."""
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r")


def load_json(text: str) -> Any:
    """Parse JSON, rejecting duplicate keys; raises PolicyError on bad syntax."""
    try:
        return json_text.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise PolicyError([f"{SYNTAX_ERROR} Duplicate key {exc}."]) from None
    except (ValueError, RecursionError):
        raise PolicyError([SYNTAX_ERROR]) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(json.dumps(key))
        out[key] = value
    return out


def parse_policy(text: str, kind: PolicyKind) -> Policy:
    """Parse and validate ``text`` as a policy of ``kind``; raise PolicyError if invalid.

    Size is a quota, not grammar: compare ``policy_size(text)`` with the quota that
    applies where the document is stored (AWS answers LimitExceeded, not
    MalformedPolicyDocument).
    """
    if not isinstance(text, str) or not text.strip():
        raise PolicyError([SYNTAX_ERROR])
    if _ALLOWED_CHARACTERS.fullmatch(text) is None:
        raise PolicyError(["Policy document contains characters outside the allowed set."])
    doc = load_json(text)
    problems = validate.check_document(doc, kind)
    if problems:
        raise PolicyError(problems)
    return build_policy(doc, kind, statement_spans(text))


class ParseCache:
    """``parse_policy`` remembered for the last ``maxsize`` distinct (text, kind) pairs.

    The same documents come back again and again (a trust policy for every role an
    automation creates), and a ``Policy`` is an immutable value, so one parse can serve
    them all. Only successes are kept: a document that fails is parsed again on every
    call and raises a fresh ``PolicyError`` with the same problems. The owner of an
    instance decides its lifetime; this package keeps none.
    """

    def __init__(self, maxsize: int = 256) -> None:
        self._parse = functools.lru_cache(maxsize=maxsize)(parse_policy)

    def __call__(self, text: str, kind: PolicyKind) -> Policy:
        """What ``parse_policy(text, kind)`` returns or raises."""
        if not isinstance(text, str):
            return parse_policy(text, kind)  # unhashable junk never reaches the cache
        return self._parse(text, kind)

    def clear(self) -> None:
        self._parse.cache_clear()


def build_policy(
    doc: dict[str, Any], kind: PolicyKind, spans: list[tuple[Position, Position]] | None = None
) -> Policy:
    """Build the values of a document that has passed ``validate.check_document``."""
    raw = doc["Statement"]
    raw_statements = raw if isinstance(raw, list) else [raw]
    statements = []
    for index, st in enumerate(raw_statements):
        start, end = spans[index] if spans and index < len(spans) else (_NOWHERE, _NOWHERE)
        statements.append(_statement(index, st, start, end))
    return Policy(
        kind=kind,
        version=doc.get("Version", VERSION_2008),
        id=doc.get("Id"),
        statements=tuple(statements),
    )


_NOWHERE = Position(0, 0)


def _statement(index: int, st: dict[str, Any], start: Position, end: Position) -> Statement:
    return Statement(
        index=index,
        sid=st.get("Sid"),
        effect=Effect(st["Effect"]),
        action=_strings(st.get("Action")),
        not_action=_strings(st.get("NotAction")),
        resource=_strings(st.get("Resource")),
        not_resource=_strings(st.get("NotResource")),
        principal=_principal(st.get("Principal")),
        not_principal=_principal(st.get("NotPrincipal")),
        conditions=_conditions(st.get("Condition")),
        start=start,
        end=end,
    )


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return tuple(scalar_text(v) for v in items)


def _principal(value: Any) -> PrincipalSpec | None:
    if value is None:
        return None
    if value == "*":
        return PrincipalSpec(wildcard=True)
    entries = tuple((kind, _strings(vals) or ()) for kind, vals in value.items())
    return PrincipalSpec(wildcard=False, entries=entries)


def _conditions(value: Any) -> tuple[ConditionClause, ...]:
    if not value:
        return ()
    return tuple(
        ConditionClause(operator, key, _strings(vals) or ())
        for operator, block in value.items()
        for key, vals in block.items()
    )


def statement_spans(text: str) -> list[tuple[Position, Position]]:
    """Where each statement object stands in ``text``: (start, end) per statement.

    Start is just past the opening brace, end just past the closing brace, as AWS's
    simulator reports them (a statement at offsets 39..111 of a one-line document is
    StartPosition column 41, EndPosition column 113). Lines and columns are 1-based.
    Only called on text that ``json`` has already accepted (and whose keys are distinct):
    the top-level object is walked key by key, and ``json``'s own scanner steps over each
    value and each statement, returning where it ends.
    """
    i = _skip(text, 0)
    if text[i] != "{":
        return []
    i = _skip(text, i + 1)
    while text[i] == '"':
        key, i = _scan(text, i)
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        if key == "Statement":
            return [(_position(text, a + 1), _position(text, b)) for a, b in _objects(text, i)]
        i = _skip(text, _scan(text, i)[1])
        if text[i] == ",":
            i = _skip(text, i + 1)
    return []


def _objects(text: str, i: int) -> list[tuple[int, int]]:
    """The offsets of the object at ``i``, or of each object in the list at ``i``."""
    if text[i] == "{":
        return [(i, _scan(text, i)[1])]
    if text[i] != "[":
        return []
    found = []
    i = _skip(text, i + 1)
    while text[i] != "]":
        start, i = i, _scan(text, i)[1]
        if text[start] == "{":
            found.append((start, i))
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)
    return found


def _skip(text: str, i: int) -> int:
    """The offset of the first character at or after ``i`` that is not JSON whitespace."""
    return _WHITESPACE.match(text, i).end()  # type: ignore[union-attr]  # matches empty


_WHITESPACE = re.compile(r"[ \t\n\r]*")
# json's scanner: (value, offset just past it) for the JSON value starting at an offset.
# Typeshed leaves the attribute out; it is what json.loads itself calls.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _position(text: str, offset: int) -> Position:
    """The 1-based line and column of ``offset``; only ``\\n`` breaks a line."""
    return Position(text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))
