"""What a store holds before the first request: schema, master key, default account, AWS
managed policies.

``open_store(settings)`` is the one call a server (or the CLI) makes at start. Every step
is idempotent and safe when several processes start at once on the same store: schema
creation takes a lock, rows are inserted only if missing, and the default account's row
is locked while its root credentials are decided.

Root credentials come from ``IAMD_ROOT_ACCESS_KEY_ID``/``IAMD_ROOT_SECRET_ACCESS_KEY``
when set (any id and secret of 3 or more characters). Otherwise the first start generates
them, prints them once to standard error and writes them to ``root-credentials.json``
(mode 0600) in the data directory; later starts leave them alone.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, select, update

from iamd.config import Settings
from iamd.store import access_keys, schema, services
from iamd.store.db import Database, insert_ignore, lock_row
from iamd.store.secrets import AesGcmBox, SecretBox, open_secret_box

RandomBytes = Callable[[int], bytes]
ROOT_CREDENTIALS_FILE = "root-credentials.json"
AWS_POLICY_ARN_PREFIX = "arn:aws:iam::aws:policy"


class BootstrapError(Exception):
    """The store cannot be prepared as configured (the message says why)."""


@dataclass(frozen=True, slots=True)
class RootCredentials:
    account_id: str
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"RootCredentials({self.account_id!r}, {self.access_key_id!r}, <secret hidden>)"


@dataclass(frozen=True, slots=True)
class ManagedPolicySeed:
    name: str
    path: str
    description: str
    document: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def arn(self) -> str:
        return f"{AWS_POLICY_ARN_PREFIX}{self.path}{self.name}"

    @property
    def policy_id(self) -> str:
        """A stable ``ANPA`` id, the same in every store and on every start."""
        digest = hashlib.sha256(f"aws-managed-policy:{self.arn}".encode()).digest()
        return "ANPA" + base64.b32encode(digest).decode()[:17]


@dataclass(frozen=True, slots=True)
class Store:
    db: Database
    secrets: AesGcmBox
    generated_root: RootCredentials | None  # set on the start that generated them


def open_store(
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    random_bytes: RandomBytes = secrets.token_bytes,
    announce: TextIO | None = None,
    upgrade: bool = True,
) -> Store:
    """Create the schema, check the master key, seed the default account and AWS managed
    policies. Raises MasterKeyError (wrong key) or BootstrapError."""
    db = Database(settings.database_url)
    try:
        db.create_schema(upgrade=upgrade)
        box = open_secret_box(settings, db)
        generated = bootstrap(
            db,
            box,
            settings,
            now=now or dt.datetime.now(dt.UTC),
            random_bytes=random_bytes,
            announce=announce if announce is not None else sys.stderr,
        )
    except BaseException:
        db.dispose()
        raise
    return Store(db, box, generated)


def bootstrap(
    db: Database,
    box: SecretBox,
    settings: Settings,
    *,
    now: dt.datetime,
    random_bytes: RandomBytes,
    announce: TextIO,
) -> RootCredentials | None:
    """Seed AWS managed policies and the default account; returns root credentials when
    this call generated them (and has printed and saved them)."""
    seeds = load_aws_managed_policies()
    db.run(True, lambda conn: seed_managed_policies(conn, seeds))
    generated = db.run(
        True,
        lambda conn: seed_default_account(conn, box, settings, now=now, random_bytes=random_bytes),
    )
    if generated is not None:
        path = write_root_credentials(settings.data_dir, generated)
        print(
            f"iamd: generated root credentials for account {generated.account_id} "
            f"(shown once; saved to {path}):\n"
            f"  AWS_ACCESS_KEY_ID={generated.access_key_id}\n"
            f"  AWS_SECRET_ACCESS_KEY={generated.secret_access_key}",
            file=announce,
            flush=True,
        )
    return generated


def seed_default_account(
    conn: Connection,
    box: SecretBox,
    settings: Settings,
    *,
    now: dt.datetime,
    random_bytes: RandomBytes,
) -> RootCredentials | None:
    """Make sure the default account exists with root credentials (see the module doc)."""
    account_id = settings.account_id
    key_id, secret = settings.root_access_key_id, settings.root_secret_access_key
    if (key_id is None) != (secret is None):
        raise BootstrapError(
            "set both IAMD_ROOT_ACCESS_KEY_ID and IAMD_ROOT_SECRET_ACCESS_KEY, or neither"
        )
    insert_ignore(
        conn,
        schema.accounts,
        {"account_id": account_id, "alias": None, "created_at": now, "change_counter": 0},
    )
    # INVARIANT: writers of the default account's root keys hold this lock (PostgreSQL) or
    # the database write lock (SQLite), so exactly one start generates credentials.
    lock_row(conn, schema.accounts, {"account_id": account_id})
    if key_id is not None and secret is not None:
        _ensure_chosen_root_key(conn, box, account_id, key_id, secret, now, random_bytes)
        return None
    if access_keys.count_access_keys(conn, account_id, None) > 0:
        return None
    key, new_secret = access_keys.create_access_key(
        conn, box, account_id=account_id, user_id=None, now=now, random_bytes=random_bytes
    )
    return RootCredentials(account_id, key.access_key_id, new_secret)


def _ensure_chosen_root_key(
    conn: Connection,
    box: SecretBox,
    account_id: str,
    key_id: str,
    secret: str,
    now: dt.datetime,
    random_bytes: RandomBytes,
) -> None:
    existing = access_keys.get_for_authentication(conn, box, key_id)
    if existing is None:
        access_keys.create_access_key(
            conn,
            box,
            account_id=account_id,
            user_id=None,
            now=now,
            random_bytes=random_bytes,
            key_id=key_id,
            secret=secret,
        )
        return
    if existing.account_id != account_id or existing.user_id is not None:
        raise BootstrapError(
            f"IAMD_ROOT_ACCESS_KEY_ID {key_id!r} already belongs to another identity"
        )
    if existing.secret != secret or not existing.active:
        # The operator's configuration is authoritative for the key it names.
        ak = schema.access_keys
        conn.execute(
            update(ak)
            .where(ak.c.access_key_id == key_id)
            .values(secret_ciphertext=box.encrypt(secret.encode()), status=access_keys.ACTIVE)
        )


def write_root_credentials(data_dir: Path, creds: RootCredentials) -> Path:
    """Save generated root credentials, readable only by the owner."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / ROOT_CREDENTIALS_FILE
    body = {
        "AccountId": creds.account_id,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2)
        handle.write("\n")
    return path


def load_aws_managed_policies() -> list[ManagedPolicySeed]:
    """The AWS managed policies shipped in ``data/aws_managed_policies.json``, and the
    service-linked roles' policies of the service catalog (``store.services``)."""
    raw = resources.files("iamd.store").joinpath("data/aws_managed_policies.json").read_text()
    seeds = []
    for entry in json.loads(raw)["policies"] + services.catalog_policy_entries():
        seeds.append(
            ManagedPolicySeed(
                name=entry["name"],
                path=entry["path"],
                description=entry["description"],
                document=json.dumps(entry["document"], indent=4),
                created_at=_timestamp(entry["create_date"]),
                updated_at=_timestamp(entry["update_date"]),
            )
        )
    return seeds


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def seed_managed_policies(conn: Connection, seeds: list[ManagedPolicySeed]) -> int:
    """Insert the AWS managed policies that are missing (v1, default); returns how many.

    An existing policy whose v1 document differs from the shipped one gets the new text,
    so upgrading iamd updates the documents.
    """
    mp, pv = schema.managed_policies, schema.policy_versions
    existing: dict[str, Any] = {
        row.policy_id: row.document
        for row in conn.execute(
            select(pv.c.policy_id, pv.c.document)
            .join(mp, mp.c.policy_id == pv.c.policy_id)
            .where(mp.c.account_id == schema.AWS_MANAGED_ACCOUNT, pv.c.version_id == "v1")
        )
    }
    added = 0
    for seed in seeds:
        if seed.policy_id in existing:
            if existing[seed.policy_id] != seed.document:
                conn.execute(
                    update(pv)
                    .where(pv.c.policy_id == seed.policy_id, pv.c.version_id == "v1")
                    .values(document=seed.document)
                )
            continue
        inserted = insert_ignore(
            conn,
            mp,
            {
                "policy_id": seed.policy_id,
                "account_id": schema.AWS_MANAGED_ACCOUNT,
                "name": seed.name,
                "name_lower": seed.name.lower(),
                "path": seed.path,
                "arn": seed.arn,
                "description": seed.description,
                "default_version_id": "v1",
                "next_version_number": 2,
                "created_at": seed.created_at,
                "updated_at": seed.updated_at,
            },
        )
        insert_ignore(
            conn,
            pv,
            {
                "policy_id": seed.policy_id,
                "version_id": "v1",
                "document": seed.document,
                "is_default": True,
                "created_at": seed.updated_at,
            },
        )
        added += int(inserted)
    return added
