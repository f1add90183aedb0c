"""aws:SourceIp is the TCP peer unless the server is told to believe a proxy.

uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so any process on the host
could choose its own aws:SourceIp. iamd turns that off; ``--forwarded-allow-ips`` (or
``IAMD_FORWARDED_ALLOW_IPS``) names the proxies whose header counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer, _master_key
from .sts_support import user

FORGED = "203.0.113.7"


def _from_ip(ip: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": "iam:ListRoles",
        "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": f"{ip}/32"}},
    }


def _forging(client: Any) -> Any:
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-For"] = FORGED

    client.meta.events.register("before-sign.iam.*", add)
    return client


class _EnvServer(IamdServer):
    """An IamdServer whose processes get extra IAMD_* variables."""

    extra_env: dict[str, str]

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra_env}


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Any]:
    started: list[IamdServer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> IamdServer:
        server = _EnvServer("sqlite", tmp_path / f"data-{len(started)}", None, _master_key())
        server.extra_env = env or {}
        server.start(*args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.close_database()


def _users(server: IamdServer) -> tuple[Credentials, Credentials]:
    iam = server.client("iam")
    account = str(server.root.account_id)
    forged = user(iam, "from-forged", _from_ip(FORGED), account=account)
    local = user(iam, "from-loopback", _from_ip("127.0.0.1"), account=account)
    return forged, local


def _allowed(server: IamdServer, creds: Credentials) -> bool:
    try:
        _forging(server.client("iam", creds)).list_roles()
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied"
        return False
    return True


def test_a_forged_forwarded_for_is_ignored_by_default(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    forged = user(iam, "from-forged", _from_ip(FORGED), account=str(account.account_id))
    local = user(iam, "from-loopback", _from_ip("127.0.0.1"), account=str(account.account_id))
    assert not _allowed(iamd_server, forged)
    assert _allowed(iamd_server, local)


def test_every_worker_ignores_it_by_default(fresh_server: Any) -> None:
    server = fresh_server("--workers", "2")
    forged, local = _users(server)
    for _ in range(6):  # connections land on both workers
        assert not _allowed(server, forged)
        assert _allowed(server, local)


def test_a_trusted_proxy_sets_the_source_ip(fresh_server: Any) -> None:
    for server in (
        fresh_server("--forwarded-allow-ips", "127.0.0.1", "--workers", "2"),
        fresh_server(env={"IAMD_FORWARDED_ALLOW_IPS": "127.0.0.0/8"}),
    ):
        forged, local = _users(server)
        assert _allowed(server, forged)
        assert not _allowed(server, local)
