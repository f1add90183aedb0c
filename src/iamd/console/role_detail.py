"""A role's page: its summary, permissions (inline and managed policies, the boundary),
trust relationships (the JSON and a picture of who may assume it), tags, and the forms
that change them (``role_edit``), revoke its sessions or delete it.

Each section is read with its own List/Get call; a section the person may not read says
so in AWS's words and the rest of the page still shows. A service-linked role is shown
without any edit control: only its service may change it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

# role_create first: its /console/roles/create must be routed before /console/roles/{name}.
from iamd.console import role_create  # noqa: F401  isort: skip
from iamd.console import role_assumers, role_trust, role_trust_svg
from iamd.console.role_calls import (
    attachable_policies,
    attempt,
    hours,
    inline_policies,
    is_service_linked,
    pretty,
    role_url,
    when,
)
from iamd.console.web import Visit, page
from iamd.errors import ServiceError

DONE = {  # ?done=... after a change: what the flash says
    "created": "Role created.",
    "updated": "Role settings saved.",
    "trust": "Trust policy updated.",
    "tagged": "Tag saved.",
    "untagged": "Tag removed.",
    "attached": "Policy attached.",
    "detached": "Policy detached.",
    "inline": "Inline policy saved.",
    "inline-deleted": "Inline policy deleted.",
    "boundary": "Permissions boundary set.",
    "boundary-deleted": "Permissions boundary removed.",
    "revoked": "Active sessions revoked: sessions issued before now are denied every action.",
}


def sections(visit: Visit, role: dict[str, Any]) -> dict[str, Any]:
    """Everything the page shows besides the role itself."""
    name = role["RoleName"]
    account = visit.session.identity.account_id if visit.session and visit.session.identity else ""
    inline, inline_refused = inline_policies(visit, name)
    attached, attached_refused = attempt(
        visit, "ListAttachedRolePolicies", {"RoleName": name}, key="AttachedPolicies"
    )
    tags, tags_refused = attempt(visit, "ListRoleTags", {"RoleName": name}, key="Tags")
    editable = not is_service_linked(role)
    choices = attachable_policies(visit)[0] if editable else []
    trusted = role_trust.trusted_principals(role.get("AssumeRolePolicyDocument"), account)
    return {
        "inline": inline,
        "inline_refused": inline_refused,
        "attached": attached or [],
        "attached_refused": attached_refused,
        "tags": tags or [],
        "tags_refused": tags_refused,
        "policy_choices": choices,
        "trust_json": pretty(role.get("AssumeRolePolicyDocument")),
        "trusted": trusted,
        "picture": role_trust_svg.render(trusted, name, role["Arn"]),
        "assumers": role_assumers.who_can_assume_view(visit, role["Arn"]),
        "editable": editable,
    }


def show(
    visit: Visit,
    name: str,
    status: int = 200,
    problem: ServiceError | None = None,
    note: str = "",
    kept: dict[str, list[str]] | None = None,
) -> Response:
    """The role's page; ``problem`` is a refused change, ``kept`` the form it came with."""
    role = visit.call("iam", "GetRole", {"RoleName": name})["Role"]
    done = DONE.get(visit.request.query_params.get("done", ""))
    if done and problem is None and not note:
        visit.flashes.append(("ok", done))
    last_used = role.get("RoleLastUsed") or {}
    kept = kept or {}
    return visit.render(
        "role_detail.html",
        status=status,
        role=role,
        base=role_url(role["RoleName"]).rstrip("/"),
        created=when(role.get("CreateDate")),
        last_used=when(last_used.get("LastUsedDate")),
        last_region=last_used.get("Region", ""),
        duration=hours(role.get("MaxSessionDuration", 3600)),
        duration_hours=int(role.get("MaxSessionDuration", 3600)) // 3600,
        problem=problem,
        note=note,
        kept={key: values[0] for key, values in kept.items() if values},
        **sections(visit, role),
    )


@page("/console/roles/{name}")
async def role_page(visit: Visit) -> Response:
    return show(visit, visit.path_name)


@page("/console/roles/{name}/")
async def role_page_slash(visit: Visit) -> Response:
    """The same page, for a role whose name (``create``) the create form's URL holds."""
    return show(visit, visit.path_name)
