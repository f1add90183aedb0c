"""The console's home page: who you are, and the account at a glance."""

from __future__ import annotations

from starlette.responses import Response

from iamd.console.web import Visit, page
from iamd.errors import ServiceError


@page("/console")
async def home(visit: Visit) -> Response:
    identity = visit.call("sts", "GetCallerIdentity")
    try:
        summary = visit.call("iam", "GetAccountSummary").get("SummaryMap", {})
        refused = ""
    except ServiceError as exc:
        summary, refused = {}, exc.message
    return visit.render("home.html", identity=identity, summary=summary, refused=refused)
