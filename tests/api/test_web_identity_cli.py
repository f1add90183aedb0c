"""The README's federation walk-through, command by command: ``iamd idp oidc`` in its own
process, a provider and a role made with the AWS CLI, a token from ``iamd idp oidc
token``, and the role assumed with it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import IamdServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _iamd(*args: str) -> list[str]:
    return [sys.executable, "-m", "iamd.cli.main", *args]


@pytest.fixture
def idp_process(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    key = tmp_path / "idp-key.pem"
    process = subprocess.Popen(
        _iamd("idp", "oidc", "--port", str(port), "--key", str(key)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert json.loads(response.read())["issuer"] == f"http://127.0.0.1:{port}"
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert key.exists()
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_readme_walk_through(iamd_server: IamdServer, aws: Any, idp_process: int) -> None:
    issuer = f"http://127.0.0.1:{idp_process}"
    created = aws(
        "iam",
        "create-open-id-connect-provider",
        "--url",
        issuer,
        "--client-id-list",
        "my-client",
    )
    assert created.returncode == 0, created.stderr
    provider_arn = created.json()["OpenIDConnectProviderArn"]
    host = issuer.split("://", 1)[1]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                "Condition": {"StringEquals": {f"{host}:sub": "alice"}},
            }
        ],
    }
    made = aws(
        "iam",
        "create-role",
        "--role-name",
        "ci",
        "--assume-role-policy-document",
        json.dumps(trust),
    )
    assert made.returncode == 0, made.stderr
    minted = subprocess.run(
        _iamd(
            "idp",
            "oidc",
            "token",
            "--port",
            str(idp_process),
            "--sub",
            "alice",
            "--aud",
            "my-client",
            "--tags",
            "team=red",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    token = minted.stdout.strip()
    assumed = aws(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        made.json()["Role"]["Arn"],
        "--role-session-name",
        "alice",
        "--web-identity-token",
        token,
    )
    assert assumed.returncode == 0, assumed.stderr
    out = assumed.json()
    assert out["SubjectFromWebIdentityToken"] == "alice"
    assert out["Provider"] == provider_arn
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ci/alice")
