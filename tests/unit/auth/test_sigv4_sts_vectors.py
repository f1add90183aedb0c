"""The STS vectors of spec §7.1 item 2, built by hand (no botocore) and checked exactly."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sigv4_helpers import AKID, SECRET, SIGNED_AT, FakeKeyStore

from iamd.auth import AuthKind, HttpRequest, SigV4Verifier
from iamd.auth.canonical import derive_signing_key
from iamd.auth.parse import parse_auth
from iamd.auth.sigv4 import compute_signature

BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
TOKEN = "TOKEN123"
CANONICAL = (
    "POST\n/\n\n"
    "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
    "host:sts.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n\n"
    "content-type;host;x-amz-date\n"
    "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843"
)
PRESIGNED = (
    "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
    "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request"
    "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
)


def header_request(signed: str, signature: str, token: str | None = None) -> HttpRequest:
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("Host", "sts.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
    ]
    if token is not None:
        headers.append(("X-Amz-Security-Token", token))
    authz = (
        f"AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/sts/aws4_request, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    return HttpRequest("POST", "/", "", (*headers, ("Authorization", authz)), BODY)


def url_request(url: str) -> HttpRequest:
    parts = urlsplit(url)
    return HttpRequest("GET", parts.path, parts.query, (("Host", parts.netloc),))


def lookup_any_token(keys: FakeKeyStore) -> SigV4Verifier[str]:
    return SigV4Verifier(lambda akid, token: keys(akid, None), ("sts",))


def test_long_term_header_artifacts_and_signature() -> None:
    signature = "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
    request = header_request("content-type;host;x-amz-date", signature)
    params = parse_auth(request)
    computed = compute_signature(
        request, params, derive_signing_key(SECRET, "20150830", "us-east-1", "sts")
    )
    assert computed.canonical_request == CANONICAL
    # The spec's "string-to-sign hash" is the canonical request's hash, its last line.
    assert computed.string_to_sign == (
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/sts/aws4_request\n"
        "db0f231bd5fb16e6f5461c322c611c18d360f776c1ec9aea36032f7469ea7559"
    )
    assert computed.signature == signature


def test_long_term_header_verifies(sts_verifier: SigV4Verifier[str]) -> None:
    signature = "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
    verified = sts_verifier.verify(
        header_request("content-type;host;x-amz-date", signature), SIGNED_AT
    )
    assert verified.kind is AuthKind.HEADER
    assert verified.session_token is None
    assert verified.principal == f"user:{AKID}"


def test_header_with_session_token_verifies(keys: FakeKeyStore) -> None:
    request = header_request(
        "content-type;host;x-amz-date;x-amz-security-token",
        "f2d8005886508eef567747a0080a33d284c488227ad398234414702f048ec113",
        token=TOKEN,
    )
    verified = lookup_any_token(keys).verify(request, SIGNED_AT)
    assert verified.session_token == TOKEN
    assert verified.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-security-token")


@pytest.mark.parametrize(
    ("query_tail", "token"),
    [
        ("&X-Amz-Signature=e8d7e61248a0d11a99b5981a6802d73250938b6d2c6f32f9a6b8a331d25ef4b1", None),
        (
            "&X-Amz-Security-Token=TOKEN123"
            "&X-Amz-Signature=d3c01517cfca09d632a1cdff67d6f6ab3712d9406b6776332795bf79d249d47b",
            TOKEN,
        ),
    ],
    ids=["presigned", "presigned-with-token"],
)
def test_presigned_urls_verify(keys: FakeKeyStore, query_tail: str, token: str | None) -> None:
    verified = lookup_any_token(keys).verify(url_request(PRESIGNED + query_tail), SIGNED_AT)
    assert verified.kind is AuthKind.QUERY
    assert verified.session_token == token
    assert verified.service == "sts"
    assert keys.calls == [(AKID, None)]
