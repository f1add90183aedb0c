"""Switch role, as AWS's console does it.

The form takes an account (id or alias), a role name, a display name and a colour, or the
same as a link (``/console/switchrole?account=...&roleName=...&displayName=...``). Switching
calls STS AssumeRole as the person who signed in (never from another switched role: the
original identity is kept and used, as AWS does), for one hour, with the person's name as
the session name. The trust policy and, across accounts, the person's own identity policy
decide, so a refusal is AWS's AccessDenied. The header then shows the role's display name
in its colour; the five most recent roles are offered again; "Back" returns to the identity
that signed in.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from iamd.console.session import Identity, RecentRole
from iamd.console.web import Visit, page
from iamd.errors import ServiceError
from iamd.iam import sign_in
from iamd.sts.sessions import epoch

COLOURS = ("red", "orange", "yellow", "green", "blue")
SWITCH_SECONDS = 3600
INVALID = (
    "Invalid information in one or more fields. "
    "Check your information or contact your administrator."
)
_ROLE_NAME = re.compile(r"[\w+=,.@/-]{1,512}")


def _form(visit: Visit, status: int = 200, error: str = "", **values: str) -> Response:
    query = visit.request.query_params
    defaults = {
        "account": query.get("account", "")[:63],
        "role": query.get("roleName", "")[:512],
        "display": query.get("displayName", "")[:64],
        "colour": query.get("color", query.get("colour", "blue")),
    }
    defaults.update(values)
    if defaults["colour"] not in COLOURS:
        defaults["colour"] = "blue"
    return visit.render("switch_role.html", status=status, error=error, colours=COLOURS, **defaults)


@page("/console/switchrole")
async def switch_role_form(visit: Visit) -> Response:
    return _form(visit)


@page("/console/switchrole", ("POST",))
async def switch_role(visit: Visit) -> Response:
    assert visit.session is not None and visit.session.identity is not None
    account = (await visit.field("account")).strip()[:63]
    role = (await visit.field("role")).strip()[:512]
    display = (await visit.field("display")).strip()[:64]
    colour = await visit.field("colour", "blue")
    colour = colour if colour in COLOURS else "blue"
    values = {"account": account, "role": role, "display": display, "colour": colour}
    rt = visit.console.runtime
    account_id = rt.database.run(False, lambda conn: sign_in.resolve_account(conn, account))
    if account_id is None or not _ROLE_NAME.fullmatch(role):
        error = INVALID
        return _form(visit, 400, error, **values)
    me = visit.session.original or visit.session.identity
    session_name = me.arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1][:64] or "console"
    arn = f"arn:aws:iam::{account_id}:role/{role.strip('/')}"
    try:
        result = visit.console.client.call(
            visit.request,
            me,
            "sts",
            "AssumeRole",
            {"RoleArn": arn, "RoleSessionName": session_name, "DurationSeconds": SWITCH_SECONDS},
        )
    except ServiceError as exc:
        return _form(visit, exc.http_status, f"{exc.code}: {exc.message}", **values)
    creds = result["Credentials"]
    identity = Identity(
        creds["AccessKeyId"],
        creds["SessionToken"],
        epoch(creds["Expiration"]),
        result["AssumedRoleUser"]["Arn"],
        account_id,
    )
    shown = display or f"{role.rsplit('/', 1)[-1]} @ {account}"
    recent = RecentRole(account, role, shown, colour)
    visit.set_session = visit.session.switched_to(identity, recent)
    return visit.redirect("/console")


@page("/console/switchrole/back", ("POST",))
async def switch_back(visit: Visit) -> Response:
    assert visit.session is not None
    await visit.form()
    visit.set_session = visit.session.switched_back()
    return visit.redirect("/console")
