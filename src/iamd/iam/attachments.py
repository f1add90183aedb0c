"""Managed policies attached to users, groups and roles: one implementation for all three.

The entity's own operation module resolves the entity (NoSuchEntity for its name) and
hands an ``Entity`` here. Policies visible to an account are its own and AWS's
(``arn:aws:iam::aws:policy/...``); any other ARN is a policy that "does not exist or is not
attachable". Attaching twice is a no-op, as in AWS; detaching one that is not attached is
NoSuchEntity. Each entity holds at most ``quotas.managed_policies_per_entity``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from iamd.errors import InvalidInput, NoSuchEntity, PolicyNotAttachable, ValidationError
from iamd.iam.documents import quota_exceeded
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Result
from iamd.store import policies as store
from iamd.store.db import touch_account
from iamd.store.pagination import InvalidMarker, KeyValue, Page, paginate_sequence

T = TypeVar("T")

_QUOTA_NAMES = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}
SERVICE_ROLE_POLICY_PATH = "/aws-service-role/"


@dataclass(frozen=True, slots=True)
class Entity:
    """A user, group or role as the policy tables know it."""

    kind: str  # user | group | role
    entity_id: str
    name: str
    account_id: str


def paged(fetch: Callable[[], Page[T]]) -> Page[T]:
    """Run a store pagination, turning a marker it did not issue into InvalidInput."""
    try:
        return fetch()
    except InvalidMarker:
        raise ValidationError("Invalid Marker.") from None


def page_result(found: Page[Any], member: str, items: Sequence[Any]) -> Result:
    """``{member: items, IsTruncated, Marker?}`` as IAM's list outputs spell a page."""
    result: Result = {member: list(items), "IsTruncated": found.is_truncated}
    if found.marker is not None:
        result["Marker"] = found.marker
    return result


def page(
    items: Sequence[T],
    params: Params,
    member: str,
    key: Callable[[T], KeyValue] = str,
    *,
    numbered: bool = False,
) -> Result:
    """One Marker/MaxItems page of a short in-memory list sorted by the unique ``key``
    (strings, or integers when ``numbered``)."""
    found = paged(
        lambda: paginate_sequence(
            items,
            key=key,
            marker=params.get("Marker"),
            max_items=params.get("MaxItems"),
            numbered=numbered,
        )
    )
    return page_result(found, member, found.items)


def check_policy_arn(arn: str) -> None:
    """InvalidInput unless ``arn`` is shaped like an IAM policy ARN."""
    parsed = parse_arn(arn)
    if parsed is None:  # AWS's words, two spaces and all
        raise ValidationError("Invalid ARN:  Could not be parsed!")
    if parsed.service != "iam" or not parsed.resource:
        raise InvalidInput(f"ARN {arn} is not valid.")


def visible_policy(conn: Connection, account_id: str, arn: str) -> store.ManagedPolicy | None:
    """The managed policy ``arn`` if ``account_id`` may see it (its own or AWS's)."""
    found = store.get_policy(conn, arn)
    if found is None or found.account_id not in store.visible_accounts(account_id):
        return None
    return found


def attachable_policy(conn: Connection, account_id: str, arn: str) -> store.ManagedPolicy:
    """The policy to attach (or use as a boundary), or AWS's NoSuchEntity."""
    check_policy_arn(arn)
    found = visible_policy(conn, account_id, arn)
    if found is None:
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    return found


def attach_policy(ctx: OperationContext, entity: Entity, arn: str) -> None:
    """Attach ``arn`` to the entity (idempotent) within the per-entity quota.

    Policies under ``/aws-service-role/`` belong to service-linked roles, which their
    services attach themselves; customers cannot attach them to anything.
    """
    policy = attachable_policy(ctx.db, entity.account_id, arn)
    if policy.path.startswith(SERVICE_ROLE_POLICY_PATH):
        raise PolicyNotAttachable("Cannot attach a Service Role Policy to a Customer Role.")
    if store.is_attached(ctx.db, entity.kind, entity.entity_id, arn):
        return
    limit = ctx.settings.quotas.managed_policies_per_entity
    if len(store.attached_arns(ctx.db, entity.kind, entity.entity_id)) >= limit:
        raise quota_exceeded(_QUOTA_NAMES[entity.kind], limit)
    touch_account(ctx.db, entity.account_id)
    store.attach(ctx.db, entity.account_id, entity.kind, entity.entity_id, arn)


def detach_policy(ctx: OperationContext, entity: Entity, arn: str) -> None:
    """Detach ``arn``; NoSuchEntity when it is not attached."""
    check_policy_arn(arn)
    touch_account(ctx.db, entity.account_id)
    if not store.detach(ctx.db, entity.kind, entity.entity_id, arn):
        raise NoSuchEntity(f"Policy {arn} was not found.")


def attached_policies(conn: Connection, entity: Entity) -> list[dict[str, str]]:
    """``[{PolicyName, PolicyArn}]`` of everything attached to the entity."""
    arns = store.attached_arns(conn, entity.kind, entity.entity_id)
    found = store.policies_by_arn(conn, arns)
    return [{"PolicyName": found[arn].name, "PolicyArn": arn} for arn in arns if arn in found]


def list_attached(ctx: OperationContext, entity: Entity, params: Params) -> Result:
    """The List*AttachedPolicies result: PathPrefix filter, Marker/MaxItems pages."""
    prefix = params.get("PathPrefix") or "/"
    arns = store.attached_arns(ctx.db, entity.kind, entity.entity_id)
    found = store.policies_by_arn(ctx.db, arns)
    items = [
        {"PolicyName": found[arn].name, "PolicyArn": arn}
        for arn in arns
        if arn in found and found[arn].path.startswith(prefix)
    ]
    return page(items, params, "AttachedPolicies", key=lambda item: item["PolicyArn"])


def remove_all(conn: Connection, entity: Entity) -> None:
    """Forget the entity's attachments (when it is deleted)."""
    store.detach_all(conn, entity.kind, entity.entity_id)
