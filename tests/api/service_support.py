"""Shared steps of the service API tests: register a service, report its resources.

Done in this process on the server's own database, as ``iamd service ...`` does it (a
subprocess per test costs a second); ``test_service_principals`` runs the CLI itself.
"""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from iamd.iam import services
from iamd.store.secrets import AesGcmBox, parse_master_key

from .conftest import Credentials, IamdServer


def register(
    server: IamdServer,
    name: str,
    account: Credentials,
    *,
    linked_role_name: str | None = None,
    custom_suffix: bool = False,
    policy_document: str | None = None,
) -> Credentials:
    """Register ``name`` and return its credentials in ``account``; again: more credentials."""
    box = AesGcmBox(parse_master_key(server.master_key, source="the test master key"))
    now = dt.datetime.now(dt.UTC)
    account_id = str(account.account_id)

    def run(conn: Any) -> services.Issued:
        if services.find_service(conn, name) is not None and not name.endswith(".amazonaws.com"):
            return services.issue_credentials(
                conn,
                box,
                principal=name,
                account_id=account_id,
                now=now,
                random_bytes=secrets.token_bytes,
            )
        role = services.linked_role_spec(
            name, linked_role_name, custom_suffix=custom_suffix, policy_document=policy_document
        )
        return services.register_service(
            conn,
            box,
            principal=name,
            account_id=account_id,
            title=None,
            linked_role=role,
            now=now,
            random_bytes=secrets.token_bytes,
        )

    issued: services.Issued = server._database().run(True, run)
    return Credentials(issued.access_key_id, issued.secret_access_key, account_id=account_id)


def set_resources(
    server: IamdServer,
    name: str,
    account: Credentials,
    role_name: str,
    resources: Sequence[str],
    region: str = "us-east-1",
) -> None:
    """What ``name`` reports as still using its linked role ``role_name``."""

    def run(conn: Any) -> None:
        services.set_resources(
            conn,
            principal=name,
            account_id=str(account.account_id),
            role_name=role_name,
            resources=resources,
            region=region,
        )

    server._database().run(True, run)


def iamd_cli(server: IamdServer, *args: str) -> subprocess.CompletedProcess[str]:
    """``iamd ARGS`` on the server's store (its data dir or database)."""
    where = ["--db", server.db_url] if server.db_url else ["--data-dir", str(server.data_dir)]
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", *args, *where],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
