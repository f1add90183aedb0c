"""Server certificates through boto3 and the AWS CLI: upload with key and chain, read,
list, rename, tag and delete, and AWS's errors for a bad certificate, key or chain."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .conftest import Credentials


def _pem_key(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _issue(subject: str, key: Any, issuer: tuple[str, Any] | None = None, days: int = 90) -> str:
    issuer_name, issuer_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=2))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as error:
        call()
    got = error.value.response
    return got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_server_certificate_lifecycle(iam: Any, aws: Any, account: Credentials, kind: str) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("Example CA", ca_key)
    key = (
        rsa.generate_private_key(65537, 2048)
        if kind == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    body = _issue("www.example.com", key, ("Example CA", ca_key))
    made = iam.upload_server_certificate(
        Path="/cloudfront/",
        ServerCertificateName="www",
        CertificateBody=body,
        PrivateKey=_pem_key(key),
        CertificateChain=ca,
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    meta = made["ServerCertificateMetadata"]
    assert re.fullmatch(r"ASCA[A-Z2-7]{17}", meta["ServerCertificateId"])
    assert meta["Arn"] == f"arn:aws:iam::{account.account_id}:server-certificate/cloudfront/www"
    assert made["Tags"] == [{"Key": "env", "Value": "prod"}]

    got = iam.get_server_certificate(ServerCertificateName="www")["ServerCertificate"]
    assert got["CertificateBody"] == body.strip() and got["CertificateChain"] == ca.strip()
    assert "PrivateKey" not in got
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]

    assert _error(
        lambda: iam.upload_server_certificate(
            ServerCertificateName="www", CertificateBody=body, PrivateKey=_pem_key(key)
        )
    ) == ("EntityAlreadyExists", 409)
    other_key = ec.generate_private_key(ec.SECP256R1())
    assert _error(
        lambda: iam.upload_server_certificate(
            ServerCertificateName="other", CertificateBody=body, PrivateKey=_pem_key(other_key)
        )
    ) == ("KeyPairMismatch", 400)
    assert _error(
        lambda: iam.upload_server_certificate(
            ServerCertificateName="other", CertificateBody="nope", PrivateKey=_pem_key(key)
        )
    ) == ("MalformedCertificate", 400)
    assert _error(
        lambda: iam.upload_server_certificate(
            ServerCertificateName="other",
            CertificateBody=body,
            PrivateKey=_pem_key(key),
            CertificateChain="not a chain",
        )
    ) == ("MalformedCertificate", 400)
    expired = _issue("old.example.com", key, days=-1)
    assert _error(
        lambda: iam.upload_server_certificate(
            ServerCertificateName="old", CertificateBody=expired, PrivateKey=_pem_key(key)
        )
    ) == ("MalformedCertificate", 400)

    done = aws(
        "iam",
        "update-server-certificate",
        "--server-certificate-name",
        "www",
        "--new-server-certificate-name",
        "web",
        "--new-path",
        "/lb/",
    )
    assert done.returncode == 0, done.stderr
    listed = iam.list_server_certificates(PathPrefix="/lb/")["ServerCertificateMetadataList"]
    assert [(c["ServerCertificateName"], c["Path"]) for c in listed] == [("web", "/lb/")]
    iam.tag_server_certificate(ServerCertificateName="web", Tags=[{"Key": "t", "Value": "1"}])
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["env"])
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == [
        {"Key": "t", "Value": "1"}
    ]
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 1
    iam.delete_server_certificate(ServerCertificateName="web")
    assert _error(lambda: iam.get_server_certificate(ServerCertificateName="web")) == (
        "NoSuchEntity",
        404,
    )
