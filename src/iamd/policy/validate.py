"""Grammar checks for each kind of policy document (being written; see issue 2)."""

from __future__ import annotations

from typing import Any

from iamd.policy.document import PolicyKind


def check_document(doc: Any, kind: PolicyKind) -> list[str]:
    """Every problem in ``doc`` for a policy of ``kind``, in AWS's wording; [] when valid."""
    if not isinstance(doc, dict) or "Statement" not in doc:
        return ["Syntax errors in policy."]
    return []
