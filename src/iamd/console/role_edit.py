"""The role page's forms: settings (UpdateRole), the trust policy
(UpdateAssumeRolePolicy), tags (TagRole/UntagRole), managed policies
(Attach/DetachRolePolicy), inline policies (Put/DeleteRolePolicy), the permissions
boundary (Put/DeleteRolePermissionsBoundary), "Revoke active sessions" and DeleteRole.

Each form is one small function registered with ``@edit``: it calls the operation as the
signed-in person; success redirects to the role page with a ``done`` flash, and a refusal
shows the role page again with AWS's code and message (status the error's) and the text
the person typed kept. "Revoke active sessions" does what AWS's console does: the inline
policy ``AWSRevokeOlderSessions`` denying everything to sessions issued before now.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from starlette.responses import Response

from iamd.console import role_detail
from iamd.console.role_calls import role_url
from iamd.console.web import Visit, page
from iamd.errors import ServiceError
from iamd.sts.revoke import POLICY_NAME, revocation_moment, revocation_policy

Form = dict[str, list[str]]
Change = Callable[[Visit, str, Form], str]  # -> the role page's ``done`` key


class NotConfirmed(Exception):
    """The form's confirmation was not given; the message says what to do."""


def one(form: Form, name: str) -> str:
    return form.get(name, [""])[0]


def edit(suffix: str) -> Callable[[Change], Change]:
    """Register ``change`` as the POST handler of ``/console/roles/{name}/SUFFIX``."""

    def register(change: Change) -> Change:
        async def handler(visit: Visit) -> Response:
            name = visit.path_name
            form = await visit.form()
            try:
                done = change(visit, name, form)
            except NotConfirmed as exc:
                return role_detail.show(visit, name, status=400, note=str(exc), kept=form)
            except ServiceError as exc:
                return refused(visit, name, exc, form)
            if done == "deleted":
                return visit.redirect("/console/roles?" + urlencode({"deleted": name}))
            return visit.redirect(f"{role_url(name)}?done={done}")

        handler.__name__ = change.__name__
        page(f"/console/roles/{{name}}/{suffix}", ("POST",))(handler)
        return change

    return register


def refused(visit: Visit, name: str, exc: ServiceError, form: Form) -> Response:
    """The role page with the refusal on it; the error page when the role cannot be shown."""
    try:
        return role_detail.show(visit, name, status=exc.http_status, problem=exc, kept=form)
    except ServiceError:
        return visit.render(
            "error.html", status=exc.http_status, title=exc.code, message=exc.message
        )


@edit("settings")
def update_settings(visit: Visit, name: str, form: Form) -> str:
    hours = one(form, "max_hours")
    params: dict[str, object] = {"RoleName": name, "Description": one(form, "description")}
    if hours.isdigit():
        params["MaxSessionDuration"] = int(hours) * 3600
    visit.call("iam", "UpdateRole", params)
    return "updated"


@edit("trust")
def update_trust(visit: Visit, name: str, form: Form) -> str:
    document = one(form, "trust_policy")
    visit.call("iam", "UpdateAssumeRolePolicy", {"RoleName": name, "PolicyDocument": document})
    return "trust"


@edit("tags/add")
def add_tag(visit: Visit, name: str, form: Form) -> str:
    tag = {"Key": one(form, "tag_key"), "Value": one(form, "tag_value")}
    visit.call("iam", "TagRole", {"RoleName": name, "Tags": [tag]})
    return "tagged"


@edit("tags/remove")
def remove_tag(visit: Visit, name: str, form: Form) -> str:
    visit.call("iam", "UntagRole", {"RoleName": name, "TagKeys": [one(form, "tag_key")]})
    return "untagged"


@edit("policies/attach")
def attach_policy(visit: Visit, name: str, form: Form) -> str:
    params = {"RoleName": name, "PolicyArn": one(form, "policy_arn")}
    visit.call("iam", "AttachRolePolicy", params)
    return "attached"


@edit("policies/detach")
def detach_policy(visit: Visit, name: str, form: Form) -> str:
    params = {"RoleName": name, "PolicyArn": one(form, "policy_arn")}
    visit.call("iam", "DetachRolePolicy", params)
    return "detached"


@edit("inline/put")
def put_inline(visit: Visit, name: str, form: Form) -> str:
    params = {
        "RoleName": name,
        "PolicyName": one(form, "inline_name"),
        "PolicyDocument": one(form, "inline_document"),
    }
    visit.call("iam", "PutRolePolicy", params)
    return "inline"


@edit("inline/delete")
def delete_inline(visit: Visit, name: str, form: Form) -> str:
    params = {"RoleName": name, "PolicyName": one(form, "inline_name")}
    visit.call("iam", "DeleteRolePolicy", params)
    return "inline-deleted"


@edit("boundary/put")
def put_boundary(visit: Visit, name: str, form: Form) -> str:
    params = {"RoleName": name, "PermissionsBoundary": one(form, "boundary_arn")}
    visit.call("iam", "PutRolePermissionsBoundary", params)
    return "boundary"


@edit("boundary/delete")
def delete_boundary(visit: Visit, name: str, form: Form) -> str:
    visit.call("iam", "DeleteRolePermissionsBoundary", {"RoleName": name})
    return "boundary-deleted"


@edit("revoke")
def revoke_sessions(visit: Visit, name: str, form: Form) -> str:
    if one(form, "acknowledge") != "yes":
        raise NotConfirmed(
            "Tick the acknowledgement to revoke the role's active sessions; nothing was changed."
        )
    document = revocation_policy(revocation_moment(visit.console.now()))
    params = {"RoleName": name, "PolicyName": POLICY_NAME, "PolicyDocument": document}
    visit.call("iam", "PutRolePolicy", params)
    return "revoked"


@edit("delete")
def delete_role(visit: Visit, name: str, form: Form) -> str:
    if one(form, "confirm") != name:
        raise NotConfirmed(f"Type the role name {name} to confirm; nothing was deleted.")
    visit.call("iam", "DeleteRole", {"RoleName": name})
    return "deleted"
