"""The API test harness: a real ``iamd serve`` process, driven by boto3 and the AWS CLI.

Fixtures (no mocks anywhere: every test talks HTTP to a server subprocess):

- ``iamd_server`` (session, parametrized ``sqlite`` / ``postgresql``): an ``IamdServer``
  on a free port with a temporary data dir, default account ``123456789012`` and root
  credentials ``ROOT`` (``IAMD_ROOT_ACCESS_KEY_ID``/``IAMD_ROOT_SECRET_ACCESS_KEY``).
  Set ``IAMD_TEST_BACKENDS=sqlite`` to skip PostgreSQL in a quick local run.
- ``account`` (function): a fresh account on that server (``iamd account create --json``)
  with its root credentials, so that tests do not see each other's users and roles.
- ``iam`` / ``sts``: boto3 clients for ``account``'s root; ``make_client(service,
  credentials)`` for any other credentials; ``aws(*args, credentials=...)`` runs the AWS
  CLI (``aws --endpoint-url ... iam list-roles``) and returns a ``CliResult``.
- ``iamd_cluster`` (session): two server processes on one PostgreSQL database, for the
  concurrency tests.

Clients have retries off and use region us-east-1; the server's log is in
``IamdServer.log_path`` and its tail is shown when it fails to start.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from iamd.store import access_keys, accounts
from iamd.store.db import Database
from iamd.store.secrets import AesGcmBox, parse_master_key
from pg import PostgresServer, postgres_server

__all__ = ["postgres_server"]

DEFAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"
START_TIMEOUT = 60.0
_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    account_id: str | None = None


ROOT = Credentials("test", "test", account_id=DEFAULT_ACCOUNT)

_CLIENT_CONFIG = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=10,
    read_timeout=60,
)
_UNVALIDATED_CONFIG = _CLIENT_CONFIG.merge(Config(parameter_validation=False))
_BOTO = boto3.session.Session(region_name=REGION)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _iamd_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "iamd.cli.main", *args]


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None

    @property
    def error_code(self) -> str | None:
        """The AWS error code the CLI printed (``... (NoSuchEntity) when calling ...``)."""
        marker = "An error occurred ("
        start = self.stderr.find(marker)
        if start < 0:
            return None
        start += len(marker)
        return self.stderr[start : self.stderr.find(")", start)]


@dataclass
class IamdServer:
    """One running ``iamd serve``; stop() ends it."""

    backend: str
    data_dir: Path
    db_url: str | None
    master_key: str = field(repr=False)
    root: Credentials = ROOT
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def audit_log_path(self) -> Path:
        return self.data_dir / "audit.jsonl"

    def env(self) -> dict[str, str]:
        """The environment of this server's processes (and of ``iamd account``)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_"))}
        env.update(
            IAMD_ACCOUNT_ID=self.root.account_id or DEFAULT_ACCOUNT,
            IAMD_ROOT_ACCESS_KEY_ID=self.root.access_key_id,
            IAMD_ROOT_SECRET_ACCESS_KEY=self.root.secret_access_key,
            IAMD_MASTER_KEY=self.master_key,
            IAMD_DATA_DIR=str(self.data_dir),
            IAMD_AUDIT_LOG=str(self.audit_log_path),
            PYTHONWARNINGS="error",
        )
        if self.db_url:
            env["IAMD_DB_URL"] = self.db_url
        return env

    def start(self, *extra: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            self.port = _free_port()
            args = ["serve", "--port", str(self.port), "--data-dir", str(self.data_dir), *extra]
            if self.db_url:
                args += ["--db", self.db_url]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    _iamd_command(*args),
                    env=self.env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_ready():
                return
            self.stop()
        raise RuntimeError(f"iamd serve did not start:\n{self.log_tail()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.endpoint}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # -- clients --------------------------------------------------------------------------

    def client(
        self, service: str, credentials: Credentials | None = None, *, validate: bool = True
    ) -> Any:
        """A boto3 client for ``service`` (iam, sts) with ``credentials`` (default: root).

        ``validate=False`` turns botocore's own parameter validation off, to send what the
        server must refuse itself.
        """
        creds = credentials or self.root
        return _BOTO.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
            config=_CLIENT_CONFIG if validate else _UNVALIDATED_CONFIG,
        )

    def aws(self, *args: str, credentials: Credentials | None = None) -> CliResult:
        """Run ``aws --endpoint-url <server> <args>`` with ``credentials`` in its env."""
        creds = credentials or self.root
        exe = _BIN / "aws" if (_BIN / "aws").exists() else shutil.which("aws")
        assert exe, "the AWS CLI is not installed (it is in the test extra)"
        empty = Path(tempfile.gettempdir()) / "iamd-tests-no-aws-config"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=creds.access_key_id,
            AWS_SECRET_ACCESS_KEY=creds.secret_access_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(empty),
            AWS_SHARED_CREDENTIALS_FILE=str(empty),
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
            AWS_PAGER="",
        )
        if creds.session_token:
            env["AWS_SESSION_TOKEN"] = creds.session_token
        done = subprocess.run(
            [str(exe), "--endpoint-url", self.endpoint, "--output", "json", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    def set_root_password(self, account_id: str, password: str) -> None:
        """Give ``account_id``'s root user ``password``, as ``iamd account password`` does."""
        done = subprocess.run(
            [sys.executable, "-m", "iamd.cli.main", "account", "password", account_id],
            input=f"{password}\n",
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr

    def create_account(self, alias: str | None = None) -> Credentials:
        """A new account in this server's store, as ``iamd account create`` makes one.

        Done in this process on the server's own database (a subprocess per test costs a
        second of interpreter start-up); ``tests/store`` runs the CLI itself.
        """
        database = self._database()
        box = AesGcmBox(parse_master_key(self.master_key, source="the test master key"))
        now = dt.datetime.now(dt.UTC)

        def create(conn: Any) -> Credentials:
            created = accounts.create_account(
                conn, now=now, random_bytes=secrets.token_bytes, alias=alias
            )
            key, secret = access_keys.create_access_key(
                conn,
                box,
                account_id=created.account_id,
                user_id=None,
                now=now,
                random_bytes=secrets.token_bytes,
            )
            return Credentials(key.access_key_id, secret, account_id=created.account_id)

        result: Credentials = database.run(True, create)
        return result

    def _database(self) -> Database:
        if self._db is None:
            self._db = Database(self.db_url or f"sqlite:///{self.data_dir / 'iamd.sqlite3'}")
        return self._db

    def close_database(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def _master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _backends() -> list[str]:
    chosen = os.environ.get("IAMD_TEST_BACKENDS", "sqlite,postgresql")
    return [b.strip() for b in chosen.split(",") if b.strip()]


@pytest.fixture(scope="session", params=_backends())
def iamd_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IamdServer]:
    """A running ``iamd serve`` on SQLite or PostgreSQL, for the whole session."""
    backend: str = request.param
    db_url: str | None = None
    pg: PostgresServer | None = None
    if backend == "postgresql":
        pg = request.getfixturevalue("postgres_server")
        db_url = pg.create_database()
    server = IamdServer(backend, tmp_path_factory.mktemp(f"iamd-{backend}"), db_url, _master_key())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        server.close_database()
        if pg is not None and db_url is not None:
            pg.drop_database(db_url)


@pytest.fixture(scope="session")
def iamd_cluster(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[IamdServer]]:
    """Two ``iamd serve`` processes on one PostgreSQL database (same master key)."""
    db_url = postgres_server.create_database()
    key = _master_key()
    servers = [
        IamdServer("postgresql", tmp_path_factory.mktemp(f"iamd-node{i}"), db_url, key)
        for i in range(2)
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
            server.close_database()
        postgres_server.drop_database(db_url)


@pytest.fixture
def account(iamd_server: IamdServer) -> Credentials:
    """A fresh account's root credentials: each test gets an empty account of its own."""
    return iamd_server.create_account()


MakeClient = Callable[..., Any]


@pytest.fixture
def make_client(iamd_server: IamdServer) -> MakeClient:
    """``make_client("iam", credentials)``: a boto3 client for any credentials."""
    return iamd_server.client


@pytest.fixture
def iam(iamd_server: IamdServer, account: Credentials) -> Any:
    """IAM as the root user of the test's own account."""
    return iamd_server.client("iam", account)


@pytest.fixture
def sts(iamd_server: IamdServer, account: Credentials) -> Any:
    """STS as the root user of the test's own account."""
    return iamd_server.client("sts", account)


@pytest.fixture
def aws(iamd_server: IamdServer, account: Credentials) -> Callable[..., CliResult]:
    """Run the AWS CLI against the server, as the test account's root by default."""

    def run(*args: str, credentials: Credentials | None = None) -> CliResult:
        return iamd_server.aws(*args, credentials=credentials or account)

    return run


# -- the console's browser (tests/api/browser.py) -------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, for one test module: Playwright's sync API runs
    an event loop on the main thread while it is open, and later tests call asyncio.run."""
    from . import browser

    if not browser.CHROMIUM.exists():
        if browser.in_ci():
            pytest.fail("CI must install Debian's chromium package (.ci/run does)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(browser.CHROMIUM), args=browser.LAUNCH_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(chromium: Any, iamd_server: IamdServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the server's console."""
    context = chromium.new_context(base_url=iamd_server.endpoint)
    context.set_default_timeout(15_000)
    fetched: list[str] = []
    context.on("request", lambda request: fetched.append(request.url))
    opened = context.new_page()
    yield opened
    context.close()
    # the console fetches nothing from anywhere but the server: no fonts, scripts, images
    elsewhere = [
        url
        for url in fetched
        if not url.startswith(iamd_server.endpoint + "/")
        and not url.startswith(("data:", "about:"))
    ]
    assert not elsewhere, f"the page fetched from elsewhere: {elsewhere}"


def children(pid: int) -> list[int]:
    """The processes the server ``pid`` started (Linux, from /proc): its workers and its
    audit storing process (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))
    return found
