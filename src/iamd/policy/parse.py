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
from typing import Any

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
        return json.loads(text, object_pairs_hook=_no_duplicates)
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

    Start is the opening brace; end is just past the closing brace. Lines and columns
    are 1-based. Only called on text that ``json`` has already accepted.
    """
    offsets: list[tuple[int, int]] = []
    # One (role, start offset) per open container; only the top-level object's keys
    # matter, so only its current key is tracked.
    stack: list[tuple[str, int]] = []
    last = ""  # the last string token, as written (quotes and escapes included)
    in_statement = False
    for m in _TOKEN.finditer(text):
        token = m[0]
        ch = token[0]
        if ch == '"':
            last = token
        elif ch == ":":
            if len(stack) == 1:
                in_statement = _decoded(last) == "Statement"
        elif ch == ",":
            if len(stack) == 1:
                in_statement = False
        elif ch in "{[":
            role = ""
            if len(stack) == 1:
                if in_statement:
                    role = "statement" if ch == "{" else "list"
            elif stack and stack[-1][0] == "list" and ch == "{":
                role = "statement"
            stack.append((role, m.start()))
        else:
            role, begin = stack.pop()
            if role == "statement":
                offsets.append((begin, m.end()))
    return [(_position(text, begin), _position(text, end)) for begin, end in offsets]


# JSON strings (already validated by ``json``) and the structural characters.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]', re.DOTALL)


def _decoded(token: str) -> str:
    if "\\" in token:
        decoded: str = json.loads(token)
        return decoded
    return token[1:-1]


def _position(text: str, offset: int) -> Position:
    """The 1-based line and column of ``offset``; only ``\\n`` breaks a line."""
    return Position(text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))
