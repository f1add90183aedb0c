"""Service-specific credentials: a user name and password for one service (a git server,
a database), Create/List/Reset/Update/DeleteServiceSpecificCredential.

AWS issues them for CodeCommit and Amazon Keyspaces (and Bedrock); iamd also for the
services registered with it (``iamd service register``), so a service of one's own can
let IAM users sign in with a password of their own that is not their console password.
The password is generated here, returned by Create and Reset only, and kept as a hash.
A user holds at most two per service.
"""

from __future__ import annotations

import base64
from typing import Any

from iamd.errors import LimitExceeded, NoSuchEntity
from iamd.iam.attachments import page
from iamd.iam.passwords import hash_password
from iamd.iam.users import caller_user_name, get_user, user_target
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store import services as service_store
from iamd.store.user_credentials import SERVICE_CREDENTIALS, Credential

AWS_SERVICES = frozenset(
    {"codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com"}
)
PER_USER_PER_SERVICE = 2


def check_service(ctx: OperationContext, name: str) -> None:
    if name in AWS_SERVICES or service_store.get_registered(ctx.db, name) is not None:
        return
    raise NoSuchEntity(f"No such service {name} is supported for Service Specific Credentials")


def credential_not_found(credential_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"No such credential {credential_id} exists")


def _password(ctx: OperationContext) -> str:
    return base64.b64encode(ctx.random(33)).decode()


def _shape(cred: Credential, user_name: str, password: str | None = None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "UserName": user_name,
        "Status": cred.status,
        "ServiceUserName": cred.fields["service_user_name"],
        "CreateDate": cred.created_at,
        "ServiceSpecificCredentialId": cred.credential_id,
        "ServiceName": cred.fields["service_name"],
    }
    if password is not None:
        shape["ServicePassword"] = password
    return shape


@operation("iam", "CreateServiceSpecificCredential", target=user_target)
def create_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    service = params["ServiceName"]
    check_service(ctx, service)
    held = SERVICE_CREDENTIALS.count(ctx.db, ctx.account_id, user.user_id, service_name=service)
    if held >= PER_USER_PER_SERVICE:
        raise LimitExceeded(
            f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
            f"{PER_USER_PER_SERVICE}"
        )
    password = _password(ctx)
    stored = SERVICE_CREDENTIALS.insert(
        ctx.db,
        unique_id(IdPrefix.SERVICE_CREDENTIAL, ctx.random),
        account_id=ctx.account_id,
        user_id=user.user_id,
        now=ctx.now,
        service_name=service,
        service_user_name=f"{user.name}-at-{ctx.account_id}",
        password_hash=hash_password(password),
    )
    return {"ServiceSpecificCredential": _shape(stored, user.name, password)}


@operation("iam", "ListServiceSpecificCredentials", target=user_target)
def list_service_specific_credentials(ctx: OperationContext, params: Params) -> Result:
    name = caller_user_name(ctx, params)
    if name is None:
        return page([], params, "ServiceSpecificCredentials")
    user = get_user(ctx, name)
    where = {}
    if params.get("ServiceName"):
        check_service(ctx, params["ServiceName"])
        where["service_name"] = params["ServiceName"]
    found = SERVICE_CREDENTIALS.list(ctx.db, ctx.account_id, user.user_id, **where)
    shapes = [_shape(c, user.name) for c in found]
    return page(
        shapes, params, "ServiceSpecificCredentials", key=lambda c: c["ServiceSpecificCredentialId"]
    )


def _own(ctx: OperationContext, params: Params) -> tuple[Any, str]:
    name = caller_user_name(ctx, params)
    if name is None:
        raise credential_not_found(params["ServiceSpecificCredentialId"])
    return get_user(ctx, name), params["ServiceSpecificCredentialId"]


@operation("iam", "ResetServiceSpecificCredential", target=user_target)
def reset_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    user, cred_id = _own(ctx, params)
    password = _password(ctx)
    changed = SERVICE_CREDENTIALS.change(
        ctx.db, ctx.account_id, user.user_id, cred_id, password_hash=hash_password(password)
    )
    found = SERVICE_CREDENTIALS.get(ctx.db, ctx.account_id, user.user_id, cred_id)
    if not changed or found is None:
        raise credential_not_found(cred_id)
    return {"ServiceSpecificCredential": _shape(found, user.name, password)}


@operation("iam", "UpdateServiceSpecificCredential", target=user_target)
def update_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    user, cred_id = _own(ctx, params)
    if not SERVICE_CREDENTIALS.change(
        ctx.db, ctx.account_id, user.user_id, cred_id, status=params["Status"]
    ):
        raise credential_not_found(cred_id)
    return {}


@operation("iam", "DeleteServiceSpecificCredential", target=user_target)
def delete_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    user, cred_id = _own(ctx, params)
    if not SERVICE_CREDENTIALS.delete(ctx.db, ctx.account_id, user.user_id, cred_id):
        raise credential_not_found(cred_id)
    return {}
