"""Versions of customer managed policies: Create/Get/List/DeletePolicyVersion and
SetDefaultPolicyVersion.

A policy holds at most five versions (``quotas.policy_versions``). Version ids are
``v1``, ``v2``... from a per-policy counter and never reused. Writers lock the policy row
(``lock_row``) before counting, so concurrent CreatePolicyVersion calls on several nodes
never leave six versions. The default version cannot be deleted on its own.
"""

from __future__ import annotations

from typing import Any

from iamd.errors import DeleteConflict, LimitExceeded, NoSuchEntity
from iamd.iam.attachments import page
from iamd.iam.documents import managed_document
from iamd.iam.managed_policies import get_policy, own_policy, policy_target
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store import policies as store
from iamd.store.db import lock_row, touch_account
from iamd.store.policies import ManagedPolicy, PolicyVersion
from iamd.store.schema import managed_policies

TOO_MANY_VERSIONS = (
    "A managed policy can have up to {limit} versions. Before you create a new version, "
    "you must delete an existing version."
)


def version_shape(version: PolicyVersion, *, document: bool = False) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default,
        "CreateDate": version.created_at,
    }
    if document:
        shape["Document"] = version.document
    return shape


def version_not_found(arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")


def get_version(ctx: OperationContext, policy: ManagedPolicy, version_id: str) -> PolicyVersion:
    version = store.get_version(ctx.db, policy.policy_id, version_id)
    if version is None:
        raise version_not_found(policy.arn, version_id)
    return version


def locked_policy(ctx: OperationContext, arn: str) -> ManagedPolicy:
    """The caller's own policy, its row locked until the transaction ends."""
    touch_account(ctx.db, ctx.account_id)
    policy = own_policy(ctx, arn)
    lock_row(ctx.db, managed_policies, {"policy_id": policy.policy_id})
    # Re-read after the lock: another writer may have moved the counter meanwhile.
    return own_policy(ctx, arn)


@operation("iam", "CreatePolicyVersion", target=policy_target)
def create_policy_version(ctx: OperationContext, params: Params) -> Result:
    managed_document(params["PolicyDocument"], ctx.settings.quotas.managed_policy_size)
    policy = locked_policy(ctx, params["PolicyArn"])
    limit = ctx.settings.quotas.policy_versions
    if store.count_versions(ctx.db, policy.policy_id) >= limit:
        raise LimitExceeded(TOO_MANY_VERSIONS.format(limit=limit))
    version_id = f"v{policy.next_version_number}"
    store.bump_version_number(ctx.db, policy.policy_id, policy.next_version_number + 1)
    version = store.insert_version(
        ctx.db,
        policy.policy_id,
        version_id,
        params["PolicyDocument"],
        is_default=False,
        now=ctx.now,
    )
    if params.get("SetAsDefault"):
        store.set_default_version(ctx.db, policy.policy_id, version_id, ctx.now)
        version = PolicyVersion(policy.policy_id, version_id, version.document, True, ctx.now)
    return {"PolicyVersion": version_shape(version)}


@operation("iam", "GetPolicyVersion", target=policy_target)
def get_policy_version(ctx: OperationContext, params: Params) -> Result:
    policy = get_policy(ctx, params["PolicyArn"])
    version = get_version(ctx, policy, params["VersionId"])
    return {"PolicyVersion": version_shape(version, document=True)}


@operation("iam", "ListPolicyVersions", target=policy_target)
def list_policy_versions(ctx: OperationContext, params: Params) -> Result:
    policy = get_policy(ctx, params["PolicyArn"])
    # Newest first, as AWS lists them; the marker is the position in that order.
    versions = list(enumerate(store.list_versions(ctx.db, policy.policy_id)))
    result = page(versions, params, "Versions", key=lambda item: item[0], numbered=True)
    result["Versions"] = [version_shape(v) for _, v in result["Versions"]]
    return result


@operation("iam", "DeletePolicyVersion", target=policy_target)
def delete_policy_version(ctx: OperationContext, params: Params) -> Result:
    policy = locked_policy(ctx, params["PolicyArn"])
    version = get_version(ctx, policy, params["VersionId"])
    if version.is_default:
        raise DeleteConflict("Cannot delete the default version of a policy.")
    store.delete_version(ctx.db, policy.policy_id, version.version_id)
    return {}


@operation("iam", "SetDefaultPolicyVersion", target=policy_target)
def set_default_policy_version(ctx: OperationContext, params: Params) -> Result:
    policy = locked_policy(ctx, params["PolicyArn"])
    version = get_version(ctx, policy, params["VersionId"])
    store.set_default_version(ctx.db, policy.policy_id, version.version_id, ctx.now)
    return {}
