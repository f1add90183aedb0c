"""Managed policies: the customer managed and AWS managed lists, a policy's page (its
default version's document, versions, attachments), creating a policy or a new version
in the editor (``policy_editor``), and deleting a policy."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from iamd.console.calls import (
    PAGE_SIZE,
    attempt,
    described,
    every,
    listed,
    matching,
    named_in_query,
    search,
    text,
)
from iamd.console.policy_editor import findings, size_limit
from iamd.console.web import MAX_FORM_BYTES, Visit, page
from iamd.errors import ServiceError

SCOPES = {"Local": "Customer managed", "AWS": "AWS managed"}


def policy_url(arn: str) -> str:
    return "/console/policies/view?" + urlencode({"arn": arn})


def _arn(visit: Visit) -> str:
    return visit.request.query_params.get("arn", "")[:2048]


@page("/console/policies")
async def list_policies(visit: Visit) -> Response:
    scope = visit.request.query_params.get("scope", "Local")
    scope = scope if scope in SCOPES else "Local"
    query = search(visit)
    policies = matching(
        every(visit, "ListPolicies", {"Scope": scope}, "Policies"), "PolicyName", query
    )
    deleted = named_in_query(visit, "deleted")
    if deleted:
        visit.flashes.append(("ok", f"Policy {deleted} deleted."))
    return visit.render("policies.html", policies=policies, q=query, scope=scope, scopes=SCOPES)


@page("/console/policies/view")
async def show_policy(visit: Visit) -> Response:
    arn = _arn(visit)
    policy = visit.call("iam", "GetPolicy", {"PolicyArn": arn})["Policy"]
    version = visit.call(
        "iam", "GetPolicyVersion", {"PolicyArn": arn, "VersionId": policy["DefaultVersionId"]}
    )["PolicyVersion"]
    done = visit.request.query_params.get("done", "")
    if done in ("created", "version"):
        visit.flashes.append(("ok", "Policy created." if done == "created" else "Version created."))
    named = {"PolicyArn": arn}
    return visit.render(
        "policies_show.html",
        policy=policy,
        document=_pretty(version["Document"]),
        versions=listed(visit, "ListPolicyVersions", named, "Versions"),
        entities=attempt(visit, "ListEntitiesForPolicy", {**named, "MaxItems": PAGE_SIZE}),
    )


def _pretty(document: str) -> str:
    """The document indented, as the editor starts from it."""
    try:
        return json.dumps(json.loads(document), indent=2)
    except ValueError:
        return document


def _editor(visit: Visit, status: int = 200, **values: Any) -> Response:
    values.setdefault("error", "")
    values.setdefault("findings", [])
    values.setdefault("limit", size_limit(visit))
    return visit.render("policies_edit.html", status=status, **values)


STARTER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "", "Resource": "*"}],
    },
    indent=2,
)


@page("/console/policies/new")
async def new_policy(visit: Visit) -> Response:
    return _editor(visit, arn="", name="", description="", document=STARTER, default=True)


@page("/console/policies", ("POST",))
async def create_policy(visit: Visit) -> Response:
    name, description = await text(visit, "name", 128), await text(visit, "description", 1000)
    document = (await visit.field("document"))[:MAX_FORM_BYTES]
    values = {"arn": "", "name": name, "description": description, "document": document}
    found = findings(document, size_limit(visit))
    if found:
        return _editor(visit, 400, findings=found, default=True, **values)
    params = {"PolicyName": name, "PolicyDocument": document}
    if description:
        params["Description"] = description
    try:
        created = visit.call("iam", "CreatePolicy", params)["Policy"]
    except ServiceError as exc:
        return _editor(visit, exc.http_status, error=described(exc), default=True, **values)
    return visit.redirect(policy_url(created["Arn"]) + "&done=created")


@page("/console/policies/version")
async def new_version(visit: Visit) -> Response:
    arn = _arn(visit)
    policy = visit.call("iam", "GetPolicy", {"PolicyArn": arn})["Policy"]
    version = visit.call(
        "iam", "GetPolicyVersion", {"PolicyArn": arn, "VersionId": policy["DefaultVersionId"]}
    )["PolicyVersion"]
    return _editor(
        visit,
        arn=arn,
        name=policy["PolicyName"],
        description="",
        document=_pretty(version["Document"]),
        default=True,
    )


@page("/console/policies/version", ("POST",))
async def create_version(visit: Visit) -> Response:
    arn = (await visit.field("arn"))[:2048]
    name = await text(visit, "name", 128)
    document = (await visit.field("document"))[:MAX_FORM_BYTES]
    default = (await visit.field("default")) == "on"
    values = {"arn": arn, "name": name, "description": "", "document": document}
    found = findings(document, size_limit(visit))
    if found:
        return _editor(visit, 400, findings=found, default=default, **values)
    params = {"PolicyArn": arn, "PolicyDocument": document, "SetAsDefault": default}
    try:
        visit.call("iam", "CreatePolicyVersion", params)
    except ServiceError as exc:
        return _editor(visit, exc.http_status, error=described(exc), default=default, **values)
    return visit.redirect(policy_url(arn) + "&done=version")


@page("/console/policies/delete", ("POST",))
async def delete_policy(visit: Visit) -> Response:
    """DeletePolicy after its other versions (AWS answers DeleteConflict while a policy
    has any); a policy still in use goes straight to DeletePolicy, whose DeleteConflict
    leaves every version in place."""
    arn = (await visit.field("arn"))[:2048]
    policy = visit.call("iam", "GetPolicy", {"PolicyArn": arn})["Policy"]
    in_use = policy.get("AttachmentCount") or policy.get("PermissionsBoundaryUsageCount")
    versions = [] if in_use else every(visit, "ListPolicyVersions", {"PolicyArn": arn}, "Versions")
    for version in versions:
        if not version["IsDefaultVersion"]:
            params = {"PolicyArn": arn, "VersionId": version["VersionId"]}
            visit.call("iam", "DeletePolicyVersion", params)
    visit.call("iam", "DeletePolicy", {"PolicyArn": arn})
    return visit.redirect("/console/policies?" + urlencode({"deleted": policy["PolicyName"]}))
