"""A git server or database of one's own checks an IAM user's SSH key or service-specific
password through ``POST /verify-credential`` with iamd's Python client."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.authz.client import AuthorizeError

from .authorize_support import asker, user_with_policy
from .conftest import Credentials, IamdServer
from .service_support import register


def _ssh() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def test_a_registered_service_verifies_ssh_keys_and_passwords(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    service = register(iamd_server, f"git-{account.account_id}.example.internal", account)
    iam.create_user(UserName="dev")
    body = _ssh()
    key_id = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=body)["SSHPublicKey"][
        "SSHPublicKeyId"
    ]
    created = iam.create_service_specific_credential(
        UserName="dev", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    with asker(iamd_server, service) as client:
        good = client.verify_ssh_key(key_id, body)
        assert good.verified and good.user_name == "dev"
        assert good.user_arn == f"arn:aws:iam::{account.account_id}:user/dev"
        assert not client.verify_ssh_key(key_id, _ssh()).verified  # another key
        assert not client.verify_ssh_key("APKANOSUCHKEY0000000", body).verified

        name, password = created["ServiceUserName"], created["ServicePassword"]
        ok = client.verify_service_password("codecommit.amazonaws.com", name, password)
        assert ok.verified and ok.account_id == account.account_id
        assert not client.verify_service_password("codecommit.amazonaws.com", name, "x").verified
        assert not client.verify_service_password(
            "cassandra.amazonaws.com", name, password
        ).verified

        iam.update_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Status="Inactive")
        assert not client.verify_ssh_key(key_id, body).verified
        cred_id = created["ServiceSpecificCredentialId"]
        iam.delete_service_specific_credential(UserName="dev", ServiceSpecificCredentialId=cred_id)
        assert not client.verify_service_password(
            "codecommit.amazonaws.com", name, password
        ).verified


def test_other_principals_need_iamd_verify_credential(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = str(account.account_id)
    iam.create_user(UserName="dev")
    body = _ssh()
    key_id = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=body)["SSHPublicKey"][
        "SSHPublicKeyId"
    ]
    nobody = user_with_policy(iam, "nobody", acct)
    with asker(iamd_server, nobody) as client, pytest.raises(AuthorizeError) as error:
        client.verify_ssh_key(key_id, body)
    assert (error.value.status, error.value.code) == (403, "AccessDenied")
    allowed = user_with_policy(
        iam,
        "git-server",
        acct,
        {"Effect": "Allow", "Action": "iamd:VerifyCredential", "Resource": "*"},
    )
    with asker(iamd_server, allowed) as client:
        assert client.verify_ssh_key(key_id, body).verified
