"""IAM groups: Create/Get/Update/Delete/ListGroups, membership, ListGroupsForUser.

Actions on a group are authorized on the group's ARN (its real path when it exists);
ListGroupsForUser on the user's. Groups carry no tags in IAM.
"""

from __future__ import annotations

from typing import Any

from iamd.errors import DeleteConflict, NoSuchEntity
from iamd.iam import naming
from iamd.iam.attachments import Entity, page, page_result, paged
from iamd.iam.documents import quota_exceeded
from iamd.iam.users import get_user, user_shape, user_target
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import groups as store
from iamd.store import policies as policy_store
from iamd.store.db import touch_account
from iamd.store.groups import Group
from iamd.store.users import user_from_row

GROUP = naming.GROUP


def get_group(ctx: OperationContext, name: str) -> Group:
    return store.group_from_row(naming.get_by_name(ctx.db, GROUP, ctx.account_id, name))


def entity(group: Group) -> Entity:
    return Entity("group", group.group_id, group.name, group.account_id)


def group_target(ctx: OperationContext, params: Params) -> Target:
    return Target(
        naming.arn_of(ctx.db, GROUP, ctx.account_id, params["GroupName"]), account=ctx.account_id
    )


def new_group_target(ctx: OperationContext, params: Params) -> Target:
    path = params.get("Path") or "/"
    return Target(GROUP.arn(ctx.account_id, path, params["GroupName"]), account=ctx.account_id)


def group_shape(group: Group) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.group_id,
        "Arn": group.arn,
        "CreateDate": group.created_at,
    }


@operation("iam", "CreateGroup", target=new_group_target)
def create_group(ctx: OperationContext, params: Params) -> Result:
    name, path = params["GroupName"], params.get("Path") or "/"
    naming.check_name(GROUP, name)
    naming.check_path(path)
    group = Group(
        group_id=unique_id(IdPrefix.GROUP, ctx.random),
        account_id=ctx.account_id,
        name=name,
        path=path,
        arn=GROUP.arn(ctx.account_id, path, name),
        created_at=ctx.now,
    )
    values = {
        "group_id": group.group_id,
        "account_id": group.account_id,
        "name": name,
        "name_lower": name.lower(),
        "path": path,
        "arn": group.arn,
        "created_at": ctx.now,
    }
    naming.insert_entity(ctx.db, GROUP, name, values)
    naming.count_created(ctx.db, GROUP, ctx.account_id, ctx.settings.quotas)
    return {"Group": group_shape(group)}


@operation("iam", "GetGroup", target=group_target)
def get_group_op(ctx: OperationContext, params: Params) -> Result:
    group = get_group(ctx, params["GroupName"])
    found = paged(
        lambda: store.member_rows(
            ctx.db, group.group_id, marker=params.get("Marker"), max_items=params.get("MaxItems")
        )
    )
    users = [user_shape(user_from_row(row)) for row in found.items]
    return {"Group": group_shape(group), **page_result(found, "Users", users)}


@operation("iam", "ListGroups")
def list_groups(ctx: OperationContext, params: Params) -> Result:
    found = paged(
        lambda: store.list_groups(
            ctx.db,
            ctx.account_id,
            path_prefix=params.get("PathPrefix") or "/",
            marker=params.get("Marker"),
            max_items=params.get("MaxItems"),
        )
    )
    groups = [group_shape(store.group_from_row(row)) for row in found.items]
    return page_result(found, "Groups", groups)


@operation("iam", "UpdateGroup", target=group_target)
def update_group(ctx: OperationContext, params: Params) -> Result:
    group = get_group(ctx, params["GroupName"])
    naming.rename(
        ctx,
        GROUP,
        action="iam:UpdateGroup",
        name=group.name,
        arn=group.arn,
        new_name=params.get("NewGroupName") or group.name,
        new_path=params.get("NewPath") or group.path,
        member="newGroupName",
        update=lambda name, path, arn: store.update_group(
            ctx.db, group.group_id, name=name, path=path, arn=arn
        ),
    )
    return {}


@operation("iam", "DeleteGroup", target=group_target)
def delete_group(ctx: OperationContext, params: Params) -> Result:
    group = get_group(ctx, params["GroupName"])
    touch_account(ctx.db, ctx.account_id)
    if store.count_members(ctx.db, group.group_id):
        raise DeleteConflict("Cannot delete entity, must remove users from group first.")
    if policy_store.count_inline(ctx.db, "group", group.group_id):
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if policy_store.attached_arns(ctx.db, "group", group.group_id):
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    store.delete_group(ctx.db, group.group_id)
    naming.count_deleted(ctx.db, GROUP, ctx.account_id)
    return {}


@operation("iam", "AddUserToGroup", target=group_target)
def add_user_to_group(ctx: OperationContext, params: Params) -> Result:
    group = get_group(ctx, params["GroupName"])
    user = get_user(ctx, params["UserName"])
    touch_account(ctx.db, ctx.account_id)
    if store.is_member(ctx.db, group.group_id, user.user_id):
        return {}
    limit = ctx.settings.quotas.groups_per_user
    if store.count_memberships(ctx.db, user.user_id) >= limit:
        raise quota_exceeded("GroupsPerUser", limit)
    store.add_member(ctx.db, group.group_id, user.user_id)
    return {}


@operation("iam", "RemoveUserFromGroup", target=group_target)
def remove_user_from_group(ctx: OperationContext, params: Params) -> Result:
    group = get_group(ctx, params["GroupName"])
    user = get_user(ctx, params["UserName"])
    touch_account(ctx.db, ctx.account_id)
    if not store.remove_member(ctx.db, group.group_id, user.user_id):
        raise NoSuchEntity(f"User {user.name} is not in group {group.name}.")
    return {}


@operation("iam", "ListGroupsForUser", target=user_target)
def list_groups_for_user(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    groups = [group_shape(g) for g in store.groups_of_user(ctx.db, user.user_id)]
    return page(groups, params, "Groups", key=lambda g: g["GroupName"].lower())
