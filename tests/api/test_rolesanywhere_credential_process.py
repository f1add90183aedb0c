"""``iamd credentials credential-process``: boto3, configured with ``credential_process``
and nothing else, gets a role's credentials from a certificate, makes an authorized IAM
call, and gets fresh credentials once they near expiry (a 900 s session is inside
botocore's 15-minute refresh window at once, so every use refreshes)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
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
