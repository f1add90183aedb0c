"""Inline policies of users, groups and roles: one implementation for all three.

The entity's operation module resolves the entity and passes an ``Entity``
(``iamd.iam.attachments``). AWS counts every inline policy of an entity together
against one size quota (user 2,048, group 5,120, role 10,240 characters without
whitespace); putting a policy under an existing name replaces it, and the replaced text
does not count.
"""

from __future__ import annotations

from iamd.errors import NoSuchEntity
from iamd.iam.attachments import Entity, page
from iamd.iam.documents import inline_document
from iamd.operations import OperationContext, Params, Result
from iamd.policy import PolicyKind
from iamd.store import policies as store
from iamd.store.db import touch_account


def size_limit(ctx: OperationContext, kind: str) -> int:
    quotas = ctx.settings.quotas
    return {
        "user": quotas.inline_policy_size_user,
        "group": quotas.inline_policy_size_group,
        "role": quotas.inline_policy_size_role,
    }[kind]


def not_found(entity: Entity, policy_name: str) -> NoSuchEntity:
    """AWS's ``The user policy with name X cannot be found.``"""
    return NoSuchEntity(f"The {entity.kind} policy with name {policy_name} cannot be found.")


def put_inline_policy(
    ctx: OperationContext,
    entity: Entity,
    policy_name: str,
    document: str,
    *,
    kind: PolicyKind = PolicyKind.IDENTITY,
) -> None:
    """Create or replace the entity's inline policy ``policy_name``."""
    existing = store.inline_documents(ctx.db, entity.kind, entity.entity_id)
    others = [text for name, text in existing.items() if name != policy_name]
    inline_document(
        document,
        others=others,
        limit=size_limit(ctx, entity.kind),
        entity_type=entity.kind,
        entity_name=entity.name,
        kind=kind,
    )
    touch_account(ctx.db, entity.account_id)
    store.put_inline(ctx.db, entity.kind, entity.entity_id, policy_name, document)


def get_inline_policy(ctx: OperationContext, entity: Entity, policy_name: str) -> str:
    """The document of the entity's inline policy, or NoSuchEntity."""
    document = store.get_inline(ctx.db, entity.kind, entity.entity_id, policy_name)
    if document is None:
        raise not_found(entity, policy_name)
    return document


def delete_inline_policy(ctx: OperationContext, entity: Entity, policy_name: str) -> None:
    touch_account(ctx.db, entity.account_id)
    if not store.delete_inline(ctx.db, entity.kind, entity.entity_id, policy_name):
        raise not_found(entity, policy_name)


def list_inline_policies(ctx: OperationContext, entity: Entity, params: Params) -> Result:
    """The List*Policies result: ``PolicyNames`` by name, Marker/MaxItems pages."""
    names = list(store.inline_documents(ctx.db, entity.kind, entity.entity_id))
    return page(names, params, "PolicyNames")


def inline_policy_list(ctx: OperationContext, entity: Entity) -> list[dict[str, str]]:
    """``[{PolicyName, PolicyDocument}]`` for GetAccountAuthorizationDetails."""
    docs = store.inline_documents(ctx.db, entity.kind, entity.entity_id)
    return [{"PolicyName": name, "PolicyDocument": text} for name, text in docs.items()]


def has_inline_policies(ctx: OperationContext, entity: Entity) -> bool:
    return store.count_inline(ctx.db, entity.kind, entity.entity_id) > 0


def remove_all(ctx: OperationContext, entity: Entity) -> None:
    store.delete_all_inline(ctx.db, entity.kind, entity.entity_id)
