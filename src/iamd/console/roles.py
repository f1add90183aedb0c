"""The roles list: every role the signed-in person may list (ListRoles, all pages), with a
search over name, path and ARN, who each role trusts, and when it was last used.

ListRoles carries no RoleLastUsed (AWS leaves it out); one GetAccountAuthorizationDetails
call per thousand roles does, so the list asks for it when the person may read it and
says so when they may not, rather than calling GetRole once per role.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from iamd.console import role_trust
from iamd.console.role_calls import all_pages, attempt, hours, role_url, when
from iamd.console.web import Visit, page

MAX_QUERY = 128
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


def matches(role: dict[str, Any], query: str) -> bool:
    needle = query.casefold()
    return any(needle in str(role.get(k, "")).casefold() for k in ("RoleName", "Path", "Arn"))


def last_used_by_arn(visit: Visit) -> tuple[dict[str, dict[str, Any]], str]:
    details, refused = attempt(
        visit, "GetAccountAuthorizationDetails", {"Filter": ["Role"]}, key="RoleDetailList"
    )
    if details is None:
        return {}, refused
    return {d["Arn"]: d.get("RoleLastUsed") or {} for d in details}, ""


@page("/console/roles")
async def list_roles(visit: Visit) -> Response:
    query = visit.request.query_params.get("q", "")[:MAX_QUERY].strip()
    roles = all_pages(visit, "ListRoles", {}, "Roles")
    shown = [r for r in roles if matches(r, query)] if query else roles
    last_used, refused = last_used_by_arn(visit) if shown else ({}, "")
    account = visit.session.identity.account_id if visit.session and visit.session.identity else ""
    rows = [
        {
            "name": r["RoleName"],
            "url": role_url(r["RoleName"]),
            "path": r.get("Path", "/"),
            "trusted": role_trust.summary(r.get("AssumeRolePolicyDocument"), account),
            "last_used": when(last_used.get(r["Arn"], {}).get("LastUsedDate")),
            "created": when(r.get("CreateDate")),
            "duration": hours(r.get("MaxSessionDuration", 3600)),
        }
        for r in shown
    ]
    deleted = visit.request.query_params.get("deleted", "")
    if ROLE_NAME.fullmatch(deleted):
        visit.flashes.append(("ok", f"Role {deleted} deleted."))
    return visit.render(
        "roles.html", rows=rows, query=query, total=len(roles), last_used_refused=refused
    )
