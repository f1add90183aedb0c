"""SSH public keys, signing certificates and service-specific credentials, through boto3
and the AWS CLI, with AWS's errors for bad input."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from .conftest import Credentials, IamdServer
from .sts_support import user


def _error(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as error:
        call()
    got = error.value.response
    return got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"], got["Error"]["Message"]


def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _ssh(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def _certificate(days: int = 30, start_days: int = -1) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=start_days))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_ssh_public_keys(iam: Any, aws: Any) -> None:
    iam.create_user(UserName="git")
    key = _rsa()
    body = _ssh(key)
    uploaded = iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=body)["SSHPublicKey"]
    key_id = uploaded["SSHPublicKeyId"]
    assert re.fullmatch(r"APKA[A-Z2-7]{16}", key_id)
    assert re.fullmatch(r"([0-9a-f]{2}:){15}[0-9a-f]{2}", uploaded["Fingerprint"])
    assert uploaded["Status"] == "Active"

    pem = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=key_id, Encoding="PEM")
    loaded = serialization.load_pem_public_key(pem["SSHPublicKey"]["SSHPublicKeyBody"].encode())
    assert loaded.public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    ssh = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=key_id, Encoding="SSH")
    assert ssh["SSHPublicKey"]["SSHPublicKeyBody"] == body
    assert ssh["SSHPublicKey"]["Fingerprint"] == uploaded["Fingerprint"]

    assert (
        _error(lambda: iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=body))[0]
        == "DuplicateSSHPublicKey"
    )
    assert (
        _error(
            lambda: iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=_ssh(_rsa(1024)))
        )[0]
        == "InvalidPublicKey"
    )
    ed = _ssh(ed25519.Ed25519PrivateKey.generate())
    assert (
        _error(lambda: iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=ed))[0]
        == "InvalidPublicKey"
    )
    assert (
        _error(lambda: iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody="hello"))[0]
        == "UnrecognizedPublicKeyEncoding"
    )

    iam.update_ssh_public_key(UserName="git", SSHPublicKeyId=key_id, Status="Inactive")
    listed = aws("iam", "list-ssh-public-keys", "--user-name", "git")
    assert listed.returncode == 0, listed.stderr
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in listed.json()["SSHPublicKeys"]] == [
        (key_id, "Inactive")
    ]
    for _ in range(4):
        iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=_ssh(_rsa()))
    code, status, message = _error(
        lambda: iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=_ssh(_rsa()))
    )
    assert (code, status, message) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for PublicKeysPerUser: 5",
    )
    code, status, _ = _error(lambda: iam.delete_user(UserName="git"))
    assert (code, status) == ("DeleteConflict", 409)
    for k in iam.list_ssh_public_keys(UserName="git")["SSHPublicKeys"]:
        iam.delete_ssh_public_key(UserName="git", SSHPublicKeyId=k["SSHPublicKeyId"])
    assert _error(lambda: iam.delete_ssh_public_key(UserName="git", SSHPublicKeyId=key_id))[:2] == (
        "NoSuchEntity",
        404,
    )
    iam.delete_user(UserName="git")


def test_signing_certificates(iam: Any, aws: Any) -> None:
    iam.create_user(UserName="signer")
    body = _certificate()
    cert = iam.upload_signing_certificate(UserName="signer", CertificateBody=body)["Certificate"]
    assert cert["UserName"] == "signer"
    assert cert["Status"] == "Active"
    assert cert["CertificateBody"] == body
    assert (
        _error(lambda: iam.upload_signing_certificate(UserName="signer", CertificateBody=body))[0]
        == "DuplicateCertificate"
    )
    assert _error(
        lambda: iam.upload_signing_certificate(UserName="signer", CertificateBody="not pem")
    )[:2] == ("MalformedCertificate", 400)
    expired = _certificate(days=-1, start_days=-10)
    assert (
        _error(lambda: iam.upload_signing_certificate(UserName="signer", CertificateBody=expired))[
            0
        ]
        == "InvalidCertificate"
    )
    iam.upload_signing_certificate(UserName="signer", CertificateBody=_certificate())
    code, _, message = _error(
        lambda: iam.upload_signing_certificate(UserName="signer", CertificateBody=_certificate())
    )
    assert (code, message) == (
        "LimitExceeded",
        "Cannot exceed quota for SigningCertificatesPerUser: 2",
    )

    done = aws(
        "iam",
        "update-signing-certificate",
        "--user-name",
        "signer",
        "--certificate-id",
        cert["CertificateId"],
        "--status",
        "Inactive",
    )
    assert done.returncode == 0, done.stderr
    listed = iam.list_signing_certificates(UserName="signer")["Certificates"]
    assert {c["CertificateId"]: c["Status"] for c in listed}[cert["CertificateId"]] == "Inactive"
    assert _error(lambda: iam.delete_user(UserName="signer"))[0] == "DeleteConflict"
    for c in listed:
        iam.delete_signing_certificate(UserName="signer", CertificateId=c["CertificateId"])
    iam.delete_user(UserName="signer")
    # The root's own certificates, without UserName.
    root_cert = iam.upload_signing_certificate(CertificateBody=_certificate())["Certificate"]
    assert "UserName" not in root_cert
    assert [c["CertificateId"] for c in iam.list_signing_certificates()["Certificates"]] == [
        root_cert["CertificateId"]
    ]


@pytest.mark.parametrize("service", ["codecommit.amazonaws.com", "cassandra.amazonaws.com"])
def test_service_specific_credentials(iam: Any, account: Credentials, service: str) -> None:
    iam.create_user(UserName="dev")
    created = iam.create_service_specific_credential(UserName="dev", ServiceName=service)[
        "ServiceSpecificCredential"
    ]
    cred_id = created["ServiceSpecificCredentialId"]
    assert created["ServiceUserName"] == f"dev-at-{account.account_id}"
    assert created["ServiceName"] == service
    assert len(created["ServicePassword"]) >= 40
    listed = iam.list_service_specific_credentials(UserName="dev")["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [cred_id]
    assert "ServicePassword" not in listed[0]
    iam.update_service_specific_credential(
        UserName="dev", ServiceSpecificCredentialId=cred_id, Status="Inactive"
    )
    reset = iam.reset_service_specific_credential(
        UserName="dev", ServiceSpecificCredentialId=cred_id
    )["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != created["ServicePassword"]
    assert reset["Status"] == "Inactive"
    iam.create_service_specific_credential(UserName="dev", ServiceName=service)
    code, _, _ = _error(
        lambda: iam.create_service_specific_credential(UserName="dev", ServiceName=service)
    )
    assert code == "LimitExceeded"
    assert _error(lambda: iam.delete_user(UserName="dev"))[2] == (
        "Cannot delete entity, must remove referenced objects first."
    )
    for c in iam.list_service_specific_credentials(UserName="dev")["ServiceSpecificCredentials"]:
        iam.delete_service_specific_credential(
            UserName="dev", ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"]
        )
    assert _error(
        lambda: iam.delete_service_specific_credential(
            UserName="dev", ServiceSpecificCredentialId="satisfiesregexbutstillinvalid"
        )
    ) == ("NoSuchEntity", 404, "No such credential satisfiesregexbutstillinvalid exists")
    iam.delete_user(UserName="dev")


def test_unknown_services_and_users(iam: Any) -> None:
    iam.create_user(UserName="dev")
    assert _error(
        lambda: iam.create_service_specific_credential(
            UserName="dev", ServiceName="nonexistentservice.amazonaws.com"
        )
    ) == (
        "NoSuchEntity",
        404,
        "No such service nonexistentservice.amazonaws.com is supported for Service Specific "
        "Credentials",
    )
    assert _error(
        lambda: iam.create_service_specific_credential(
            UserName="nobody", ServiceName="codecommit.amazonaws.com"
        )
    ) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")


def test_a_user_without_permission_is_refused(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    reader = user(
        iam,
        "reader",
        {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
        account=str(account.account_id),
    )
    client = iamd_server.client("iam", reader)
    assert client.list_ssh_public_keys(UserName="reader")["SSHPublicKeys"] == []
    code, status, message = _error(
        lambda: client.upload_ssh_public_key(UserName="reader", SSHPublicKeyBody=_ssh(_rsa()))
    )
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:UploadSSHPublicKey" in message
    assert (
        _error(
            lambda: client.create_service_specific_credential(
                UserName="reader", ServiceName="codecommit.amazonaws.com"
            )
        )[0]
        == "AccessDenied"
    )
