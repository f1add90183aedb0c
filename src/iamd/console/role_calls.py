"""What the roles pages share: every page of a List operation, a read that may be refused,
a role's URL, and times as people read them.

All of it goes through ``visit.call``, so the pages see exactly what the signed-in person
may see.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from typing import Any

from iamd.console.role_trust import parse_document
from iamd.console.web import Visit
from iamd.errors import ServiceError

MAX_PAGES = 1000  # with MaxItems 1000: a million items; a marker that loops stops here
SERVICE_ROLE_PATH = "/aws-service-role/"


def all_pages(visit: Visit, action: str, params: dict[str, Any], key: str) -> list[Any]:
    """``key``'s items from every page of a Marker-paginated IAM List operation."""
    items: list[Any] = []
    asked = dict(params)
    asked.setdefault("MaxItems", 1000)
    for _ in range(MAX_PAGES):
        result = visit.call("iam", action, asked)
        items += result.get(key, [])
        marker = result.get("Marker")
        if not result.get("IsTruncated") or not marker or marker == asked.get("Marker"):
            break
        asked["Marker"] = marker
    return items


def attempt(
    visit: Visit, action: str, params: dict[str, Any], key: str | None = None
) -> tuple[Any, str]:
    """``(result, "")``, or ``(None, AWS's message)`` when the call is refused or fails;
    with ``key``, every page's items of that key."""
    try:
        if key is not None:
            return all_pages(visit, action, params, key), ""
        return visit.call("iam", action, params), ""
    except ServiceError as exc:
        return None, exc.message


def role_url(name: str) -> str:
    """The role's page; a role named ``create`` gets the trailing slash the form has not."""
    url = "/console/roles/" + urllib.parse.quote(name, safe="")
    return url + "/" if name.lower() == "create" else url


def is_service_linked(role: dict[str, Any]) -> bool:
    return str(role.get("Path", "")).startswith(SERVICE_ROLE_PATH)


def when(value: object) -> str:
    """``2026-12-04 07:52:40 UTC``; a dash for nothing."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return "—" if value in (None, "") else str(value)


def hours(seconds: object) -> str:
    try:
        count = int(str(seconds))
    except ValueError:
        return str(seconds)
    whole, rest = divmod(count, 3600)
    if rest:
        return f"{count} seconds"
    return f"{whole} hour" + ("" if whole == 1 else "s")


def pretty(document: object) -> str:
    parsed = parse_document(document)
    return json.dumps(parsed, indent=2) if parsed is not None else str(document)


def inline_policies(visit: Visit, name: str) -> tuple[list[dict[str, str]], str]:
    names, refused = attempt(visit, "ListRolePolicies", {"RoleName": name}, key="PolicyNames")
    if names is None:
        return [], refused
    found = []
    for policy in names:
        got, why = attempt(visit, "GetRolePolicy", {"RoleName": name, "PolicyName": policy})
        document = pretty(got["PolicyDocument"]) if got else f"Not shown: {why}"
        found.append({"name": policy, "document": document})
    return found, ""


def attachable_policies(visit: Visit) -> tuple[list[dict[str, Any]], str]:
    """Managed policies a customer role may attach (not the service-role ones AWS refuses),
    by name; or AWS's message when they cannot be listed."""
    listed, refused = attempt(visit, "ListPolicies", {}, key="Policies")
    usable = [p for p in listed or [] if not str(p.get("Path", "")).startswith(SERVICE_ROLE_PATH)]
    return sorted(usable, key=lambda p: str(p["PolicyName"]).lower()), refused
