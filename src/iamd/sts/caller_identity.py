"""GetCallerIdentity and GetAccessKeyInfo: who is calling, and whose key is this.

GetCallerIdentity needs no permission: AWS answers it even when a policy denies
``sts:GetCallerIdentity`` explicitly (spec 4.6), so it is registered unauthorized. Its
answer follows spec 3.1: the root user is the account id and ``arn:aws:iam::A:root``, an
IAM user its ``AIDA...`` id and ARN, a role session ``AROA...:session`` and its
``assumed-role`` ARN.

GetAccessKeyInfo is authorized as ``sts:GetAccessKeyInfo`` on ``*``. Generated key ids
carry their account (``model.ids.account_of_access_key``); operator-chosen root key ids do
not, so the store is asked first. Like AWS, it reveals nothing about the key's state.
"""

from __future__ import annotations

from iamd.errors import InvalidParameterValue
from iamd.model.ids import account_of_access_key
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store import access_keys


@operation("sts", "GetCallerIdentity", authorize=False, readonly=True)
def get_caller_identity(ctx: OperationContext, params: Params) -> Result:
    caller = ctx.caller
    return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}


@operation("sts", "GetAccessKeyInfo", readonly=True)
def get_access_key_info(ctx: OperationContext, params: Params) -> Result:
    key_id: str = params["AccessKeyId"]
    stored = access_keys.get_access_key(ctx.db, key_id)
    account = stored.account_id if stored is not None else account_of_access_key(key_id)
    if account is None:
        raise InvalidParameterValue(f"The access key ID {key_id} is not valid.")
    return {"Account": account}
