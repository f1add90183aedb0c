"""The X.509 variant of SigV4 (IAM Roles Anywhere), against requests signed by the PyPI
package ``iam-rolesanywhere-session`` (an independent implementation of AWS's documented
signing process), RSA and ECDSA."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from iam_rolesanywhere_session import IAMRolesAnywhereSigner

from iamd.auth import HttpRequest
from iamd.auth.x509 import is_x509_signed, verify_x509
from iamd.errors import AccessDenied, IncompleteSignature, SignatureDoesNotMatch
from pki import Issued, make_ca, make_leaf, new_key

BODY = json.dumps({"profileArn": "p", "roleArn": "r", "trustAnchorArn": "t"})


def _signed(leaf: Issued, *, chain: list[Issued] | None = None, key: Any = None) -> HttpRequest:
    signer = IAMRolesAnywhereSigner(
        certificate=leaf.pem,
        private_key=Issued(leaf.certificate, key).key_pem if key else leaf.key_pem,
        certificate_chain=b"".join(c.pem for c in chain) if chain else None,
    )
    request = AWSRequest(method="POST", url="https://ra.example.com/sessions", data=BODY)
    signer.add_auth(request)
    headers = tuple((k, str(v)) for k, v in request.headers.items())
    return HttpRequest("POST", "/sessions", "", headers, BODY.encode())


def _replace(request: HttpRequest, name: str, value: str) -> HttpRequest:
    headers = tuple((k, value if k.lower() == name else v) for k, v in request.headers)
    return HttpRequest(request.method, request.raw_path, request.raw_query, headers, request.body)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_request_signed_by_the_certificate_s_key_verifies(kind: str) -> None:
    ca = make_ca(kind=kind)
    intermediate = make_ca("Intermediate", kind=kind, issuer=ca)
    leaf = make_leaf(intermediate, kind=kind)
    request = _signed(leaf, chain=[intermediate])
    assert is_x509_signed(request)
    signed = verify_x509(request, datetime.now(UTC))
    assert signed.certificate == leaf.certificate
    assert signed.chain == (intermediate.certificate,)
    assert signed.region == "us-east-1"


def test_refusals() -> None:
    leaf = make_leaf(make_ca())
    now = datetime.now(UTC)
    with pytest.raises(AccessDenied, match="Signature is not valid"):
        verify_x509(_signed(leaf, key=new_key("rsa")), now)
    with pytest.raises(AccessDenied, match="Signature is not valid"):  # an ECDSA key, RSA cert
        verify_x509(_signed(leaf, key=new_key("ec")), now)
    request = _signed(leaf)
    tampered = HttpRequest("POST", "/sessions", "", request.headers, BODY.encode() + b" ")
    with pytest.raises(AccessDenied, match="Signature is not valid"):
        verify_x509(tampered, now)
    other = make_leaf(make_ca())
    swapped = _replace(request, "x-amz-x509", _signed(other).header_values("x-amz-x509")[0])
    with pytest.raises(AccessDenied):
        verify_x509(swapped, now)
    with pytest.raises(AccessDenied, match="Untrusted Signing Certificate"):
        verify_x509(_replace(request, "x-amz-x509", "bm90IGEgY2VydA=="), now)
    with pytest.raises(SignatureDoesNotMatch, match="Signature expired"):
        verify_x509(request, now + timedelta(minutes=16))
    authorization = request.header_values("authorization")[0]
    unsigned_cert = authorization.replace(";x-amz-x509", "")
    with pytest.raises(IncompleteSignature, match="X-Amz-X509"):
        verify_x509(_replace(request, "authorization", unsigned_cert), now)
    with pytest.raises(IncompleteSignature, match="algorithm"):
        verify_x509(_replace(request, "authorization", "AWS4-X509-DSA-SHA1 x=y"), now)
