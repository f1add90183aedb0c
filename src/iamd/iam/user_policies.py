"""A user's inline policies (Put/Get/Delete/ListUserPolicies) and attached managed
policies (Attach/Detach/ListAttachedUserPolicies), on the shared helpers."""

from __future__ import annotations

from collections.abc import Mapping

from iamd.iam import attachments, inline_policies
from iamd.iam.users import entity, get_user, user_target
from iamd.operations import OperationContext, Params, Result, operation


def policy_arn_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return {"iam:PolicyARN": params["PolicyArn"]}


@operation("iam", "PutUserPolicy", target=user_target)
def put_user_policy(ctx: OperationContext, params: Params) -> Result:
    user = entity(get_user(ctx, params["UserName"]))
    inline_policies.put_inline_policy(ctx, user, params["PolicyName"], params["PolicyDocument"])
    return {}


@operation("iam", "GetUserPolicy", target=user_target)
def get_user_policy(ctx: OperationContext, params: Params) -> Result:
    user = entity(get_user(ctx, params["UserName"]))
    document = inline_policies.get_inline_policy(ctx, user, params["PolicyName"])
    return {"UserName": user.name, "PolicyName": params["PolicyName"], "PolicyDocument": document}


@operation("iam", "DeleteUserPolicy", target=user_target)
def delete_user_policy(ctx: OperationContext, params: Params) -> Result:
    user = entity(get_user(ctx, params["UserName"]))
    inline_policies.delete_inline_policy(ctx, user, params["PolicyName"])
    return {}


@operation("iam", "ListUserPolicies", target=user_target)
def list_user_policies(ctx: OperationContext, params: Params) -> Result:
    user = entity(get_user(ctx, params["UserName"]))
    return inline_policies.list_inline_policies(ctx, user, params)


@operation("iam", "AttachUserPolicy", target=user_target, request_context=policy_arn_context)
def attach_user_policy(ctx: OperationContext, params: Params) -> Result:
    user = entity(get_user(ctx, params["UserName"]))
    attachments.attach_policy(ctx, user, params["PolicyArn"])
    return {}


@operation("iam", "DetachUserPolicy", target=user_target, request_context=policy_arn_context)
def detach_user_policy(ctx: OperationContext, params: Params) -> Result:
    user = entity(get_user(ctx, params["UserName"]))
    attachments.detach_policy(ctx, user, params["PolicyArn"])
    return {}


@operation("iam", "ListAttachedUserPolicies", target=user_target)
def list_attached_user_policies(ctx: OperationContext, params: Params) -> Result:
    user = entity(get_user(ctx, params["UserName"]))
    return attachments.list_attached(ctx, user, params)
