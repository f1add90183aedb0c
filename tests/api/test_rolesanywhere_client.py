"""The PyPI package ``iam-rolesanywhere-session`` (an independent client, written against
AWS's documented signing process) gets a working, refreshable boto3 session from iamd.

It always calls ``https://ENDPOINT/sessions``, so this test runs its own server over TLS.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from iam_rolesanywhere_session import IAMRolesAnywhereSession

from pki import make_ca, make_leaf

from .conftest import _master_key
from .rolesanywhere_support import make_setup
from .test_serve_options import _HttpsServer, _self_signed


def test_iam_rolesanywhere_session_gets_working_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    certfile, keyfile = _self_signed(data)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(certfile))  # the setup's own boto3 clients
    server = _HttpsServer("sqlite", data, None, _master_key())
    server.start("--certfile", str(certfile), "--keyfile", str(keyfile))
    try:
        account = server.create_account()
        for kind in ("rsa", "ec"):
            role_name = f"workload-{kind}"
            setup = make_setup(server, account, kind=kind, role_name=role_name)
            intermediate = make_ca("Intermediate", kind=kind, issuer=setup.ca)
            leaf = make_leaf(intermediate, kind=kind)
            client = IAMRolesAnywhereSession(
                profile_arn=setup.profile_arn,
                role_arn=setup.role_arn,
                trust_anchor_arn=setup.anchor_arn,
                certificate=leaf.pem,
                private_key=leaf.key_pem,
                certificate_chain=intermediate.pem,
                region="us-east-1",
                endpoint=f"127.0.0.1:{server.port}",
                verify=str(certfile),
                session_duration=900,
            )
            session = client.get_session()
            sts = session.client("sts", endpoint_url=server.endpoint)
            identity = sts.get_caller_identity()
            serial = format(leaf.certificate.serial_number, "x")
            assert identity["Arn"] == (
                f"arn:aws:sts::{account.account_id}:assumed-role/{role_name}/{serial}"
            )
            iam = session.client("iam", endpoint_url=server.endpoint)
            assert role_name in [r["RoleName"] for r in iam.list_roles()["Roles"]]
            frozen = session.get_credentials().get_frozen_credentials()
            assert frozen.access_key.startswith("ASIA")
    finally:
        server.stop()
        server.close_database()
