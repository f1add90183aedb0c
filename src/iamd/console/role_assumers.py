"""The role page's "Who can assume this role (and through chains)" section.

HOOK: the analysis (``console/assumers.py``: ``who_can_assume(details, account_id,
role_arn) -> AssumeGraph``) and its picture (``console/assumers_svg.py``: ``render(graph)
-> str``) are another engineer's and not on main yet. Until they are,
``who_can_assume_view`` returns None and the page leaves the section out; wiring it in is
this function's body only: GetAccountAuthorizationDetails (every page, merged) as the
signed-in person, then the graph, its SVG and a text list.
"""

from __future__ import annotations

from typing import Any

from iamd.console.web import Visit


def who_can_assume_view(visit: Visit, role_arn: str) -> dict[str, Any] | None:
    """``{"svg": ..., "lines": [...], "refused": ...}`` for the page, or None (not built)."""
    return None
