"""``iamd credentials``: boto3, configured with ``credential_process`` and nothing else,
gets a role's credentials from a certificate, makes an authorized IAM call, and gets fresh
credentials once they near expiry (a 900 s session is inside botocore's 15-minute refresh
window at once, so every use refreshes); boto3 with no configuration but
``AWS_EC2_METADATA_SERVICE_ENDPOINT`` gets them from ``iamd credentials serve``; and
``iamd credentials update`` writes them into a shared credentials file's profile."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

from pki import Issued, make_ca, make_leaf

from .conftest import Credentials, IamdServer
from .rolesanywhere_support import Setup, make_setup


def _write(tmp_path: Path, setup: Setup, leaf: Issued, chain: Issued | None) -> list[str]:
    (tmp_path / "app.pem").write_bytes(leaf.pem)
    (tmp_path / "app.key").write_bytes(leaf.key_pem)
    args = [
        sys.executable, "-m", "iamd.cli.main", "credentials", "credential-process",
        "--certificate", str(tmp_path / "app.pem"), "--private-key", str(tmp_path / "app.key"),
        "--trust-anchor-arn", setup.anchor_arn, "--profile-arn", setup.profile_arn,
        "--role-arn", setup.role_arn, "--endpoint", setup.server.endpoint,
        "--session-duration", "900",
    ]  # fmt: skip
    if chain is not None:
        (tmp_path / "chain.pem").write_bytes(chain.pem)
        args += ["--intermediates", str(tmp_path / "chain.pem")]
    return args


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_boto3_with_credential_process_reaches_iam_and_refreshes(
    iamd_server: IamdServer,
    account: Credentials,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    setup = make_setup(iamd_server, account, kind=kind)
    intermediate = make_ca("Intermediate", kind=kind, issuer=setup.ca)
    leaf = make_leaf(intermediate, kind=kind)
    command = _write(tmp_path, setup, leaf, intermediate)

    printed = subprocess.run(command, capture_output=True, text=True, check=True)
    document = json.loads(printed.stdout)
    assert document["Version"] == 1
    assert document["AccessKeyId"].startswith("ASIA")
    assert set(document) == {
        "Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration",
    }  # fmt: skip

    config = tmp_path / "config"
    config.write_text(
        f"[profile workload]\ncredential_process = {shlex.join(command)}\nregion = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    session = boto3.session.Session(profile_name="workload")
    iam = session.client("iam", endpoint_url=iamd_server.endpoint)
    assert [r["Arn"] for r in iam.list_roles()["Roles"]] == [setup.role_arn]
    sts = session.client("sts", endpoint_url=iamd_server.endpoint)
    serial = format(leaf.certificate.serial_number, "x")
    assert sts.get_caller_identity()["Arn"].endswith(f":assumed-role/workload/{serial}")

    credentials = session.get_credentials()
    first = credentials.get_frozen_credentials().access_key
    second = credentials.get_frozen_credentials().access_key
    assert first != second  # refreshed through the process, not cached past its window


def test_a_refusal_is_reported_and_exits_1(
    iamd_server: IamdServer, account: Credentials, tmp_path: Path
) -> None:
    setup = make_setup(iamd_server, account)
    stranger = make_leaf(make_ca("Another CA"))
    done = subprocess.run(
        _write(tmp_path, setup, stranger, None), capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Untrusted Signing Certificate" in done.stderr
    assert "PRIVATE KEY" not in done.stderr


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _token(port: int, ttl: str = "60") -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/latest/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(response.read().decode())


@pytest.mark.parametrize("refresh_window", ["300", "900"])
def test_boto3_through_the_metadata_endpoint_reaches_iam(
    iamd_server: IamdServer,
    account: Credentials,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    refresh_window: str,
) -> None:
    setup = make_setup(iamd_server, account, kind="ec")
    leaf = make_leaf(setup.ca, kind="ec")
    command = _write(tmp_path, setup, leaf, None)
    command[command.index("credential-process")] = "serve"
    port = _free_port()
    command += ["--port", str(port), "--refresh-window", refresh_window]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                token = _token(port)
                break
            except OSError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.1)
        # IMDSv2 only: no token, no answer.
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/latest/meta-data/iam/security-credentials/", timeout=5
            )
        assert err.value.code == 401
        listing = urllib.request.Request(
            f"http://127.0.0.1:{port}/latest/meta-data/iam/security-credentials/",
            headers={"X-aws-ec2-metadata-token": token},
        )
        with urllib.request.urlopen(listing, timeout=5) as response:
            assert response.read() == b"workload"

        config = tmp_path / "empty-config"
        config.write_text("")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{port}/")
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"):  # fmt: skip
            monkeypatch.delenv(name, raising=False)
        session = boto3.session.Session(region_name="us-east-1")
        iam = session.client("iam", endpoint_url=iamd_server.endpoint)
        assert [r["Arn"] for r in iam.list_roles()["Roles"]] == [setup.role_arn]
        credentials = session.get_credentials()
        assert credentials.method == "iam-role"
        first = credentials.get_frozen_credentials().access_key
        second = credentials.get_frozen_credentials().access_key
        # 900 s sessions: a 900 s window makes the endpoint fetch new ones at every
        # request, a 300 s one keeps them (botocore asks again either way).
        assert (first != second) == (refresh_window == "900")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()
        if process.stderr:
            process.stderr.close()


def test_update_keeps_a_profile_of_the_shared_credentials_file(
    iamd_server: IamdServer, account: Credentials, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = make_setup(iamd_server, account)
    leaf = make_leaf(setup.ca)
    command = _write(tmp_path, setup, leaf, None)
    command[command.index("credential-process")] = "update"
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text(
        "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = x\n"
    )
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(credentials_file)}
    subprocess.run([*command, "--profile", "app", "--once"], env=env, check=True, timeout=60)
    assert oct(credentials_file.stat().st_mode & 0o777) == "0o600"
    text = credentials_file.read_text()
    assert "[other]" in text and "AKIAOTHER" in text
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    session = boto3.session.Session(profile_name="app", region_name="us-east-1")
    iam = session.client("iam", endpoint_url=iamd_server.endpoint)
    assert [r["Arn"] for r in iam.list_roles()["Roles"]] == [setup.role_arn]
    first = session.get_credentials().access_key
    assert first.startswith("ASIA")
    subprocess.run([*command, "--profile", "app", "--once"], env=env, check=True, timeout=60)
    again = boto3.session.Session(profile_name="app").get_credentials().access_key
    assert again != first
