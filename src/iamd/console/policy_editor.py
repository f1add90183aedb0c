"""The policy editor's findings: what the engine finds wrong with a document, in detail.

The wire is terse where AWS is (``Syntax errors in policy.``); the editor shows the
engine's full reasons, each with the line and column it concerns when one is known (a
JSON error's place, or the start of the statement a problem is in), the managed-policy
Version rule, and the size quota. ``/console/policies/validate`` answers the editor's
script with them as the person types; the create forms show the same list when sent
without the script. Only the text is looked at (no account data), and it is capped at
the console's form size.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from iamd.console.web import MAX_FORM_BYTES, Visit, page
from iamd.iam.documents import MANAGED_VERSION_MESSAGE
from iamd.model import json_text
from iamd.policy import PolicyError, PolicyKind, parse_policy, policy_size
from iamd.policy.document import SYNTAX_ERRORS, VERSION_2012
from iamd.policy.parse import statement_spans
from iamd.policy.validate import check_statement


@dataclass(frozen=True, slots=True)
class Finding:
    message: str
    line: int = 0  # 1-based; 0 when the problem has no one place
    column: int = 0


def findings(text: str, size_limit: int) -> list[Finding]:
    """Every problem the engine finds in ``text`` as a managed (identity) policy."""
    if not text.strip():
        return [Finding(f"{SYNTAX_ERRORS} The document is empty.")]
    try:
        doc = json_text.loads(text)
    except json.JSONDecodeError as exc:
        return [Finding(f"{SYNTAX_ERRORS} {exc.msg}.", exc.lineno, exc.colno)]
    except ValueError as exc:  # nested too deep
        return [Finding(f"{SYNTAX_ERRORS} {exc}.")]
    found: list[Finding] = []
    if isinstance(doc, dict) and doc.get("Version") != VERSION_2012:
        found.append(Finding(MANAGED_VERSION_MESSAGE))
    try:
        parse_policy(text, PolicyKind.IDENTITY)
    except PolicyError as exc:
        places = _statement_places(text, doc)
        found += [Finding(p, *places.get(p, (0, 0))) for p in exc.problems]
    size = policy_size(text)
    if size > size_limit:
        found.append(Finding(f"Cannot exceed quota for PolicySize: {size_limit}"))
    return found


def _statement_places(text: str, doc: Any) -> dict[str, tuple[int, int]]:
    """Each statement problem's message -> where the first statement with it starts."""
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return {}
    try:
        spans = statement_spans(text)
    except (ValueError, IndexError, StopIteration):  # the walk is for valid policies only
        return {}
    places: dict[str, tuple[int, int]] = {}
    for statement, (start, _) in zip(statements, spans, strict=False):
        for problem in check_statement(statement, PolicyKind.IDENTITY):
            places.setdefault(problem, (start.line, start.column))
    return places


def size_limit(visit: Visit) -> int:
    return visit.console.runtime.settings.quotas.managed_policy_size


@page("/console/policies/validate", ("POST",))
async def validate(visit: Visit) -> Response:
    """The editor's script: ``{"document": text}`` -> ``{"findings": [...], "size": n}``."""
    body = await visit.json_body()
    text = body.get("document") if isinstance(body, dict) else None
    if not isinstance(text, str) or len(text) > MAX_FORM_BYTES:
        return JSONResponse({"error": 'Send {"document": text}.'}, status_code=400)
    limit = size_limit(visit)
    return JSONResponse(
        {
            "findings": [asdict(f) for f in findings(text, limit)],
            "size": policy_size(text),
            "limit": limit,
        }
    )
