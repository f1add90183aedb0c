"""Users: the list (with a filter), a user's page, creating one (with an optional console
password) and deleting one, adding a user to a group."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.responses import Response

from iamd.console.calls import (
    attempt,
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


def user_url(name: str) -> str:
    return "/console/users/" + quote(name, safe="")


@page("/console/users")
async def list_users(visit: Visit) -> Response:
    query = search(visit)
    users = matching(every(visit, "ListUsers", {}, "Users"), "UserName", query)
    deleted = named_in_query(visit, "deleted")
    if deleted:
        visit.flashes.append(("ok", f"User {deleted} deleted."))
    return visit.render("users.html", users=users, q=query)


@page("/console/users/new")
async def new_user(visit: Visit) -> Response:
    return _user_form(visit)


def _user_form(visit: Visit, status: int = 200, error: str = "", **values: object) -> Response:
    groups, _ = listed(visit, "ListGroups", {}, "Groups")
    form = {"name": "", "path": "", "console": False, "reset": True, "chosen": [], **values}
    return visit.render("users_new.html", status=status, error=error, groups=groups, **form)


@page("/console/users", ("POST",))
async def create_user(visit: Visit) -> Response:
    name, path = await text(visit, "name", 128), await text(visit, "path", 512)
    console = (await visit.field("console")) == "on"
    reset = (await visit.field("reset")) == "on"
    password = (await visit.field("password"))[:128]
    chosen = (await visit.form()).get("group", [])[:10]
    created = False
    try:
        visit.call("iam", "CreateUser", {"UserName": name, **({"Path": path} if path else {})})
        created = True
        if console:
            profile = {"UserName": name, "Password": password, "PasswordResetRequired": reset}
            visit.call("iam", "CreateLoginProfile", profile)
        for group in chosen:
            visit.call("iam", "AddUserToGroup", {"UserName": name, "GroupName": group})
    except ServiceError as exc:
        if created:  # the rest is the user's page's to finish: say what was done
            return _user_form(
                visit, exc.http_status, f"User {name} was created, but {described(exc)}"
            )
        return _user_form(
            visit,
            exc.http_status,
            described(exc),
            name=name,
            path=path,
            console=console,
            reset=reset,
            chosen=chosen,
        )
    return visit.redirect(user_url(name) + "?created=1")


@page("/console/users/{name}")
async def show_user(visit: Visit) -> Response:
    name = visit.path_name
    user = visit.call("iam", "GetUser", {"UserName": name})["User"]
    if visit.request.query_params.get("created"):
        visit.flashes.append(("ok", f"User {name} created."))
    if visit.request.query_params.get("added"):
        visit.flashes.append(("ok", f"{name} added to the group."))
    named = {"UserName": name}
    profile, _ = attempt(visit, "GetLoginProfile", named)
    groups = listed(visit, "ListGroupsForUser", named, "Groups")
    all_groups, _ = listed(visit, "ListGroups", {}, "Groups")
    inside = {g["GroupName"] for g in groups[0]}
    return visit.render(
        "users_show.html",
        user=user,
        groups=groups,
        inline=listed(visit, "ListUserPolicies", named, "PolicyNames"),
        attached=listed(visit, "ListAttachedUserPolicies", named, "AttachedPolicies"),
        keys=listed(visit, "ListAccessKeys", named, "AccessKeyMetadata"),
        mfa=listed(visit, "ListMFADevices", named, "MFADevices"),
        tags=listed(visit, "ListUserTags", named, "Tags"),
        profile=profile["LoginProfile"] if profile else None,
        all_groups=[g for g in all_groups if g["GroupName"] not in inside],
    )


@page("/console/users/{name}/groups", ("POST",))
async def add_to_group(visit: Visit) -> Response:
    name = visit.path_name
    group = await text(visit, "group", 128)
    visit.call("iam", "AddUserToGroup", {"UserName": name, "GroupName": group})
    return visit.redirect(user_url(name) + "?added=1")


@page("/console/users/{name}/delete", ("POST",))
async def delete_user(visit: Visit) -> Response:
    """DeleteUser after what AWS's console removes first (the password, access keys,
    group memberships, policies, MFA devices): each through its own operation, so a
    person allowed only some of them is refused at the first they may not do."""
    name = visit.path_name
    await visit.form()
    named = {"UserName": name}
    profile, _ = attempt(visit, "GetLoginProfile", named)
    if profile:
        visit.call("iam", "DeleteLoginProfile", named)
    for key in every(visit, "ListAccessKeys", named, "AccessKeyMetadata"):
        visit.call("iam", "DeleteAccessKey", {**named, "AccessKeyId": key["AccessKeyId"]})
    for device in every(visit, "ListMFADevices", named, "MFADevices"):
        visit.call("iam", "DeactivateMFADevice", {**named, "SerialNumber": device["SerialNumber"]})
    for group in every(visit, "ListGroupsForUser", named, "Groups"):
        visit.call("iam", "RemoveUserFromGroup", {**named, "GroupName": group["GroupName"]})
    for policy in every(visit, "ListUserPolicies", named, "PolicyNames"):
        visit.call("iam", "DeleteUserPolicy", {**named, "PolicyName": policy})
    for attached in every(visit, "ListAttachedUserPolicies", named, "AttachedPolicies"):
        visit.call("iam", "DetachUserPolicy", {**named, "PolicyArn": attached["PolicyArn"]})
    visit.call("iam", "DeleteUser", named)
    return visit.redirect("/console/users?" + urlencode({"deleted": name}))
