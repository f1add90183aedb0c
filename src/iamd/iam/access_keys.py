"""Long-term access keys: Create/List/Update/DeleteAccessKey and GetAccessKeyLastUsed.

Without ``UserName`` the operations act on the caller's own keys: an IAM user's, or the
account root's when the root calls. A user (and the root) holds at most
``quotas.access_keys_per_user`` keys. The secret is generated here, returned by
CreateAccessKey only, and stored encrypted with the server's key (``ctx.secrets``). An
Inactive key stops authenticating at once: the server's credential lookup reads the
status on every request.
"""

from __future__ import annotations

from typing import Any

from iamd.errors import InvalidInput, NoSuchEntity
from iamd.iam.attachments import page
from iamd.iam.documents import quota_exceeded
from iamd.iam.users import caller_user_name, get_user, user_target
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import access_keys as store
from iamd.store.access_keys import AccessKey
from iamd.store.db import touch_account
from iamd.store.users import get_user_by_id


def key_not_found(key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")


def owner(ctx: OperationContext, params: Params) -> tuple[str | None, str | None]:
    """``(user_id, user_name)`` whose keys the request is about; ``(None, None)`` = root."""
    name = caller_user_name(ctx, params)
    if name is None:
        return None, None
    user = get_user(ctx, name)
    return user.user_id, user.name


def key_shape(key: AccessKey, user_name: str | None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": key.created_at,
    }
    if user_name is not None:
        shape["UserName"] = user_name
    return shape


def check_status(status: str) -> None:
    if status not in store.STATUSES:
        raise InvalidInput(f"Status {status} is not valid; use Active or Inactive.")


@operation("iam", "CreateAccessKey", target=user_target)
def create_access_key(ctx: OperationContext, params: Params) -> Result:
    user_id, user_name = owner(ctx, params)
    touch_account(ctx.db, ctx.account_id)
    limit = ctx.settings.quotas.access_keys_per_user
    if store.count_access_keys(ctx.db, ctx.account_id, user_id) >= limit:
        raise quota_exceeded("AccessKeysPerUser", limit)
    key, secret = store.create_access_key(
        ctx.db,
        ctx.secrets,
        account_id=ctx.account_id,
        user_id=user_id,
        now=ctx.now,
        random_bytes=ctx.random,
    )
    return {"AccessKey": {**key_shape(key, user_name), "SecretAccessKey": secret}}


@operation("iam", "ListAccessKeys", target=user_target)
def list_access_keys(ctx: OperationContext, params: Params) -> Result:
    user_id, user_name = owner(ctx, params)
    keys = [
        key_shape(k, user_name) for k in store.list_access_keys(ctx.db, ctx.account_id, user_id)
    ]
    return page(keys, params, "AccessKeyMetadata", key=lambda k: k["AccessKeyId"])


@operation("iam", "UpdateAccessKey", target=user_target)
def update_access_key(ctx: OperationContext, params: Params) -> Result:
    user_id, _ = owner(ctx, params)
    check_status(params["Status"])
    touch_account(ctx.db, ctx.account_id)
    key_id = params["AccessKeyId"]
    if not store.update_status(ctx.db, ctx.account_id, user_id, key_id, params["Status"]):
        raise key_not_found(key_id)
    return {}


@operation("iam", "DeleteAccessKey", target=user_target)
def delete_access_key(ctx: OperationContext, params: Params) -> Result:
    user_id, _ = owner(ctx, params)
    touch_account(ctx.db, ctx.account_id)
    key_id = params["AccessKeyId"]
    if not store.delete_access_key(ctx.db, ctx.account_id, user_id, key_id):
        raise key_not_found(key_id)
    return {}


def _own_key(ctx: OperationContext, key_id: str) -> AccessKey | None:
    key = store.get_access_key(ctx.db, key_id)
    return key if key is not None and key.account_id == ctx.account_id else None


def key_owner_target(ctx: OperationContext, params: Params) -> Target:
    """The user who owns the key (the root for root keys), as AWS authorizes it."""
    key = _own_key(ctx, params["AccessKeyId"])
    if key is None or key.user_id is None:
        return Target(f"arn:aws:iam::{ctx.account_id}:root", account=ctx.account_id)
    user = get_user_by_id(ctx.db, key.user_id)
    return Target(user.arn if user else "*", account=ctx.account_id)


@operation("iam", "GetAccessKeyLastUsed", target=key_owner_target)
def get_access_key_last_used(ctx: OperationContext, params: Params) -> Result:
    key = _own_key(ctx, params["AccessKeyId"])
    if key is None:
        raise key_not_found(params["AccessKeyId"])
    last_used: dict[str, Any] = {"ServiceName": "N/A", "Region": "N/A"}
    if key.last_used_at is not None:
        last_used = {
            "LastUsedDate": key.last_used_at,
            "ServiceName": key.last_used_service or "N/A",
            "Region": key.last_used_region or "N/A",
        }
    result: Result = {"AccessKeyLastUsed": last_used}
    user = get_user_by_id(ctx.db, key.user_id) if key.user_id else None
    if user is not None:
        result["UserName"] = user.name
    return result
