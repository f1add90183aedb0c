"""A client of IAM Roles Anywhere's CreateSession, for the credential helper.

It signs ``POST /sessions`` as AWS's "IAM Roles Anywhere authentication signing process"
says: SigV4's canonical request (``iamd.auth.canonical``, the same pieces the server
checks) over ``content-type``, ``host``, ``x-amz-date``, ``x-amz-x509`` and, with
intermediates, ``x-amz-x509-chain``; the string to sign starts with
``AWS4-X509-RSA-SHA256`` or ``AWS4-X509-ECDSA-SHA256``; the signature is made with the
certificate's private key; the Credential's key id is the certificate's serial number.
Any server that implements AWS's algorithm answers it, iamd or AWS.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from iamd.auth import canonical

SERVICE = "rolesanywhere"
JSON = "application/json"


class SessionError(Exception):
    """CreateSession failed; the message says why (the server's message when it gave one)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """The certificate, its intermediates and its private key."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def load(cls, certificate: Path, private_key: Path, intermediates: Path | None) -> Identity:
        cert = x509.load_pem_x509_certificate(certificate.read_bytes())
        chain = x509.load_pem_x509_certificates(intermediates.read_bytes()) if intermediates else []
        key = serialization.load_pem_private_key(private_key.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SessionError("the private key must be RSA or EC")
        return cls(cert, tuple(chain), key)

    @property
    def algorithm(self) -> str:
        kind = "RSA" if isinstance(self.key, rsa.RSAPrivateKey) else "ECDSA"
        return f"AWS4-X509-{kind}-SHA256"

    def sign(self, data: bytes) -> str:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256()).hex()
        return self.key.sign(data, ec.ECDSA(hashes.SHA256())).hex()


def _der(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def signed_headers(
    identity: Identity, url: str, body: bytes, region: str, now: dt.datetime
) -> dict[str, str]:
    """The headers of a CreateSession request to ``url`` with ``body``, signed at ``now``."""
    parts = urllib.parse.urlsplit(url)
    amz_date = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "content-type": JSON,
        "host": parts.netloc,
        "x-amz-date": amz_date,
        "x-amz-x509": _der(identity.certificate),
    }
    if identity.chain:
        headers["x-amz-x509-chain"] = ",".join(_der(c) for c in identity.chain)
    names = tuple(sorted(headers))
    creq = canonical.canonical_request(
        method="POST",
        uri=canonical.canonical_uri(parts.path or "/"),
        query=canonical.canonical_query_string(parts.query),
        headers=canonical.canonical_headers(tuple(headers.items()), names),
        signed=canonical.signed_headers(names),
        body_hash=canonical.payload_hash(body),
    )
    scope = canonical.credential_scope(amz_date[:8], region, SERVICE)
    digest = hashlib.sha256(creq.encode("utf-8")).hexdigest()
    to_sign = f"{identity.algorithm}\n{amz_date}\n{scope}\n{digest}"
    serial = identity.certificate.serial_number
    headers["authorization"] = (
        f"{identity.algorithm} Credential={serial}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={identity.sign(to_sign.encode('utf-8'))}"
    )
    return headers


def create_session(
    identity: Identity,
    endpoint: str,
    *,
    trust_anchor_arn: str,
    profile_arn: str,
    role_arn: str,
    region: str,
    duration: int | None = None,
    role_session_name: str | None = None,
    verify: bool = True,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The ``credentials`` of CreateSession's first credential set (its JSON form)."""
    url = endpoint.rstrip("/") + "/sessions"
    document: dict[str, Any] = {
        "profileArn": profile_arn,
        "roleArn": role_arn,
        "trustAnchorArn": trust_anchor_arn,
    }
    if duration is not None:
        document["durationSeconds"] = duration
    if role_session_name is not None:
        document["roleSessionName"] = role_session_name
    body = json.dumps(document).encode()
    headers = signed_headers(identity, url, body, region, now or dt.datetime.now(dt.UTC))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise SessionError(_message(err.read()) or f"HTTP {err.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise SessionError(f"CreateSession failed: {err}") from None
    try:
        credentials: dict[str, Any] = answer["credentialSet"][0]["credentials"]
    except (KeyError, IndexError, TypeError):
        raise SessionError("the answer holds no credentials") from None
    return credentials


def _message(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return str(document.get("message")) if isinstance(document, dict) else None


def credential_process_output(credentials: dict[str, Any]) -> dict[str, Any]:
    """The JSON a ``credential_process`` prints (Version 1)."""
    return {
        "Version": 1,
        "AccessKeyId": credentials["accessKeyId"],
        "SecretAccessKey": credentials["secretAccessKey"],
        "SessionToken": credentials["sessionToken"],
        "Expiration": credentials["expiration"],
    }


__all__: Sequence[str] = (
    "Identity",
    "SessionError",
    "create_session",
    "credential_process_output",
    "signed_headers",
)
