"""Service-linked roles: the roles under ``/aws-service-role/``, shown read only with their
permissions, and their deletion: DeleteServiceLinkedRole starts a task, whose status
(GetServiceLinkedRoleDeletionStatus: SUCCEEDED, or FAILED with the reason and the
resources still using the role) the page shows next.

Only the service may change its role, so there is no edit form here or on the role's
page; deleting is the one change a customer may ask for.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from iamd.console.role_calls import (
    SERVICE_ROLE_PATH,
    all_pages,
    attempt,
    inline_policies,
    role_url,
    when,
)
from iamd.console.web import Visit, page
from iamd.errors import ServiceError

PAGE = "/console/service-linked-roles"
MAX_TASK_ID = 512


def service_of(path: str) -> str:
    """``/aws-service-role/ecs.amazonaws.com/`` -> ``ecs.amazonaws.com``."""
    return path[len(SERVICE_ROLE_PATH) :].strip("/")


def described(visit: Visit, role: dict[str, Any]) -> dict[str, Any]:
    name = role["RoleName"]
    inline, inline_refused = inline_policies(visit, name)
    attached, attached_refused = attempt(
        visit, "ListAttachedRolePolicies", {"RoleName": name}, key="AttachedPolicies"
    )
    return {
        "name": name,
        "url": role_url(name),
        "arn": role["Arn"],
        "service": service_of(role.get("Path", "")),
        "description": role.get("Description") or "",
        "created": when(role.get("CreateDate")),
        "inline": inline,
        "attached": attached or [],
        "refused": [m for m in (inline_refused, attached_refused) if m],
    }


def deletion_status(visit: Visit) -> dict[str, Any] | None:
    task = visit.request.query_params.get("task", "")[:MAX_TASK_ID]
    if not task:
        return None
    found = visit.call("iam", "GetServiceLinkedRoleDeletionStatus", {"DeletionTaskId": task})
    reason = found.get("Reason") or {}
    return {
        "task": task,
        "status": found["Status"],
        "reason": reason.get("Reason", ""),
        "usage": reason.get("RoleUsageList", []),
    }


def show(
    visit: Visit, status: int = 200, problem: ServiceError | None = None, note: str = ""
) -> Response:
    roles = all_pages(visit, "ListRoles", {"PathPrefix": SERVICE_ROLE_PATH}, "Roles")
    task = None
    if problem is None and not note:
        try:
            task = deletion_status(visit)
        except ServiceError as exc:
            status, problem = exc.http_status, exc
    return visit.render(
        "slr.html",
        status=status,
        roles=[described(visit, r) for r in roles],
        task=task,
        problem=problem,
        note=note,
    )


@page(PAGE)
async def service_linked_roles(visit: Visit) -> Response:
    return show(visit)


@page(PAGE + "/{name}/delete", ("POST",))
async def delete_service_linked_role(visit: Visit) -> Response:
    name = visit.path_name
    if await visit.field("acknowledge") != "yes":
        return show(visit, status=400, note=f"Tick the box to delete {name}; nothing was deleted.")
    try:
        started = visit.call("iam", "DeleteServiceLinkedRole", {"RoleName": name})
    except ServiceError as exc:
        return show(visit, status=exc.http_status, problem=exc)
    return visit.redirect(PAGE + "?" + urlencode({"task": started["DeletionTaskId"]}))
