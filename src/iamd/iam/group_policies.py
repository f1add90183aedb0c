"""A group's inline policies (Put/Get/Delete/ListGroupPolicies) and attached managed
policies (Attach/Detach/ListAttachedGroupPolicies), on the shared helpers."""

from __future__ import annotations

from iamd.iam import attachments, inline_policies
from iamd.iam.groups import entity, get_group, group_target
from iamd.iam.user_policies import policy_arn_context
from iamd.operations import OperationContext, Params, Result, operation


@operation("iam", "PutGroupPolicy", target=group_target)
def put_group_policy(ctx: OperationContext, params: Params) -> Result:
    group = entity(get_group(ctx, params["GroupName"]))
    inline_policies.put_inline_policy(ctx, group, params["PolicyName"], params["PolicyDocument"])
    return {}


@operation("iam", "GetGroupPolicy", target=group_target)
def get_group_policy(ctx: OperationContext, params: Params) -> Result:
    group = entity(get_group(ctx, params["GroupName"]))
    document = inline_policies.get_inline_policy(ctx, group, params["PolicyName"])
    return {
        "GroupName": group.name,
        "PolicyName": params["PolicyName"],
        "PolicyDocument": document,
    }


@operation("iam", "DeleteGroupPolicy", target=group_target)
def delete_group_policy(ctx: OperationContext, params: Params) -> Result:
    group = entity(get_group(ctx, params["GroupName"]))
    inline_policies.delete_inline_policy(ctx, group, params["PolicyName"])
    return {}


@operation("iam", "ListGroupPolicies", target=group_target)
def list_group_policies(ctx: OperationContext, params: Params) -> Result:
    group = entity(get_group(ctx, params["GroupName"]))
    return inline_policies.list_inline_policies(ctx, group, params)


@operation("iam", "AttachGroupPolicy", target=group_target, request_context=policy_arn_context)
def attach_group_policy(ctx: OperationContext, params: Params) -> Result:
    group = entity(get_group(ctx, params["GroupName"]))
    attachments.attach_policy(ctx, group, params["PolicyArn"])
    return {}


@operation("iam", "DetachGroupPolicy", target=group_target, request_context=policy_arn_context)
def detach_group_policy(ctx: OperationContext, params: Params) -> Result:
    group = entity(get_group(ctx, params["GroupName"]))
    attachments.detach_policy(ctx, group, params["PolicyArn"])
    return {}


@operation("iam", "ListAttachedGroupPolicies", target=group_target)
def list_attached_group_policies(ctx: OperationContext, params: Params) -> Result:
    group = entity(get_group(ctx, params["GroupName"]))
    return attachments.list_attached(ctx, group, params)
