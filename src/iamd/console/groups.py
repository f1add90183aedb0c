"""User groups: the list (with a filter) and a create form, a group's page (members,
policies), adding and removing members, deleting a group."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.responses import Response

from iamd.console.calls import (
    MAX_PAGES,
    PAGE_SIZE,
    described,
    every,
    listed,
    matching,
    named_in_query,
    search,
    text,
)
from iamd.console.web import Visit, page
from iamd.errors import ServiceError


def group_url(name: str) -> str:
    return "/console/groups/" + quote(name, safe="")


def _list(visit: Visit, status: int = 200, error: str = "", name: str = "") -> Response:
    query = search(visit)
    groups = matching(every(visit, "ListGroups", {}, "Groups"), "GroupName", query)
    deleted = named_in_query(visit, "deleted")
    if deleted:
        visit.flashes.append(("ok", f"Group {deleted} deleted."))
    return visit.render(
        "groups.html", status=status, groups=groups, q=query, error=error, name=name
    )


@page("/console/groups")
async def list_groups(visit: Visit) -> Response:
    return _list(visit)


@page("/console/groups", ("POST",))
async def create_group(visit: Visit) -> Response:
    name, path = await text(visit, "name", 128), await text(visit, "path", 512)
    try:
        visit.call("iam", "CreateGroup", {"GroupName": name, **({"Path": path} if path else {})})
    except ServiceError as exc:
        return _list(visit, exc.http_status, described(exc), name)
    return visit.redirect(group_url(name) + "?done=created")


DONE = {
    "created": "Group {} created.",
    "added": "User added to {}.",
    "removed": "User removed from {}.",
}


def _group(visit: Visit, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """GetGroup's group and all its members (the members come in pages)."""
    got = visit.call("iam", "GetGroup", {"GroupName": name, "MaxItems": PAGE_SIZE})
    group, members = got["Group"], list(got["Users"])
    for _ in range(MAX_PAGES):
        if not got.get("IsTruncated"):
            break
        paged = {"GroupName": name, "MaxItems": PAGE_SIZE, "Marker": got["Marker"]}
        got = visit.call("iam", "GetGroup", paged)
        members += got["Users"]
    return group, members


@page("/console/groups/{name}")
async def show_group(visit: Visit) -> Response:
    name = visit.path_name
    group, members = _group(visit, name)
    done = DONE.get(visit.request.query_params.get("done", ""))
    if done:
        visit.flashes.append(("ok", done.format(name)))
    named = {"GroupName": name}
    users, _ = listed(visit, "ListUsers", {}, "Users")
    inside = {m["UserName"] for m in members}
    return visit.render(
        "groups_show.html",
        group=group,
        members=members,
        candidates=[u for u in users if u["UserName"] not in inside],
        inline=listed(visit, "ListGroupPolicies", named, "PolicyNames"),
        attached=listed(visit, "ListAttachedGroupPolicies", named, "AttachedPolicies"),
    )


@page("/console/groups/{name}/members", ("POST",))
async def add_member(visit: Visit) -> Response:
    name = visit.path_name
    user = await text(visit, "user", 128)
    visit.call("iam", "AddUserToGroup", {"GroupName": name, "UserName": user})
    return visit.redirect(group_url(name) + "?done=added")


@page("/console/groups/{name}/members/remove", ("POST",))
async def remove_member(visit: Visit) -> Response:
    name = visit.path_name
    user = await text(visit, "user", 128)
    visit.call("iam", "RemoveUserFromGroup", {"GroupName": name, "UserName": user})
    return visit.redirect(group_url(name) + "?done=removed")


@page("/console/groups/{name}/delete", ("POST",))
async def delete_group(visit: Visit) -> Response:
    """DeleteGroup after what AWS's console removes first (members, policies), each
    through its own operation."""
    name = visit.path_name
    await visit.form()
    named = {"GroupName": name}
    for user in _group(visit, name)[1]:
        visit.call("iam", "RemoveUserFromGroup", {**named, "UserName": user["UserName"]})
    for policy in every(visit, "ListGroupPolicies", named, "PolicyNames"):
        visit.call("iam", "DeleteGroupPolicy", {**named, "PolicyName": policy})
    for attached in every(visit, "ListAttachedGroupPolicies", named, "AttachedPolicies"):
        visit.call("iam", "DetachGroupPolicy", {**named, "PolicyArn": attached["PolicyArn"]})
    visit.call("iam", "DeleteGroup", named)
    return visit.redirect("/console/groups?" + urlencode({"deleted": name}))
