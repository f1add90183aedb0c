"""IAM's access advisor, read from the audit trail.

GenerateServiceLastAccessedDetails records a job for a user, group, role or managed policy;
GetServiceLastAccessedDetails then lists the services the entity's policies allow with when
each was last used by the entity (or, for a group, its members; for a policy, the users,
groups' members and roles it is attached to), from the audit trail as it is when the job is
read. A job is COMPLETED as soon as it exists: the trail is already indexed.

Which services: those the Allow statements name (``s3:GetObject`` names s3); a wildcard in
the service part (``*``, ``NotAction``) stands for the services iamd itself serves, the only
ones whose use it sees. A use is any request the entity made to the service, allowed or
not, as AWS counts an attempt.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from iamd.errors import InvalidInput, NoSuchEntity, ValidationError
from iamd.iam import naming
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Result, Target, no_resource, operation
from iamd.policy import Effect, PolicyError, PolicyKind, parse_policy
from iamd.store import access_advisor as job_store
from iamd.store import audit_events
from iamd.store import groups as group_store
from iamd.store import policies as policy_store
from iamd.store import roles as role_store
from iamd.store.pagination import InvalidMarker, decode_marker, encode_marker
from iamd.store.users import users_by_id

# The services whose every use iamd sees, by namespace.
SERVED = {
    "iam": "AWS Identity and Access Management",
    "sts": "AWS Security Token Service",
    "cloudtrail": "AWS CloudTrail",
    "rolesanywhere": "IAM Roles Anywhere",
}
DEFAULT_MAX_ITEMS = 100
_NAMESPACE = re.compile(r"^[a-z0-9-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str  # USER | ROLE | GROUP | POLICY
    arn: str
    name: str
    entity_id: str
    path: str


@dataclass(frozen=True, slots=True)
class Grant:
    namespace: str
    policy_name: str
    policy_type: str  # INLINE | MANAGED
    policy_arn: str | None
    entity_type: str | None  # USER | ROLE | GROUP, for an inline policy
    entity_name: str | None


def _arn_target(ctx: OperationContext, params: Params) -> Target:
    return Target(str(params["Arn"]), account=ctx.account_id)


@operation("iam", "GenerateServiceLastAccessedDetails", target=_arn_target)
def generate_service_last_accessed_details(ctx: OperationContext, params: Params) -> Result:
    entity = _entity(ctx, str(params["Arn"]))
    job_id = _job_id(ctx)
    job_store.add_job(
        ctx.db,
        job_store.Job(
            job_id,
            ctx.account_id,
            entity.arn,
            str(params.get("Granularity") or "SERVICE_LEVEL"),
            ctx.now,
        ),
    )
    return {"JobId": job_id}


@operation("iam", "GetServiceLastAccessedDetails", target=no_resource)
def get_service_last_accessed_details(ctx: OperationContext, params: Params) -> Result:
    job = _job(ctx, str(params["JobId"]))
    entity = _entity(ctx, job.arn)
    by_action = job.granularity == "ACTION_LEVEL"
    members = _members(ctx, entity)
    uses = audit_events.last_access(
        ctx.db, ctx.account_id, [m.arn for m in members], by_action=by_action
    )
    services = []
    for namespace in sorted({g.namespace for g in _grants(ctx, entity)}):
        source = f"{namespace}.amazonaws.com"
        mine = [u for u in uses if u[1] == source]
        item: dict[str, Any] = {
            "ServiceName": service_name(namespace),
            "ServiceNamespace": namespace,
            "TotalAuthenticatedEntities": len({u[0] for u in mine}),
        }
        if mine:
            newest = max(mine, key=lambda u: u[3])
            item["LastAuthenticated"] = newest[3]
            item["LastAuthenticatedEntity"] = newest[0]
        if by_action and namespace in SERVED:
            actions: dict[str, tuple[str, dt.datetime]] = {}
            for arn, _, action, at in mine:
                if action is not None and (action not in actions or actions[action][1] < at):
                    actions[action] = (arn, at)
            item["TrackedActionsLastAccessed"] = [
                {"ActionName": name, "LastAccessedEntity": arn, "LastAccessedTime": at}
                for name, (arn, at) in sorted(actions.items())
            ]
        services.append(item)
    page, truncated, marker = _page(services, params)
    result: dict[str, Any] = {
        "JobStatus": "COMPLETED",
        "JobType": job.granularity,
        "JobCreationDate": job.created_at,
        "ServicesLastAccessed": page,
        "JobCompletionDate": job.created_at,
        "IsTruncated": truncated,
    }
    if marker is not None:
        result["Marker"] = marker
    return result


@operation("iam", "GetServiceLastAccessedDetailsWithEntities", target=no_resource)
def get_service_last_accessed_details_with_entities(
    ctx: OperationContext, params: Params
) -> Result:
    job = _job(ctx, str(params["JobId"]))
    entity = _entity(ctx, job.arn)
    source = f"{params['ServiceNamespace']}.amazonaws.com"
    members = _members(ctx, entity)
    last: dict[str, dt.datetime] = {}
    for arn, used_source, _, at in audit_events.last_access(
        ctx.db, ctx.account_id, [m.arn for m in members]
    ):
        if used_source == source:
            last[arn] = at
    details = []
    for member in members:
        info = {
            "Arn": member.arn,
            "Name": member.name,
            "Type": member.kind,
            "Id": member.entity_id,
            "Path": member.path,
        }
        detail: dict[str, Any] = {"EntityInfo": info}
        if member.arn in last:
            detail["LastAuthenticated"] = last[member.arn]
        details.append(detail)
    page, truncated, marker = _page(details, params)
    result: dict[str, Any] = {
        "JobStatus": "COMPLETED",
        "JobCreationDate": job.created_at,
        "JobCompletionDate": job.created_at,
        "EntityDetailsList": page,
        "IsTruncated": truncated,
    }
    if marker is not None:
        result["Marker"] = marker
    return result


@operation("iam", "ListPoliciesGrantingServiceAccess", target=_arn_target, readonly=True)
def list_policies_granting_service_access(ctx: OperationContext, params: Params) -> Result:
    entity = _entity(ctx, str(params["Arn"]))
    if entity.kind == "POLICY":
        raise InvalidInput("ARN must be an IAM user, group or role ARN.")
    if params.get("Marker") is not None:
        _offset(str(params["Marker"]))  # one page holds everything: any marker is stale
    grants = _grants(ctx, entity)
    listed = []
    for namespace in params["ServiceNamespaces"]:
        policies = []
        for grant in grants:
            if grant.namespace != namespace:
                continue
            shown: dict[str, Any] = {
                "PolicyName": grant.policy_name,
                "PolicyType": grant.policy_type,
            }
            if grant.policy_arn is not None:
                shown["PolicyArn"] = grant.policy_arn
            if grant.entity_type is not None:
                shown["EntityType"] = grant.entity_type
                shown["EntityName"] = grant.entity_name
            if shown not in policies:
                policies.append(shown)
        listed.append({"ServiceNamespace": namespace, "Policies": policies})
    return {"PoliciesGrantingServiceAccess": listed, "IsTruncated": False}


# --- entities, their members and the services their policies allow --------------------


def _entity(ctx: OperationContext, arn_text: str) -> Entity:
    arn = parse_arn(arn_text)
    kind = arn.resource_type if arn is not None else None
    if arn is None or arn.service != "iam" or kind not in ("user", "role", "group", "policy"):
        raise InvalidInput(f"Invalid ARN: {arn_text}.")
    name = arn.resource.rsplit("/", 1)[-1]
    if kind == "policy":
        managed = policy_store.get_policy(ctx.db, arn_text)
        visible = policy_store.visible_accounts(ctx.account_id)
        if managed is None or managed.account_id not in visible:
            raise NoSuchEntity(f"Policy {arn_text} does not exist or is not attachable.")
        return Entity("POLICY", managed.arn, managed.name, managed.policy_id, managed.path)
    entity_kind = {"user": naming.USER, "role": naming.ROLE, "group": naming.GROUP}[kind]
    row = (
        naming.find_by_name(ctx.db, entity_kind, ctx.account_id, name)
        if arn.account == ctx.account_id
        else None
    )
    if row is None or row.arn != arn_text:
        raise NoSuchEntity(f"The {kind} with ARN {arn_text} cannot be found.")
    entity_id = {"user": "user_id", "role": "role_id", "group": "group_id"}[kind]
    return Entity(kind.upper(), row.arn, row.name, getattr(row, entity_id), row.path)


def _members(ctx: OperationContext, entity: Entity) -> list[Entity]:
    """The users and roles whose use counts for ``entity``."""
    conn = ctx.db
    if entity.kind in ("USER", "ROLE"):
        return [entity]
    users: list[Entity] = []
    roles: list[Entity] = []
    groups: list[str] = []
    if entity.kind == "GROUP":
        groups.append(entity.entity_id)
    else:
        for kind, principal_id in policy_store.attachments_of_policy(
            conn, ctx.account_id, entity.arn
        ):
            if kind == "user":
                users.extend(_users(ctx, [principal_id]))
            elif kind == "role":
                role = role_store.get_by_id(conn, principal_id)
                if role is not None:
                    roles.append(Entity("ROLE", role.arn, role.name, role.role_id, role.path))
            elif kind == "group":
                groups.append(principal_id)
    for group_id in groups:
        users.extend(_users(ctx, group_store.member_ids(conn, group_id)))
    seen: dict[str, Entity] = {}
    for one in users + roles:
        seen.setdefault(one.arn, one)
    return sorted(seen.values(), key=lambda e: e.arn)


def _users(ctx: OperationContext, user_ids: list[str]) -> list[Entity]:
    found = users_by_id(ctx.db, user_ids)
    return [Entity("USER", user.arn, user.name, user.user_id, user.path) for user in found.values()]


def _grants(ctx: OperationContext, entity: Entity) -> list[Grant]:
    """(namespace, policy) for every service an Allow statement of ``entity``'s policies
    names; a user's include its groups'."""
    conn = ctx.db
    found: list[Grant] = []
    if entity.kind == "POLICY":
        text = policy_store.default_documents(conn, [entity.arn]).get(entity.arn, "")
        for namespace in allowed_namespaces(text):
            found.append(Grant(namespace, entity.name, "MANAGED", entity.arn, None, None))
        return found
    holders = [(entity.kind.lower(), entity.entity_id, entity.name)]
    if entity.kind == "USER":
        holders += [
            ("group", g.group_id, g.name)
            for g in group_store.groups_of_user(conn, entity.entity_id)
        ]
    for kind, holder_id, holder_name in holders:
        for name, text in policy_store.inline_documents(conn, kind, holder_id).items():
            for namespace in allowed_namespaces(text):
                found.append(Grant(namespace, name, "INLINE", None, kind.upper(), holder_name))
        arns = policy_store.attached_arns(conn, kind, holder_id)
        for arn, text in policy_store.default_documents(conn, arns).items():
            for namespace in allowed_namespaces(text):
                found.append(Grant(namespace, arn.rsplit("/", 1)[-1], "MANAGED", arn, None, None))
    return found


@functools.lru_cache(maxsize=1024)
def allowed_namespaces(text: str) -> frozenset[str]:
    """The service namespaces the Allow statements of a stored policy document name."""
    try:
        document = parse_policy(text, PolicyKind.IDENTITY)
    except PolicyError:
        return frozenset()
    found: set[str] = set()
    for statement in document.statements:
        if statement.effect is not Effect.ALLOW:
            continue
        if statement.action is None:  # NotAction: everything but some actions
            found.update(SERVED)
            continue
        for action in statement.action:
            found.update(_namespaces(action))
    return frozenset(found)


def _namespaces(action: str) -> Iterable[str]:
    prefix = action.partition(":")[0].lower()
    if "*" in prefix or "?" in prefix or ":" not in action:
        pattern = re.compile(
            "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in prefix)
        )
        return [ns for ns in SERVED if pattern.fullmatch(ns)]
    return [prefix] if _NAMESPACE.match(prefix) else []


@functools.cache
def service_name(namespace: str) -> str:
    """The service's name: iamd's own, else the name in botocore's model of that name."""
    if namespace in SERVED:
        return SERVED[namespace]
    import botocore.exceptions
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(namespace)
    except (botocore.exceptions.UnknownServiceError, botocore.exceptions.DataNotFoundError):
        return namespace
    return str(model.metadata.get("serviceFullName") or namespace)


# --- jobs and pages -------------------------------------------------------------------


def _job_id(ctx: OperationContext) -> str:
    h = ctx.random(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _job(ctx: OperationContext, job_id: str) -> job_store.Job:
    job = job_store.get_job(ctx.db, ctx.account_id, job_id)
    if job is None:
        raise NoSuchEntity(f"No job found for JobId {job_id}.")
    return job


def _page(items: list[Any], params: Params) -> tuple[list[Any], bool, str | None]:
    start = _offset(str(params["Marker"])) if params.get("Marker") is not None else 0
    size = int(params.get("MaxItems") or DEFAULT_MAX_ITEMS)
    page = items[start : start + size]
    if start + size < len(items):
        return page, True, encode_marker([start + size])
    return page, False, None


def _offset(marker: str) -> int:
    try:
        (offset,) = decode_marker(marker, 1)
    except InvalidMarker:
        raise ValidationError("Invalid Marker.") from None
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError("Invalid Marker.")
    return offset
