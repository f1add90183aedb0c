"""Service-linked roles (spec 5.6): CreateServiceLinkedRole, DeleteServiceLinkedRole and
GetServiceLinkedRoleDeletionStatus.

A service-linked role belongs to its service: its name (``AWSServiceRoleFor...``, plus
``_SUFFIX`` where the service allows a custom suffix), path
``/aws-service-role/PRINCIPAL/``, trust policy (the service may ``sts:AssumeRole``) and
permissions (the service's managed or inline policy) come from the service's definition
(``iam.services``). Customers can read it, tag it and change its description; every
other change is UnmodifiableEntity (``roles.modifiable_role``).

Who may create one:

- a customer principal allowed ``iam:CreateServiceLinkedRole`` on the role's ARN, with
  ``iam:AWSServiceName`` in the request context (AWS's way of limiting which services);
- the service itself, signing with its own credentials (a SERVICE caller): only its own
  linked role, in the account its credentials act in. This is how a service creates its
  role the first time it needs it; it needs no policy, as AWS services need none.

An unknown service, or one without a linked role, is InvalidInput; so is a custom suffix
where the service allows none (``Custom suffix is not allowed for es.amazonaws.com``) and
a name already taken (``Service role name X has been taken in this account, please try a
different suffix.``), AWS's words.

Deletion is a task, ``task/aws-service-role/PRINCIPAL/ROLE/UUID``. It asks the service
whether resources still use the role: the resources the service reported
(``iam.services.set_resources``, ``iamd service resources set``). If some do, the task
FAILS with a Reason and the RoleUsageList (region and resources) and the role stays;
otherwise the role, its policies and its tags are deleted and the task SUCCEEDS. iamd runs
the task within the DeleteServiceLinkedRole request, so the first
GetServiceLinkedRoleDeletionStatus already sees SUCCEEDED or FAILED (AWS may first show
NOT_STARTED or IN_PROGRESS; clients poll until a final status either way). A task that
has not finished is returned again by a repeated DeleteServiceLinkedRole, as AWS does.
"""

from __future__ import annotations

import uuid

from iamd.errors import AccessDenied, EntityAlreadyExists, InvalidInput, NoSuchEntity
from iamd.iam import attachments, inline_policies, naming, tagging, trust
from iamd.iam.naming import ROLE
from iamd.iam.role_policies import entity
from iamd.iam.roles import check_description, role_result, role_target
from iamd.iam.services import find_service
from iamd.iam.tagging import ROLE_TAGS
from iamd.model.caller import CallerKind
from iamd.model.ids import IdPrefix, unique_id
from iamd.model.services import Service, linked_role_path
from iamd.model.services import trust_policy as service_trust_policy
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import instance_profiles as profile_store
from iamd.store import policies as policy_store
from iamd.store import roles as store
from iamd.store import services as service_store
from iamd.store.db import touch_account

ACTION_CREATE = "iam:CreateServiceLinkedRole"
INLINE_POLICY_NAME = "ServiceLinkedRolePolicy"
TASK_PREFIX = "task/aws-service-role/"
DEFAULT_SESSION_DURATION = 3600


def unknown_service(principal: str) -> InvalidInput:
    # INF: AWS's exact wording for an unknown service is not on record.
    return InvalidInput(f"Invalid service name: {principal} is not a service that iamd knows.")


def name_taken(name: str) -> InvalidInput:
    return InvalidInput(
        f"Service role name {name} has been taken in this account, please try a different suffix."
    )


# --- CreateServiceLinkedRole ----------------------------------------------------------------


def _service_with_role(ctx: OperationContext, principal: str) -> Service:
    service = find_service(ctx.db, principal)
    if service is None:
        raise unknown_service(principal)
    if service.linked_role is None:
        # INF: the wording for a known service without a linked role is ours.
        raise InvalidInput(f"The service {principal} does not support service-linked roles.")
    return service


def _authorize_create(ctx: OperationContext, service: Service, arn: str) -> None:
    """A service creates its own linked role; anyone else needs the IAM permission."""
    caller = ctx.caller
    if caller.kind is CallerKind.SERVICE:
        if caller.name != service.principal:
            raise AccessDenied(
                f"User: {caller.arn} is not authorized to perform: {ACTION_CREATE} on "
                f"resource: {arn} because a service may create only its own linked role"
            )
        return
    ctx.authorize(
        ACTION_CREATE,
        Target(arn, account=ctx.account_id),
        {"iam:AWSServiceName": service.principal},
    )


@operation("iam", "CreateServiceLinkedRole", authorize=False)
def create_service_linked_role(ctx: OperationContext, params: Params) -> Result:
    principal = str(params["AWSServiceName"])
    suffix = params.get("CustomSuffix")
    description = params.get("Description")
    service = _service_with_role(ctx, principal)
    spec = service.linked_role
    assert spec is not None  # INVARIANT: _service_with_role checked it
    if suffix is not None and not spec.custom_suffix:
        raise InvalidInput(f"Custom suffix is not allowed for {principal}")
    name = spec.name_with(str(suffix) if suffix else None)
    path = linked_role_path(principal)
    arn = ROLE.arn(ctx.account_id, path, name)
    _authorize_create(ctx, service, arn)
    if naming.name_violations(ROLE, name):
        raise InvalidInput(
            f"The role name {name} is not valid: at most 64 characters of [\\w+=,.@-]"
        )
    if description is not None:
        check_description(str(description))
    else:
        description = spec.description
    touch_account(ctx.db, ctx.account_id)
    if store.get_by_name(ctx.db, ctx.account_id, name) is not None:
        raise name_taken(name)
    document = service_trust_policy(principal)
    checked = trust.validate_trust_policy(ctx.db, document, ctx.settings.quotas.trust_policy_size)
    role = store.Role(
        role_id=unique_id(IdPrefix.ROLE, ctx.random),
        account_id=ctx.account_id,
        name=name,
        path=path,
        arn=arn,
        assume_role_policy=checked.text,
        trust_principal_ids=checked.principal_ids,
        description=None if description is None else str(description),
        max_session_duration=DEFAULT_SESSION_DURATION,
        created_at=ctx.now,
        permissions_boundary_arn=None,
        last_used_at=None,
        last_used_region=None,
        linked_service=principal,
    )
    try:
        naming.insert_entity(ctx.db, ROLE, name, store.row_values(role))
    except EntityAlreadyExists:
        raise name_taken(name) from None
    naming.count_created(ctx.db, ROLE, ctx.account_id, ctx.settings.quotas)
    if spec.policy_arn is not None:
        attachments.attachable_policy(ctx.db, ctx.account_id, spec.policy_arn)
        policy_store.attach(ctx.db, ctx.account_id, "role", role.role_id, spec.policy_arn)
    if spec.inline_policy is not None:
        policy_store.put_inline(
            ctx.db, "role", role.role_id, INLINE_POLICY_NAME, spec.inline_policy
        )
    return {"Role": role_result(ctx, role)}


# --- DeleteServiceLinkedRole ----------------------------------------------------------------


def _linked_role(ctx: OperationContext, name: str) -> store.Role:
    naming.check_name(ROLE, name)
    role = store.get_by_name(ctx.db, ctx.account_id, name)
    if role is None:
        raise NoSuchEntity(ROLE.not_found.format(name=name))
    if role.linked_service is None:
        # INF: AWS's answer for a customer role is not on record; NoSuchEntity is in the
        # operation's modelled errors.
        raise NoSuchEntity(f"There is no service-linked role with name {role.name}.")
    return role


def delete_linked_role(ctx: OperationContext, role: store.Role) -> None:
    """Delete the role with everything that hangs on it (the task's last step)."""
    the_role = entity(role)
    inline_policies.remove_all(ctx, the_role)
    attachments.remove_all(ctx.db, the_role)
    for profile in profile_store.profiles_for_role(ctx.db, role.role_id):
        profile_store.remove_role(ctx.db, profile.instance_profile_id, role.role_id)
    tagging.delete_all_tags(ctx.db, ROLE_TAGS, role.role_id)
    store.delete_role(ctx.db, role.role_id)
    naming.count_deleted(ctx.db, ROLE, role.account_id)


def run_deletion_task(ctx: OperationContext, task: service_store.DeletionTask) -> None:
    """Ask the service whether the role is in use; delete it unless it is."""
    role = store.get_by_name(ctx.db, task.account_id, task.role_name)
    if role is None or role.linked_service != task.principal:
        service_store.finish_task(ctx.db, task.task_id, service_store.SUCCEEDED, ctx.now)
        return
    usage = service_store.role_usage(ctx.db, task.account_id, task.principal, role.name)
    if usage:
        reason = (
            f"The service-linked role {role.name} is still in use by {task.principal}: "
            "delete the resources that use it, then delete the role again."
        )
        service_store.finish_task(
            ctx.db, task.task_id, service_store.FAILED, ctx.now, reason=reason, usage=usage
        )
        return
    delete_linked_role(ctx, role)
    service_store.finish_task(ctx.db, task.task_id, service_store.SUCCEEDED, ctx.now)


@operation("iam", "DeleteServiceLinkedRole", target=role_target)
def delete_service_linked_role(ctx: OperationContext, params: Params) -> Result:
    role = _linked_role(ctx, str(params["RoleName"]))
    principal = role.linked_service
    assert principal is not None  # INVARIANT: _linked_role checked it
    touch_account(ctx.db, ctx.account_id)
    pending = service_store.pending_task(ctx.db, ctx.account_id, role.name)
    if pending is not None:
        return {"DeletionTaskId": pending.task_id}
    task = service_store.DeletionTask(
        task_id=f"{TASK_PREFIX}{principal}/{role.name}/{uuid.UUID(bytes=ctx.random(16))}",
        account_id=ctx.account_id,
        principal=principal,
        role_name=role.name,
        status=service_store.NOT_STARTED,
        reason=None,
        role_usage=None,
        created_at=ctx.now,
    )
    service_store.insert_task(ctx.db, task)
    run_deletion_task(ctx, task)
    return {"DeletionTaskId": task.task_id}


# --- GetServiceLinkedRoleDeletionStatus -----------------------------------------------------


def _task_parts(task_id: str) -> tuple[str, str] | None:
    """``(principal, role name)`` of a well-formed deletion task id."""
    if not task_id.startswith(TASK_PREFIX):
        return None
    parts = task_id[len(TASK_PREFIX) :].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1]


def task_target(ctx: OperationContext, params: Params) -> Target:
    """The role the task deletes (``arn:...:role/aws-service-role/PRINCIPAL/ROLE``)."""
    parts = _task_parts(str(params.get("DeletionTaskId", "")))
    if parts is None:
        return Target("*", account=ctx.account_id)
    principal, name = parts
    return Target(
        ROLE.arn(ctx.account_id, linked_role_path(principal), name), account=ctx.account_id
    )


@operation("iam", "GetServiceLinkedRoleDeletionStatus", target=task_target)
def get_service_linked_role_deletion_status(ctx: OperationContext, params: Params) -> Result:
    task_id = str(params["DeletionTaskId"])
    if _task_parts(task_id) is None:
        # INF: the wording is ours; the code is the one AWS models for this operation.
        raise InvalidInput(f"Invalid deletion task id: {task_id}")
    task = service_store.get_task(ctx.db, ctx.account_id, task_id)
    if task is None:
        raise NoSuchEntity(f"Deletion task {task_id} does not exist.")
    result: Result = {"Status": task.status}
    if task.status == service_store.FAILED:
        reason: Result = {}
        if task.reason:
            reason["Reason"] = task.reason
        if task.role_usage:
            reason["RoleUsageList"] = task.role_usage
        result["Reason"] = reason
    return result
