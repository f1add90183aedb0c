"""Services: the shipped catalog, registered services, their credentials, the resources
that still use their linked roles, and service-linked role deletion tasks.

No business rules: ``iam.services`` decides what may be registered and who may act;
``iam.service_linked_roles`` runs the deletion tasks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from iamd.model.ids import IdPrefix, access_key_id, secret_access_key
from iamd.model.services import Catalog, LinkedRole, Service, parse_catalog
from iamd.store import schema
from iamd.store.db import as_utc
from iamd.store.secrets import SecretBox

RandomBytes = Callable[[int], bytes]

ACTIVE = "Active"
INACTIVE = "Inactive"

NOT_STARTED = "NOT_STARTED"
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
PENDING = (NOT_STARTED, IN_PROGRESS)

_svc = schema.services
_creds = schema.service_credentials
_usage = schema.service_role_usage
_tasks = schema.slr_deletion_tasks


# --- the catalog ----------------------------------------------------------------------------


@cache
def catalog() -> Catalog:
    """The catalog shipped in ``data/service_catalog.json`` (read once per process)."""
    raw = resources.files("iamd.store").joinpath("data/service_catalog.json").read_text()
    return parse_catalog(json.loads(raw))


def catalog_policy_entries() -> list[dict[str, Any]]:
    """The catalog's AWS managed policies, in ``aws_managed_policies.json``'s entry form,
    for the bootstrap to seed under account ``aws``."""
    return [
        {
            "name": p.name,
            "path": p.path,
            "description": p.description,
            "document": p.document,
            "create_date": p.create_date,
            "update_date": p.update_date,
        }
        for p in catalog().policies
    ]


# --- registered services --------------------------------------------------------------------


def _service(row: Row[Any]) -> Service:
    m = row._mapping
    role = None
    if m["linked_role_name"]:
        role = LinkedRole(
            role_name=m["linked_role_name"],
            custom_suffix=bool(m["custom_suffix"]),
            description=m["linked_role_description"],
            inline_policy=m["linked_role_policy"],
        )
    return Service(m["principal"], m["title"], role, registered=True)


def get_registered(conn: Connection, principal: str) -> Service | None:
    row = conn.execute(select(_svc).where(_svc.c.principal == principal)).first()
    return _service(row) if row is not None else None


def list_registered(conn: Connection) -> list[Service]:
    return [_service(row) for row in conn.execute(select(_svc).order_by(_svc.c.principal))]


def insert_service(conn: Connection, service: Service, now: dt.datetime) -> None:
    """A new registered service; a taken principal raises RowConflict (the transaction)."""
    role = service.linked_role
    conn.execute(
        insert(_svc).values(
            principal=service.principal,
            title=service.title,
            linked_role_name=role.role_name if role else None,
            custom_suffix=role.custom_suffix if role else False,
            linked_role_description=role.description if role else None,
            linked_role_policy=role.inline_policy if role else None,
            created_at=now,
        )
    )


# --- credentials ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceCredential:
    access_key_id: str
    principal: str
    account_id: str
    status: str
    created_at: dt.datetime
    secret: str | None = field(default=None, repr=False)  # only for authentication

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


def create_credential(
    conn: Connection,
    box: SecretBox,
    *,
    principal: str,
    account_id: str,
    now: dt.datetime,
    random_bytes: RandomBytes,
) -> tuple[ServiceCredential, str]:
    """New long-term credentials (``AKIA...`` carrying the account) for a registered service."""
    key_id = access_key_id(IdPrefix.LONG_TERM_KEY, account_id, random_bytes)
    secret = secret_access_key(random_bytes)
    conn.execute(
        insert(_creds).values(
            access_key_id=key_id,
            principal=principal,
            account_id=account_id,
            secret_ciphertext=box.encrypt(secret.encode()),
            status=ACTIVE,
            created_at=now,
        )
    )
    return ServiceCredential(key_id, principal, account_id, ACTIVE, now), secret


def _credential(row: Row[Any], secret: str | None = None) -> ServiceCredential:
    return ServiceCredential(
        access_key_id=row.access_key_id,
        principal=row.principal,
        account_id=row.account_id,
        status=row.status,
        created_at=as_utc(row.created_at),
        secret=secret,
    )


def credential_for_authentication(
    conn: Connection, box: SecretBox, key_id: str
) -> ServiceCredential | None:
    """The credential with its decrypted secret, or None when there is no such key."""
    row = conn.execute(select(_creds).where(_creds.c.access_key_id == key_id)).first()
    if row is None:
        return None
    return _credential(row, box.decrypt(row.secret_ciphertext).decode())


def credentials_of(conn: Connection, principal: str) -> list[ServiceCredential]:
    stmt = select(_creds).where(_creds.c.principal == principal).order_by(_creds.c.created_at)
    return [_credential(row) for row in conn.execute(stmt)]


def set_credential_status(conn: Connection, key_id: str, status: str) -> str | None:
    """Set a credential's status; returns its account (None: no such credential)."""
    row = conn.execute(select(_creds.c.account_id).where(_creds.c.access_key_id == key_id)).first()
    if row is None:
        return None
    conn.execute(update(_creds).where(_creds.c.access_key_id == key_id).values(status=status))
    return str(row.account_id)


def delete_credential(conn: Connection, key_id: str) -> str | None:
    """Delete a credential; returns its account (None: no such credential)."""
    row = conn.execute(select(_creds.c.account_id).where(_creds.c.access_key_id == key_id)).first()
    if row is None:
        return None
    conn.execute(delete(_creds).where(_creds.c.access_key_id == key_id))
    return str(row.account_id)


# --- resources that use a linked role -------------------------------------------------------


def set_role_usage(
    conn: Connection,
    account_id: str,
    principal: str,
    role_name: str,
    region: str,
    resources: Sequence[str],
) -> None:
    """Replace what ``principal`` reports as using its role ``role_name`` in ``region``."""
    key = (
        _usage.c.account_id == account_id,
        _usage.c.principal == principal,
        _usage.c.role_name_lower == role_name.lower(),
        _usage.c.region == region,
    )
    conn.execute(delete(_usage).where(*key))
    for arn in dict.fromkeys(resources):
        conn.execute(
            insert(_usage).values(
                account_id=account_id,
                principal=principal,
                role_name_lower=role_name.lower(),
                region=region,
                resource_arn=arn,
            )
        )


def role_usage(
    conn: Connection, account_id: str, principal: str, role_name: str
) -> list[dict[str, Any]]:
    """``[{"Region": ..., "Resources": [...]}]``: what still uses the role, by region."""
    stmt = (
        select(_usage.c.region, _usage.c.resource_arn)
        .where(
            _usage.c.account_id == account_id,
            _usage.c.principal == principal,
            _usage.c.role_name_lower == role_name.lower(),
        )
        .order_by(_usage.c.region, _usage.c.resource_arn)
    )
    by_region: dict[str, list[str]] = {}
    for row in conn.execute(stmt):
        by_region.setdefault(row.region, []).append(row.resource_arn)
    return [{"Region": region, "Resources": arns} for region, arns in by_region.items()]


# --- deletion tasks -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeletionTask:
    task_id: str
    account_id: str
    principal: str
    role_name: str
    status: str
    reason: str | None
    role_usage: list[dict[str, Any]] | None
    created_at: dt.datetime


def _task(row: Row[Any]) -> DeletionTask:
    return DeletionTask(
        task_id=row.task_id,
        account_id=row.account_id,
        principal=row.principal,
        role_name=row.role_name,
        status=row.status,
        reason=row.reason,
        role_usage=json.loads(row.role_usage) if row.role_usage else None,
        created_at=as_utc(row.created_at),
    )


def insert_task(conn: Connection, task: DeletionTask) -> None:
    conn.execute(
        insert(_tasks).values(
            task_id=task.task_id,
            account_id=task.account_id,
            principal=task.principal,
            role_name=task.role_name,
            status=task.status,
            reason=task.reason,
            role_usage=json.dumps(task.role_usage) if task.role_usage is not None else None,
            created_at=task.created_at,
        )
    )


def finish_task(
    conn: Connection,
    task_id: str,
    status: str,
    now: dt.datetime,
    reason: str | None = None,
    usage: list[dict[str, Any]] | None = None,
) -> None:
    conn.execute(
        update(_tasks)
        .where(_tasks.c.task_id == task_id)
        .values(
            status=status,
            reason=reason,
            role_usage=json.dumps(usage) if usage is not None else None,
            finished_at=now,
        )
    )


def get_task(conn: Connection, account_id: str, task_id: str) -> DeletionTask | None:
    row = conn.execute(
        select(_tasks).where(_tasks.c.task_id == task_id, _tasks.c.account_id == account_id)
    ).first()
    return _task(row) if row is not None else None


def pending_task(conn: Connection, account_id: str, role_name: str) -> DeletionTask | None:
    """A task for the role that has not finished yet (AWS returns its id again)."""
    row = conn.execute(
        select(_tasks).where(
            _tasks.c.account_id == account_id,
            _tasks.c.role_name == role_name,
            _tasks.c.status.in_(PENDING),
        )
    ).first()
    return _task(row) if row is not None else None
