"""The policy simulator: SimulatePrincipalPolicy for a user, group or role of the account
(with any pasted policies added), or SimulateCustomPolicy for pasted documents alone;
the results show each decision, the statements that made it and the context keys the
policies asked for and did not get."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from iamd.console.calls import described, lines, listed
from iamd.console.web import MAX_FORM_BYTES, Visit, page
from iamd.errors import ServiceError
from iamd.policy.simulate import CONTEXT_KEY_TYPES

CUSTOM = "custom"
SEPARATOR = "---"  # a line of its own between pasted documents


def documents(value: str) -> list[str]:
    """The pasted documents, split at lines holding only ``---``."""
    found: list[list[str]] = [[]]
    for line in value.splitlines():
        if line.strip() == SEPARATOR:
            found.append([])
        else:
            found[-1].append(line)
    return [text for text in ("\n".join(d).strip() for d in found) if text]


def context_entries(value: str) -> list[dict[str, Any]]:
    """``key = v1, v2`` or ``key (type) = value`` per line, as ContextEntries; a value
    the type does not allow is the operation's to refuse, in AWS's words."""
    entries = []
    for line in lines(value):
        left, _, right = line.partition("=")
        key, kind = left.strip(), "string"
        if key.endswith(")") and "(" in key:
            key, _, named = key[:-1].rpartition("(")
            key, kind = key.strip(), named.strip()
        values = [v.strip() for v in right.split(",")] if kind.endswith("List") else [right.strip()]
        entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": kind})
    return entries


def _principals(visit: Visit) -> list[tuple[str, list[tuple[str, str]]]]:
    """(label, [(ARN, name)]) for the users, groups and roles the person may list."""
    kinds = (
        ("Users", "ListUsers", "UserName"),
        ("Groups", "ListGroups", "GroupName"),
        ("Roles", "ListRoles", "RoleName"),
    )
    found = []
    for label, action, key in kinds:
        items, _ = listed(visit, action, {}, label)
        found.append((label, [(item["Arn"], item[key]) for item in items]))
    return found


def _render(visit: Visit, status: int, **values: Any) -> Response:
    form = {"source": "", "actions": "", "resources": "*", "context": "", "policies": ""}
    defaults = {"results": None, "error": "", **form}
    return visit.render(
        "simulator.html",
        status=status,
        principals=_principals(visit),
        custom=CUSTOM,
        types=CONTEXT_KEY_TYPES,
        **{**defaults, **values},
    )


@page("/console/simulator")
async def simulator(visit: Visit) -> Response:
    return _render(visit, 200)


@page("/console/simulator", ("POST",))
async def simulate(visit: Visit) -> Response:
    form = {
        name: (await visit.field(name))[:MAX_FORM_BYTES]
        for name in ("source", "actions", "resources", "context", "policies")
    }
    params: dict[str, Any] = {
        "ActionNames": lines(form["actions"]),
        "ResourceArns": lines(form["resources"]) or ["*"],
    }
    if form["context"].strip():
        params["ContextEntries"] = context_entries(form["context"])
    pasted = documents(form["policies"])
    if pasted:
        params["PolicyInputList"] = pasted
    try:
        if form["source"] == CUSTOM:
            answer = visit.call("iam", "SimulateCustomPolicy", params)
        else:
            params["PolicySourceArn"] = form["source"]
            answer = visit.call("iam", "SimulatePrincipalPolicy", params)
    except ServiceError as exc:
        return _render(visit, exc.http_status, error=described(exc), **form)
    return _render(visit, 200, results=answer.get("EvaluationResults", []), **form)
