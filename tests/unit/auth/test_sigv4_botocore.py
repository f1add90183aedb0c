"""Requests signed by botocore's own SigV4Auth / SigV4QueryAuth, verified by iamd.

Round trips for IAM and STS (form bodies, unicode, session tokens, presigned URLs), then
every single-byte tamper, the wrong secret and the lookup's own errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sigv4_helpers import (
    AKID,
    EXPIRED_AKID,
    EXPIRED_TOKEN,
    SECRET,
    SIGNED_AT,
    TEMP_AKID,
    TEMP_SECRET,
    TOKEN,
    BotocoreSigner,
    FakeKeyStore,
    replace_header,
)

from iamd.auth import AuthKind, HttpRequest, SignatureMismatch, SigningSecret, SigV4Verifier
from iamd.auth.parse import parse_amz_date
from iamd.errors import (
    ExpiredToken,
    IncompleteSignature,
    InvalidClientTokenId,
    SignatureDoesNotMatch,
)

IAM_BODY = {
    "Action": "CreateRole",
    "Version": "2010-05-08",
    "RoleName": "deploy",
    "Description": "ünïcødé ☃ role & = + / ~ with  spaces",
    "AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[]}',
}
STS_BODY = {
    "Action": "AssumeRole",
    "Version": "2011-06-15",
    "RoleArn": "arn:aws:iam::123456789012:role/deploy",
    "RoleSessionName": "séance-✓ 1",
}


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long-term", "session"])
def test_iam_form_post_verifies(
    signer: BotocoreSigner, iam_verifier: SigV4Verifier[str], keys: FakeKeyStore, token: str | None
) -> None:
    akid, secret = (TEMP_AKID, TEMP_SECRET) if token else (AKID, SECRET)
    request = signer.header("iam", IAM_BODY, token=token, akid=akid, secret=secret)
    verified = iam_verifier.verify(request, SIGNED_AT + timedelta(minutes=3))
    assert verified.access_key_id == akid
    assert verified.session_token == token
    assert (verified.region, verified.service, verified.kind) == (
        "us-east-1",
        "iam",
        AuthKind.HEADER,
    )
    assert verified.signed_at == SIGNED_AT
    assert keys.calls == [(akid, token)]
    if token:
        assert "x-amz-security-token" in verified.signed_headers


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long-term", "session"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"])
def test_sts_form_post_verifies_in_any_region(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str], region: str, token: str | None
) -> None:
    akid, secret = (TEMP_AKID, TEMP_SECRET) if token else (AKID, SECRET)
    request = signer.header("sts", STS_BODY, region=region, token=token, akid=akid, secret=secret)
    verified = sts_verifier.verify(request, SIGNED_AT)
    assert (verified.region, verified.session_token) == (region, token)
    assert verified.principal == (f"session:{TEMP_AKID}" if token else f"user:{AKID}")


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long-term", "session"])
@pytest.mark.parametrize("service", ["iam", "sts"])
def test_presigned_get_verifies(
    signer: BotocoreSigner, keys: FakeKeyStore, service: str, token: str | None
) -> None:
    akid, secret = (TEMP_AKID, TEMP_SECRET) if token else (AKID, SECRET)
    body = IAM_BODY if service == "iam" else STS_BODY
    request = signer.presign(service, body, token=token, akid=akid, secret=secret)
    assert request.method == "GET" and not request.body
    assert "X-Amz-Signature=" in request.raw_query
    verified = SigV4Verifier(keys, (service,)).verify(request, SIGNED_AT + timedelta(minutes=10))
    assert verified.kind is AuthKind.QUERY
    assert verified.session_token == token
    assert keys.calls == [(akid, token)]


def test_get_with_query_params_signed_from_botocore_params(
    signer: BotocoreSigner, iam_verifier: SigV4Verifier[str]
) -> None:
    """botocore signs ``params`` as %20 but sends them form-encoded (+): both must agree."""
    params = {"Action": "ListRoles", "Version": "2010-05-08", "PathPrefix": "/a b/ü+"}
    request = signer.header("iam", "", method="GET", params=params)
    assert "+" in request.raw_query
    iam_verifier.verify(request, SIGNED_AT)


def test_service_accepts_any_of_its_signing_names(
    signer: BotocoreSigner, keys: FakeKeyStore
) -> None:
    verifier = SigV4Verifier(keys, ("sts", "iam"))
    assert verifier.verify(signer.header("iam", IAM_BODY), SIGNED_AT).service == "iam"
    assert verifier.verify(signer.header("sts", STS_BODY), SIGNED_AT).service == "sts"


# --- tampering: every single byte ---------------------------------------------------------


def _lax(keys: FakeKeyStore) -> SigV4Verifier[str]:
    """A verifier whose lookup ignores the token, so a tampered token reaches the signature."""

    def lookup(access_key_id: str, session_token: str | None) -> SigningSecret[str]:
        return SigningSecret(
            TEMP_SECRET
            if access_key_id == TEMP_AKID
            else keys(access_key_id, None).secret_access_key,
            "p",
        )

    return SigV4Verifier(lookup, ("sts",))


def _flip(text: str, index: int) -> str:
    return text[:index] + chr(ord(text[index]) ^ 1) + text[index + 1 :]


def _signed_session_request(signer: BotocoreSigner) -> HttpRequest:
    return signer.header("sts", STS_BODY, akid=TEMP_AKID, secret=TEMP_SECRET, token=TOKEN)


def _body_tampers(request: HttpRequest) -> Iterator[HttpRequest]:
    for i in range(len(request.body)):
        body = bytearray(request.body)
        body[i] ^= 1
        yield HttpRequest(
            request.method, request.raw_path, request.raw_query, request.headers, bytes(body)
        )


def test_every_body_byte_is_covered(signer: BotocoreSigner, keys: FakeKeyStore) -> None:
    request = _signed_session_request(signer)
    verifier = _lax(keys)
    verifier.verify(request, SIGNED_AT)
    tampered = list(_body_tampers(request))
    assert len(tampered) > 100
    for bad in tampered:
        with pytest.raises(SignatureDoesNotMatch):
            verifier.verify(bad, SIGNED_AT)


@pytest.mark.parametrize("header", ["Content-Type", "Host", "X-Amz-Security-Token"])
def test_every_byte_of_a_signed_header_is_covered(
    signer: BotocoreSigner, keys: FakeKeyStore, header: str
) -> None:
    request = _signed_session_request(signer)
    (value,) = request.header_values(header)
    verifier = _lax(keys)
    for i in range(len(value)):
        with pytest.raises(SignatureDoesNotMatch) as caught:
            verifier.verify(replace_header(request, header, _flip(value, i)), SIGNED_AT)
        assert caught.value.message.startswith("The request signature we calculated")


def test_every_byte_of_the_date_is_covered(signer: BotocoreSigner, keys: FakeKeyStore) -> None:
    """A changed time of day fails the signature even when the server's clock agrees with it;
    a changed day fails the scope check; a date that no longer parses is malformed."""
    request = _signed_session_request(signer)
    (value,) = request.header_values("X-Amz-Date")
    verifier = _lax(keys)
    for i in range(len(value)):
        tampered = _flip(value, i)
        try:
            now = parse_amz_date(tampered)
        except IncompleteSignature:
            now = SIGNED_AT
        expected = (
            "The request signature we calculated"
            if i > 8
            else "Date in Credential scope does not match"
        )
        with pytest.raises((SignatureDoesNotMatch, IncompleteSignature)) as caught:
            verifier.verify(replace_header(request, "X-Amz-Date", tampered), now)
        if now is not SIGNED_AT:
            assert caught.value.message.startswith(expected), (tampered, caught.value.message)


def test_a_tampered_token_is_refused_by_the_real_lookup(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = _signed_session_request(signer)
    with pytest.raises(InvalidClientTokenId):
        sts_verifier.verify(replace_header(request, "X-Amz-Security-Token", TOKEN + "x"), SIGNED_AT)


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long-term", "session"])
def test_every_byte_of_a_presigned_operation_param_is_covered(
    signer: BotocoreSigner, keys: FakeKeyStore, token: str | None
) -> None:
    akid, secret = (TEMP_AKID, TEMP_SECRET) if token else (AKID, SECRET)
    request = signer.presign("sts", STS_BODY, token=token, akid=akid, secret=secret)
    operation = request.raw_query.index("X-Amz-")  # botocore puts operation params first
    verifier = _lax(keys)
    for i in range(operation - 1):  # up to the "&" before the auth params
        query = _flip(request.raw_query, i)
        bad = HttpRequest(request.method, request.raw_path, query, request.headers, request.body)
        with pytest.raises(SignatureDoesNotMatch):
            verifier.verify(bad, SIGNED_AT)


def test_presigned_token_is_covered(signer: BotocoreSigner, keys: FakeKeyStore) -> None:
    request = signer.presign("sts", STS_BODY, akid=TEMP_AKID, secret=TEMP_SECRET, token="tok123")
    query = request.raw_query.replace("X-Amz-Security-Token=tok123", "X-Amz-Security-Token=tok124")
    bad = HttpRequest(request.method, request.raw_path, query, request.headers)
    with pytest.raises(SignatureDoesNotMatch):
        _lax(keys).verify(bad, SIGNED_AT)


def test_extra_query_param_breaks_the_signature(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.header("sts", STS_BODY)
    bad = HttpRequest(
        request.method, request.raw_path, "DurationSeconds=43200", request.headers, request.body
    )
    with pytest.raises(SignatureDoesNotMatch):
        sts_verifier.verify(bad, SIGNED_AT)


def test_wrong_secret_fails(signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]) -> None:
    request = signer.header("sts", STS_BODY, secret="not-the-secret")
    with pytest.raises(SignatureMismatch) as caught:
        sts_verifier.verify(request, SIGNED_AT)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.http_status == 403
    assert caught.value.message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )
    assert caught.value.canonical_request.startswith("POST\n/\n\ncontent-type:")
    assert caught.value.string_to_sign.startswith("AWS4-HMAC-SHA256\n20150830T123600Z\n")


def test_method_is_covered(signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]) -> None:
    request = signer.header("sts", STS_BODY)
    bad = HttpRequest("PUT", request.raw_path, request.raw_query, request.headers, request.body)
    with pytest.raises(SignatureDoesNotMatch):
        sts_verifier.verify(bad, SIGNED_AT)


def test_path_is_covered(signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]) -> None:
    request = signer.header("sts", STS_BODY)
    bad = HttpRequest("POST", "/other", request.raw_query, request.headers, request.body)
    with pytest.raises(SignatureDoesNotMatch):
        sts_verifier.verify(bad, SIGNED_AT)


# --- the lookup's own errors ----------------------------------------------------------------


def test_unknown_key_is_invalid_client_token_id(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str], keys: FakeKeyStore
) -> None:
    request = signer.header("sts", STS_BODY, akid="AKIAUNKNOWNKEY000000")
    with pytest.raises(InvalidClientTokenId) as caught:
        sts_verifier.verify(request, SIGNED_AT)
    assert caught.value.message == "The security token included in the request is invalid."
    assert keys.calls == [("AKIAUNKNOWNKEY000000", None)]


def test_session_key_without_its_token_is_invalid(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.header("sts", STS_BODY, akid=TEMP_AKID, secret=TEMP_SECRET)
    with pytest.raises(InvalidClientTokenId):
        sts_verifier.verify(request, SIGNED_AT)


def test_expired_session_is_expired_token(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.header("sts", STS_BODY, akid=EXPIRED_AKID, secret="s", token=EXPIRED_TOKEN)
    with pytest.raises(ExpiredToken) as caught:
        sts_verifier.verify(request, SIGNED_AT)
    assert caught.value.message == "The security token included in the request is expired"


def test_signing_keys_are_cached_per_scope(signer: BotocoreSigner, keys: FakeKeyStore) -> None:
    from iamd.auth import SigningKeyCache

    cache = SigningKeyCache(maxsize=8)
    verifier = SigV4Verifier(keys, ("sts",), key_cache=cache)
    for _ in range(3):
        verifier.verify(signer.header("sts", STS_BODY), SIGNED_AT)
    assert len(cache) == 1
    verifier.verify(signer.header("sts", STS_BODY, region="eu-west-1"), SIGNED_AT)
    verifier.verify(
        signer.header("sts", STS_BODY, when=SIGNED_AT + timedelta(days=1)),
        SIGNED_AT + timedelta(days=1),
    )
    assert len(cache) == 3
