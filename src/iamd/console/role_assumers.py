"""The role page's "Who can assume this role (and through chains)" section.

The account's GetAccountAuthorizationDetails (every page, merged) is read as the
signed-in person, so the analysis sees only what they may read; ``assumers.who_can_assume``
answers with iamd's own policy engine and ``assumers_svg`` draws the graph; the text list
says the same in words, nearest assumers first. A person who may not read the details
gets AWS's message in the section, and the rest of the page still shows.
"""

from __future__ import annotations

from typing import Any

from iamd.console import assumers, assumers_svg
from iamd.console.web import Visit
from iamd.errors import ServiceError


def who_can_assume_view(visit: Visit, role_arn: str) -> dict[str, Any]:
    """``{"svg", "lines", "notes", "refused"}`` for the page."""
    account = visit.session.identity.account_id if visit.session and visit.session.identity else ""
    try:
        details = assumers.all_pages(
            lambda params: visit.call("iam", "GetAccountAuthorizationDetails", params)
        )
    except ServiceError as exc:
        return {"svg": "", "lines": [], "notes": [], "refused": exc.message}
    graph = assumers.who_can_assume(details, account, role_arn)
    depth = {node.id: node.depth for node in graph.nodes}
    edges = sorted(graph.edges, key=lambda edge: depth.get(edge.source, 0))
    return {
        "svg": assumers_svg.render(graph),
        "lines": [edge.explanation for edge in edges],
        "notes": list(graph.notes),
        "refused": "",
    }
