"""From policy text to a validated ``Policy``.

``parse_policy`` reads the JSON (rejecting duplicate keys, which ``json`` would silently
merge), checks the characters AWS allows, runs the grammar
checks of ``validate.py`` for the document's kind, and only then builds the values of
``document.py``. Every problem found is reported in one ``PolicyError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
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
_WHITESPACE = re.compile(r"[ \t\r\n]+")


class _DuplicateKey(ValueError):
    pass


def policy_size(text: str) -> int:
    """The size AWS counts against policy quotas: characters, whitespace excluded."""
    return len(_WHITESPACE.sub("", text))


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
    spans: list[tuple[Position, Position]] = []
    # One frame per open container: [role, key being read in it, start position].
    stack: list[list[Any]] = []
    last_string = ""
    for ch, pos, string in _tokens(text):
        if string is not None:
            last_string = string
        elif ch == ":":
            stack[-1][1] = last_string
        elif ch == ",":
            stack[-1][1] = None
        elif ch in "{[":
            role = ""
            if len(stack) == 1 and stack[0][1] == "Statement":
                role = "statement" if ch == "{" else "list"
            elif stack and stack[-1][0] == "list" and ch == "{":
                role = "statement"
            stack.append([role, None, pos])
        else:
            role, _, begin = stack.pop()
            if role == "statement":
                spans.append((begin, Position(pos.line, pos.column + 1)))
    return spans


def _tokens(text: str) -> Iterator[tuple[str, Position, str | None]]:
    """Structural characters with their positions, and whole strings (decoded)."""
    line, col, i, n = 1, 1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            yield ch, Position(line, col), json.loads(text[i : j + 1])
            col += j + 1 - i
            i = j + 1
            continue
        if ch == "\n":
            line, col = line + 1, 1
        else:
            if ch in "{}[]:,":
                yield ch, Position(line, col), None
            col += 1
        i += 1
