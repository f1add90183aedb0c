"""The credential report: Generate/GetCredentialReport.

One CSV line per IAM user and one for the account root (``<root_account>``), with AWS's
columns in AWS's order: passwords, MFA, two access keys with their last use, two signing
certificates. Values are as AWS writes them: ISO 8601 times, ``true``/``false``, ``N/A``
where a column does not apply, ``no_information`` for a use never recorded, and
``not_supported`` for the root's password columns. A report is generated at once and kept
per account; GenerateCredentialReport answers STARTED when it made one and COMPLETE
while the last one is younger than four hours; GetCredentialReport refuses a report
older than that (ReportExpired) and a missing one (ReportNotPresent).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from iamd.errors import ReportExpired, ReportNotPresent
from iamd.iam.password_policy import get_policy
from iamd.operations import OperationContext, Params, Result, no_resource, operation
from iamd.store import access_keys as key_store
from iamd.store import schema
from iamd.store import users as user_store
from iamd.store.accounts import get_account
from iamd.store.db import as_utc
from iamd.store.user_credentials import SIGNING_CERTIFICATES

LIFETIME = dt.timedelta(hours=4)
COLUMNS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]
NA = "N/A"


def _time(value: dt.datetime | None, missing: str = NA) -> str:
    if value is None:
        return missing
    return as_utc(value).replace(microsecond=0).isoformat()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _keys(conn: Connection, account_id: str, user_id: str | None) -> list[str]:
    keys = key_store.list_access_keys(conn, account_id, user_id)[:2]
    cells: list[str] = []
    for index in range(2):
        if index >= len(keys):
            cells += ["false", NA, NA, NA, NA]
            continue
        key = keys[index]
        used = key.last_used_at is not None
        cells += [
            _flag(key.status == "Active"),
            _time(key.created_at),
            _time(key.last_used_at),
            key.last_used_region or NA if used else NA,
            key.last_used_service or NA if used else NA,
        ]
    return cells


def _certificates(conn: Connection, account_id: str, user_id: str | None) -> list[str]:
    certs = SIGNING_CERTIFICATES.list(conn, account_id, user_id)[:2]
    cells: list[str] = []
    for index in range(2):
        if index >= len(certs):
            cells += ["false", NA]
        else:
            cells += [_flag(certs[index].status == "Active"), _time(certs[index].created_at)]
    return cells


def _mfa_active(conn: Connection, account_id: str, user_id: str | None) -> str:
    m = schema.mfa_devices
    owner = m.c.user_id.is_(None) if user_id is None else m.c.user_id == user_id
    stmt = select(m.c.serial_number).where(
        m.c.account_id == account_id, owner, m.c.enabled_at.is_not(None)
    )
    return _flag(conn.execute(stmt).first() is not None)


def build_report(conn: Connection, account_id: str) -> str:
    policy = get_policy(conn, account_id)
    account = get_account(conn, account_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    root = ["<root_account>", f"arn:aws:iam::{account_id}:root"]
    root += [_time(account.created_at if account else None)]
    root += ["not_supported", "no_information", "not_supported", "not_supported"]
    root += [_mfa_active(conn, account_id, None)]
    writer.writerow(root + _keys(conn, account_id, None) + _certificates(conn, account_id, None))
    profiles = schema.login_profiles
    for user in user_store.all_users(conn, account_id):
        login = conn.execute(select(profiles).where(profiles.c.user_id == user.user_id)).first()
        if login is None:
            password = ["false", NA, NA, NA]
        else:
            expires = policy.expires_at(as_utc(login.password_changed_at)) if policy else None
            password = [
                "true",
                _time(login.password_last_used_at, "no_information"),
                _time(login.password_changed_at),
                _time(expires),
            ]
        row = [user.name, user.arn, _time(user.created_at), *password]
        row.append(_mfa_active(conn, account_id, user.user_id))
        writer.writerow(
            row
            + _keys(conn, account_id, user.user_id)
            + _certificates(conn, account_id, user.user_id)
        )
    return out.getvalue()


def _stored(conn: Connection, account_id: str) -> Any:
    t = schema.credential_reports
    return conn.execute(select(t).where(t.c.account_id == account_id)).first()


@operation("iam", "GenerateCredentialReport", target=no_resource)
def generate_credential_report(ctx: OperationContext, params: Params) -> Result:
    found = _stored(ctx.db, ctx.account_id)
    if found is not None and ctx.now - as_utc(found.generated_at) < LIFETIME:
        return {"State": "COMPLETE", "Description": "Report generation is complete"}
    t = schema.credential_reports
    ctx.db.execute(delete(t).where(t.c.account_id == ctx.account_id))
    ctx.db.execute(
        insert(t).values(
            account_id=ctx.account_id,
            generated_at=ctx.now,
            content=build_report(ctx.db, ctx.account_id),
        )
    )
    return {
        "State": "STARTED",
        "Description": "No report exists. Starting a new report generation task",
    }


@operation("iam", "GetCredentialReport", target=no_resource)
def get_credential_report(ctx: OperationContext, params: Params) -> Result:
    found = _stored(ctx.db, ctx.account_id)
    if found is None:
        raise ReportNotPresent()
    generated = as_utc(found.generated_at)
    if ctx.now - generated >= LIFETIME:
        raise ReportExpired()
    return {
        "Content": found.content.encode("utf-8"),
        "ReportFormat": "text/csv",
        "GeneratedTime": generated,
    }
