"""The servers bench/api.py measures: ``iamd serve`` and moto's server, as subprocesses.

Each runs on a free loopback port with its log in the run's temporary directory and is
stopped (terminate, then kill) when its ``with`` block ends. ``seed`` gives either
server the same fixture through boto3: a user with an access key, 100 roles whose trust
policy names that user, and a session of one of them. ``seed_roles_sql`` grows iamd's
store to any number of roles with direct inserts into the store's own ``roles`` table
(copies of a seeded role under new names and ids), minutes faster than the API.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from api_load import REGION, Keys
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import insert, select

ACCOUNT = "123456789012"
ROOT = Keys("test", "test")
START_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
ROLE_PREFIX = "r-"
SEEDED_PREFIX = "q-"  # sorts before ROLE_PREFIX: the first page is SQL-seeded roles
USER = "bench-user"
_CLIENT = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60)

# moto's server logs every request through werkzeug; that log is turned off so that
# moto is measured doing the same work as iamd (whose access log is off).
_MOTO_MAIN = (
    "import logging, sys; logging.getLogger('werkzeug').setLevel(logging.WARNING); "
    "from moto.server import main; main(sys.argv[1:])"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A server subprocess on a free port; a context manager that stops it."""

    name = "server"
    start_timeout = START_TIMEOUT  # seconds to answer its first request
    stop_timeout = STOP_TIMEOUT  # seconds from SIGTERM to its exit, before SIGKILL

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """The caller's environment but its AWS and iamd settings; the audit trail's
        switches (IAMD_AUDIT, IAMD_AUDIT_READS) pass, to measure with and without it."""
        return {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("IAMD_", "AWS_")) or k.startswith("IAMD_AUDIT")
        }

    def ready_url(self) -> str:
        return self.endpoint + "/"

    def __enter__(self) -> Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.ready_url(), timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                time.sleep(0.1)
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} did not start:\n{tail}")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)

    def client(self, service: str, keys: Keys = ROOT) -> Any:
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
            aws_session_token=keys.session_token,
            config=_CLIENT,
        )


class IamdServer(Server):
    """``iamd serve --workers N`` on SQLite in its own data directory."""

    def __init__(self, workdir: Path, workers: int, audit: str | None = None) -> None:
        super().__init__(workdir)
        self.workers = workers
        # The trail: "off", "on" (stored by the storing process), "worker" (stored by the
        # workers themselves, IAMD_AUDIT_PROCESS=off); None: the caller's environment's.
        self.audit = audit
        self.name = f"iamd ({workers} worker{'s' if workers > 1 else ''})"
        if audit is not None:
            self.name += f", trail {audit}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "iamd.cli.main",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(
            IAMD_ACCOUNT_ID=ACCOUNT,
            IAMD_ROOT_ACCESS_KEY_ID=ROOT.access_key_id,
            IAMD_ROOT_SECRET_ACCESS_KEY=ROOT.secret_access_key,
            IAMD_QUOTA_ROLES_PER_ACCOUNT="10000000",  # CreateRole makes tens of thousands
        )
        if self.audit is not None:
            env["IAMD_AUDIT"] = "off" if self.audit == "off" else "on"
            env["IAMD_AUDIT_PROCESS"] = "off" if self.audit == "worker" else "on"
        return env

    def ready_url(self) -> str:
        return self.endpoint + "/healthz"


class MotoServer(Server):
    """moto's server (``moto_server``), every service on one port, state in memory."""

    name = "moto"

    def command(self) -> list[str]:
        return [sys.executable, "-c", _MOTO_MAIN, "-H", "127.0.0.1", "-p", str(self.port)]

    def ready_url(self) -> str:
        return self.endpoint + "/moto-api/"


@dataclass(frozen=True)
class Fixture:
    """What the measured calls act on, identical on every server."""

    role_name: str
    role_arn: str
    trust_policy: str
    user: Keys
    session: Keys


def role_name(index: int) -> str:
    return f"{ROLE_PREFIX}{index:05d}"


# The trust policy of every seeded and created role: the bench user may assume it.
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{USER}"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def seed(server: Server, roles: int = 100) -> Fixture:
    """A user with a key, ``roles`` roles trusting it, and a session of one of them."""
    iam = server.client("iam")
    iam.create_user(UserName=USER)
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    user = Keys(key["AccessKeyId"], key["SecretAccessKey"])
    for index in range(roles):
        iam.create_role(RoleName=role_name(index), AssumeRolePolicyDocument=TRUST_POLICY)
    target = role_name(roles // 2)
    arn = iam.get_role(RoleName=target)["Role"]["Arn"]
    creds = None
    for _ in range(50):  # IAM users take a moment to become usable in moto too
        try:
            creds = server.client("sts", user).assume_role(RoleArn=arn, RoleSessionName="bench")
            break
        except ClientError:
            time.sleep(0.1)
    if creds is None:
        raise RuntimeError(f"{server.name}: AssumeRole failed while seeding")
    c = creds["Credentials"]
    session = Keys(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    return Fixture(target, arn, TRUST_POLICY, user, session)


def seed_roles_sql(server: IamdServer, total: int) -> int:
    """Grow the account to ``total`` roles with direct inserts; returns how many were added.

    Each new row copies the role ``r-00000`` (its trust policy and the principal ids it
    resolved to) under a new name (``q-NNNNNN``, sorting first), ARN and role id.
    """
    from iamd.model.ids import IdPrefix, unique_id
    from iamd.store import schema
    from iamd.store.db import Database, touch_account

    roles = schema.roles
    with Database(f"sqlite:///{server.data_dir / 'iamd.sqlite3'}") as db, db.transaction() as conn:
        template = (
            conn.execute(
                select(roles).where(roles.c.account_id == ACCOUNT, roles.c.name_lower == "r-00000")
            )
            .one()
            ._asdict()
        )
        have = len(conn.execute(select(roles.c.role_id).where(roles.c.account_id == ACCOUNT)).all())
        rows = []
        for index in range(total - have):
            name = f"{SEEDED_PREFIX}{index:06d}"
            row = dict(template)
            row.update(
                role_id=unique_id(IdPrefix.ROLE, secrets.token_bytes),
                name=name,
                name_lower=name,
                arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
            )
            rows.append(row)
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(roles), rows[start : start + 10_000])
        touch_account(conn, ACCOUNT)
    return len(rows)
