"""Each verification check, its AWS error code and exact message, and the order they run in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sigv4_helpers import (
    AKID,
    SECRET,
    SIGNED_AT,
    TEMP_AKID,
    TEMP_SECRET,
    TOKEN,
    BotocoreSigner,
    FakeKeyStore,
    replace_header,
    without_header,
)

from iamd.auth import AuthKind, HttpRequest, SigV4Verifier, canonical, detect_auth
from iamd.auth.parse import AuthParams, Credential, parse_auth
from iamd.auth.sigv4 import check_time
from iamd.errors import (
    IncompleteSignature,
    InvalidClientTokenId,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)

BODY = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}


# --- the clock window ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset",
    [timedelta(0), timedelta(minutes=14, seconds=59), -timedelta(minutes=14, seconds=59)],
    ids=["same-second", "14:59-late", "14:59-early"],
)
def test_skew_inside_15_minutes_passes(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str], offset: timedelta
) -> None:
    sts_verifier.verify(signer.header("sts", BODY), SIGNED_AT + offset)


def test_skew_of_exactly_15_minutes_passes(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.header("sts", BODY)
    sts_verifier.verify(request, SIGNED_AT + timedelta(minutes=15))
    sts_verifier.verify(request, SIGNED_AT - timedelta(minutes=15))


def test_request_older_than_15_minutes_is_expired(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str], keys: FakeKeyStore
) -> None:
    with pytest.raises(SignatureDoesNotMatch) as caught:
        sts_verifier.verify(
            signer.header("sts", BODY), SIGNED_AT + timedelta(minutes=15, seconds=1)
        )
    assert caught.value.message == (
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
        "(20150830T125101Z - 15 min.)"
    )
    assert caught.value.http_status == 403
    assert keys.calls == []  # the clock is checked before any key lookup


def test_request_more_than_15_minutes_ahead_is_not_yet_current(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    with pytest.raises(SignatureDoesNotMatch) as caught:
        sts_verifier.verify(
            signer.header("sts", BODY), SIGNED_AT - timedelta(minutes=15, seconds=1)
        )
    assert caught.value.message == (
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
        "(20150830T122059Z + 15 min.)"
    )


def test_expired_message_matches_the_one_aws_sent() -> None:
    """The exact text observed from STS AssumeRole (spec §6.4)."""
    params = _params(datetime(2016, 6, 9, 18, 45, 12, tzinfo=UTC))
    with pytest.raises(SignatureDoesNotMatch) as caught:
        check_time(params, datetime(2016, 6, 10, 1, 45, 8, 123456, tzinfo=UTC))
    assert caught.value.message == (
        "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z "
        "(20160610T014508Z - 15 min.)"
    )


def test_naive_now_is_taken_as_utc(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.header("sts", BODY)
    sts_verifier.verify(request, SIGNED_AT.replace(tzinfo=None) + timedelta(minutes=1))
    with pytest.raises(SignatureDoesNotMatch, match="Signature expired"):
        sts_verifier.verify(request, SIGNED_AT.replace(tzinfo=None) + timedelta(minutes=16))


def test_now_in_another_timezone_is_converted(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    tokyo = SIGNED_AT.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    sts_verifier.verify(signer.header("sts", BODY), tokyo)


# --- presigned expiry ------------------------------------------------------------------------


def test_presigned_url_is_good_until_its_expiry(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.presign("sts", BODY, expires=3600)
    sts_verifier.verify(request, SIGNED_AT + timedelta(minutes=59, seconds=59))
    sts_verifier.verify(request, SIGNED_AT + timedelta(hours=1))
    with pytest.raises(SignatureDoesNotMatch) as caught:
        sts_verifier.verify(request, SIGNED_AT + timedelta(hours=1, seconds=1))
    assert caught.value.message == (
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
        "(20150830T133601Z - 3600 sec.)"
    )


def test_presigned_url_may_live_a_week(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.presign("sts", BODY, expires=604800)
    sts_verifier.verify(request, SIGNED_AT + timedelta(days=7))
    with pytest.raises(SignatureDoesNotMatch, match="Signature expired"):
        sts_verifier.verify(request, SIGNED_AT + timedelta(days=7, seconds=1))


def test_presigned_url_short_expiry(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.presign("sts", BODY, expires=60)
    sts_verifier.verify(request, SIGNED_AT + timedelta(seconds=60))
    with pytest.raises(SignatureDoesNotMatch, match=r"- 60 sec\.\)$"):
        sts_verifier.verify(request, SIGNED_AT + timedelta(seconds=61))


def test_presigned_url_from_the_future_is_not_yet_current(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.presign("sts", BODY, expires=3600)
    with pytest.raises(SignatureDoesNotMatch, match="Signature not yet current"):
        sts_verifier.verify(request, SIGNED_AT - timedelta(minutes=16))


def test_presigned_url_without_expires_keeps_the_15_minute_window(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.presign("sts", BODY)
    query = "&".join(p for p in request.raw_query.split("&") if not p.startswith("X-Amz-Expires="))
    bare = HttpRequest("GET", "/", query, request.headers)
    # The signature no longer matches (Expires was signed), but the clock is checked first.
    with pytest.raises(SignatureDoesNotMatch, match=r"Signature expired: .* - 15 min\.\)$"):
        sts_verifier.verify(bare, SIGNED_AT + timedelta(minutes=16))
    with pytest.raises(SignatureDoesNotMatch, match="The request signature we calculated"):
        sts_verifier.verify(bare, SIGNED_AT + timedelta(minutes=14))


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("0", "X-Amz-Expires must be positive."),
        ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
        ("-5", "X-Amz-Expires should be a number of seconds, not '-5'."),
        ("1e3", "X-Amz-Expires should be a number of seconds, not '1e3'."),
    ],
)
def test_bad_expires_is_incomplete_signature(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str], expires: str, message: str
) -> None:
    request = signer.presign("sts", BODY)
    query = request.raw_query.replace("X-Amz-Expires=900", f"X-Amz-Expires={expires}")
    with pytest.raises(IncompleteSignature) as caught:
        sts_verifier.verify(HttpRequest("GET", "/", query, request.headers), SIGNED_AT)
    assert caught.value.message == message
    assert caught.value.http_status == 400


# --- credential scope ------------------------------------------------------------------------


def test_wrong_service_in_scope(signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]) -> None:
    with pytest.raises(SignatureDoesNotMatch) as caught:
        sts_verifier.verify(signer.header("iam", BODY), SIGNED_AT)
    assert caught.value.message == "Credential should be scoped to correct service: 'sts'. "


def test_region_outside_the_allowed_set(
    signer: BotocoreSigner, iam_verifier: SigV4Verifier[str]
) -> None:
    with pytest.raises(SignatureDoesNotMatch) as caught:
        iam_verifier.verify(signer.header("iam", BODY, region="us-east-2"), SIGNED_AT)
    assert (
        caught.value.message == "Credential should be scoped to a valid region, not 'us-east-2'. "
    )


@pytest.mark.parametrize(
    "region", ["", "useast1", "US-EAST-1", "us-east", "us-east-1a", "aws-global"]
)
def test_region_that_is_not_a_region_name(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str], region: str
) -> None:
    request = _rescope(signer.header("sts", BODY), region=region)
    with pytest.raises(SignatureDoesNotMatch) as caught:
        sts_verifier.verify(request, SIGNED_AT)
    assert (
        caught.value.message == f"Credential should be scoped to a valid region, not '{region}'. "
    )


def test_wrong_terminator(signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]) -> None:
    request = _rescope(signer.header("sts", BODY), terminator="aws4_reqest")
    with pytest.raises(SignatureDoesNotMatch) as caught:
        sts_verifier.verify(request, SIGNED_AT)
    assert caught.value.message == (
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'. "
    )


def test_scope_date_must_be_the_request_date(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = _rescope(signer.header("sts", BODY), date="20150829")
    with pytest.raises(SignatureDoesNotMatch) as caught:
        sts_verifier.verify(request, SIGNED_AT)
    assert caught.value.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20150829' != '20150830', from '20150830T123600Z'."
    )


def test_unknown_key_is_reported_before_scope_errors(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.header("iam", BODY, akid="AKIAUNKNOWN")
    with pytest.raises(InvalidClientTokenId):
        sts_verifier.verify(request, SIGNED_AT)


def test_scope_is_checked_before_the_signature(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    request = signer.header("iam", BODY, secret="wrong")
    with pytest.raises(SignatureDoesNotMatch, match="correct service"):
        sts_verifier.verify(request, SIGNED_AT)


def _rescope(
    request: HttpRequest,
    *,
    date: str = "20150830",
    region: str = "us-east-1",
    terminator: str = "aws4_request",
) -> HttpRequest:
    (authz,) = request.header_values("Authorization")
    old = f"{AKID}/20150830/us-east-1/sts/aws4_request"
    new = f"{AKID}/{date}/{region}/sts/{terminator}"
    return replace_header(request, "Authorization", authz.replace(old, new))


# --- malformed Authorization headers -------------------------------------------------------

GOOD_SIG = "a" * 64
CRED = f"{AKID}/20150830/us-east-1/sts/aws4_request"


@pytest.mark.parametrize(
    "authz",
    [
        f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date, Signature={GOOD_SIG}",
        f"AWS4-HMAC-SHA256 Credential={CRED},SignedHeaders=host;x-amz-date,Signature={GOOD_SIG}",
        f"AWS4-HMAC-SHA256   Credential={CRED} ,  SignedHeaders=host;x-amz-date "
        f",Signature={GOOD_SIG}",
        f"AWS4-HMAC-SHA256 Credential={CRED} SignedHeaders=host;x-amz-date Signature={GOOD_SIG}",
        f" AWS4-HMAC-SHA256\tCredential={CRED},\tSignedHeaders=host;x-amz-date, "
        f"Signature={GOOD_SIG} ",
        f"AWS4-HMAC-SHA256 Signature={GOOD_SIG}, Credential={CRED}, SignedHeaders=host;x-amz-date",
    ],
    ids=["sdk", "no-spaces", "extra-spaces", "spaces-only", "tabs", "reordered"],
)
def test_spacing_variants_parse_the_same(authz: str) -> None:
    params = parse_auth(_with_authz(authz))
    assert params.credential == Credential(AKID, "20150830", "us-east-1", "sts", "aws4_request")
    assert params.signed_headers == ("host", "x-amz-date")
    assert params.signature == GOOD_SIG


@pytest.mark.parametrize(
    ("authz", "message"),
    [
        (
            "AWS4-HMAC-SHA256",
            "Authorization header requires 'Credential' parameter. "
            "Authorization header requires 'Signature' parameter. "
            "Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=AWS4-HMAC-SHA256",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={CRED}",
            "Authorization header requires 'Signature' parameter. "
            "Authorization header requires 'SignedHeaders' parameter. "
            f"Authorization=AWS4-HMAC-SHA256 Credential={CRED}",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host, Signature=",
            "Authorization header requires 'Signature' parameter. "
            f"Authorization=AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host, Signature=",
        ),
        (
            f"Credential={CRED}, SignedHeaders=host, Signature={GOOD_SIG}",
            "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm. "
            f"Authorization=Credential={CRED}, SignedHeaders=host, Signature={GOOD_SIG}",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential= {CRED}, SignedHeaders=host, Signature={GOOD_SIG}",
            f"'{CRED}' not a valid key=value pair (missing equal-sign) in Authorization header: "
            f"'AWS4-HMAC-SHA256 Credential= {CRED}, SignedHeaders=host, Signature={GOOD_SIG}'.",
        ),
        (
            "eyJhbGciOiJIUzI1NiJ9.e30.sig",
            "'eyJhbGciOiJIUzI1NiJ9.e30.sig' not a valid key=value pair (missing equal-sign) in "
            "Authorization header: 'eyJhbGciOiJIUzI1NiJ9.e30.sig'.",
        ),
        (
            f"AWS4-HMAC-SHA512 Credential={CRED}, SignedHeaders=host, Signature={GOOD_SIG}",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/sts, "
            f"SignedHeaders=host, Signature={GOOD_SIG}",
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{AKID}/20150830/us-east-1/sts'",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=x-amz-date, Signature={GOOD_SIG}",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;;x-amz-date, "
            f"Signature={GOOD_SIG}",
            "SignedHeaders contains an empty header name: 'host;;x-amz-date'.",
        ),
    ],
    ids=[
        "algorithm-only",
        "credential-only",
        "empty-signature",
        "no-algorithm",
        "space-after-equals",
        "bearer-jwt",
        "other-algorithm",
        "four-part-credential",
        "host-not-signed",
        "empty-signed-header",
    ],
)
def test_malformed_header_is_incomplete_signature(authz: str, message: str) -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse_auth(_with_authz(authz))
    assert caught.value.message == message
    assert (caught.value.code, caught.value.http_status) == ("IncompleteSignature", 400)


def test_missing_date_header() -> None:
    authz = f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host, Signature={GOOD_SIG}"
    request = without_header(_with_authz(authz), "X-Amz-Date")
    with pytest.raises(IncompleteSignature) as caught:
        parse_auth(request)
    assert caught.value.message == (
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={authz}"
    )


def test_everything_missing_lists_everything() -> None:
    request = HttpRequest("POST", "/", "", (("Host", "h"), ("Authorization", "")))
    with pytest.raises(IncompleteSignature) as caught:
        parse_auth(request)
    assert caught.value.message == (
        "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm. "
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization="
    )


@pytest.mark.parametrize("value", ["2015-08-30T12:36:00Z", "20150830T123600", "20151330T123600Z"])
def test_malformed_amz_date(value: str) -> None:
    request = replace_header(_with_authz(_authz()), "X-Amz-Date", value)
    with pytest.raises(IncompleteSignature) as caught:
        parse_auth(request)
    assert caught.value.message == (
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_two_authorization_headers_are_refused() -> None:
    request = _with_authz(_authz())
    doubled = HttpRequest("POST", "/", "", (*request.headers, ("authorization", _authz())))
    with pytest.raises(IncompleteSignature, match="Only one Authorization header"):
        parse_auth(doubled)


def test_two_session_tokens_are_refused() -> None:
    request = _with_authz(_authz())
    doubled = HttpRequest(
        "POST", "/", "X-Amz-Security-Token=b", (*request.headers, ("X-Amz-Security-Token", "a"))
    )
    with pytest.raises(IncompleteSignature, match="Only one 'X-Amz-Security-Token'"):
        parse_auth(doubled)


def test_date_header_is_the_fallback(keys: FakeKeyStore) -> None:
    """Without X-Amz-Date the RFC 1123 Date header dates the request and the string to sign."""
    headers = (("Host", "sts.amazonaws.com"), ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"))
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    signed = ("date", "host")
    creq = canonical.canonical_request(
        method="POST",
        uri="/",
        query="",
        headers=canonical.canonical_headers(headers, signed),
        signed="date;host",
        body_hash=canonical.payload_hash(body),
    )
    sts = canonical.string_to_sign("20150830T123600Z", "20150830/us-east-1/sts/aws4_request", creq)
    sig = canonical.signature(
        canonical.derive_signing_key(SECRET, "20150830", "us-east-1", "sts"), sts
    )
    authz = f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=date;host, Signature={sig}"
    request = HttpRequest("POST", "/", "", (*headers, ("Authorization", authz)), body)
    verified = SigV4Verifier(keys, ("sts",)).verify(request, SIGNED_AT)
    assert verified.signed_at == SIGNED_AT
    with pytest.raises(IncompleteSignature, match="ISO-8601"):
        parse_auth(replace_header(request, "Date", "yesterday"))


# --- presigned query parsing -----------------------------------------------------------------


def test_presigned_query_missing_parts() -> None:
    request = HttpRequest("GET", "/", "Action=X&X-Amz-Signature=abc", (("Host", "h"),))
    with pytest.raises(IncompleteSignature) as caught:
        parse_auth(request)
    assert caught.value.message == (
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "Re-examine the query-string parameters."
    )


def test_presigned_repeated_parameter(signer: BotocoreSigner) -> None:
    request = signer.presign("sts", BODY)
    doubled = HttpRequest("GET", "/", request.raw_query + "&X-Amz-Credential=x", request.headers)
    with pytest.raises(IncompleteSignature, match="'X-Amz-Credential' is repeated"):
        parse_auth(doubled)


def test_presigned_other_algorithm(signer: BotocoreSigner) -> None:
    request = signer.presign("sts", BODY)
    query = request.raw_query.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
    with pytest.raises(IncompleteSignature, match="Unsupported AWS 'algorithm'"):
        parse_auth(HttpRequest("GET", "/", query, request.headers))


# --- no auth, both auths ---------------------------------------------------------------------


def test_no_auth_is_missing_authentication_token(sts_verifier: SigV4Verifier[str]) -> None:
    request = HttpRequest("POST", "/", "", (("Host", "sts.amazonaws.com"),), b"Action=X")
    assert detect_auth(request) == frozenset()
    with pytest.raises(MissingAuthenticationToken) as caught:
        sts_verifier.verify(request, SIGNED_AT)
    assert caught.value.message == "Request is missing Authentication Token"
    assert caught.value.http_status == 403


def test_a_token_alone_is_still_no_auth() -> None:
    request = HttpRequest("GET", "/", "X-Amz-Security-Token=t&X-Amz-Date=20150830T123600Z")
    assert detect_auth(request) == frozenset()


def test_detect_auth_names_the_form(signer: BotocoreSigner) -> None:
    assert detect_auth(signer.header("sts", BODY)) == {AuthKind.HEADER}
    assert detect_auth(signer.presign("sts", BODY)) == {AuthKind.QUERY}


def test_both_forms_at_once_is_refused(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    presigned = signer.presign("sts", BODY)
    both = HttpRequest(
        "GET", "/", presigned.raw_query, (*presigned.headers, ("Authorization", _authz()))
    )
    assert detect_auth(both) == {AuthKind.HEADER, AuthKind.QUERY}
    with pytest.raises(IncompleteSignature, match="Only one auth mechanism allowed"):
        sts_verifier.verify(both, SIGNED_AT)


# --- session token coverage, payload hash ----------------------------------------------------


def test_unsigned_token_is_accepted_by_default_and_refused_on_request(
    signer: BotocoreSigner, keys: FakeKeyStore
) -> None:
    request = signer.header("sts", BODY, akid=TEMP_AKID, secret=TEMP_SECRET)
    late_token = HttpRequest(
        request.method,
        request.raw_path,
        request.raw_query,
        (*request.headers, ("X-Amz-Security-Token", TOKEN)),
        request.body,
    )
    assert SigV4Verifier(keys, ("sts",)).verify(late_token, SIGNED_AT).session_token == TOKEN
    strict = SigV4Verifier(keys, ("sts",), require_signed_token=True)
    with pytest.raises(
        IncompleteSignature, match="'X-Amz-Security-Token' must be a 'SignedHeader'"
    ):
        strict.verify(late_token, SIGNED_AT)
    signed = signer.header("sts", BODY, akid=TEMP_AKID, secret=TEMP_SECRET, token=TOKEN)
    assert strict.verify(signed, SIGNED_AT).session_token == TOKEN


def test_content_sha256_header_must_match_the_body(
    signer: BotocoreSigner, sts_verifier: SigV4Verifier[str]
) -> None:
    body_hash = canonical.payload_hash(b"Action=GetCallerIdentity&Version=2011-06-15")
    request = signer.header("sts", BODY, headers={"X-Amz-Content-Sha256": body_hash})
    sts_verifier.verify(request, SIGNED_AT)
    for claimed in ("UNSIGNED-PAYLOAD", canonical.EMPTY_SHA256):
        with pytest.raises(SignatureDoesNotMatch, match="x-amz-content-sha256"):
            sts_verifier.verify(replace_header(request, "X-Amz-Content-Sha256", claimed), SIGNED_AT)


def test_verifier_needs_a_service(keys: FakeKeyStore) -> None:
    with pytest.raises(ValueError, match="service"):
        SigV4Verifier(keys, ())


def _authz() -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date, Signature={GOOD_SIG}"
    )


def _with_authz(authz: str) -> HttpRequest:
    headers = (
        ("Host", "sts.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authz),
    )
    return HttpRequest("POST", "/", "", headers, b"")


def _params(signed_at: datetime) -> AuthParams:
    return AuthParams(
        kind=AuthKind.HEADER,
        credential=Credential(
            AKID, signed_at.strftime("%Y%m%d"), "us-east-1", "sts", "aws4_request"
        ),
        signed_headers=("host",),
        signature=GOOD_SIG,
        amz_date=signed_at.strftime("%Y%m%dT%H%M%SZ"),
        signed_at=signed_at,
        expires=None,
        session_token=None,
        token_signed=False,
    )


def test_header_auth_may_carry_the_token_in_the_signed_query(
    signer: BotocoreSigner, keys: FakeKeyStore
) -> None:
    request = signer.header(
        "sts", BODY, akid=TEMP_AKID, secret=TEMP_SECRET, params={"X-Amz-Security-Token": TOKEN}
    )
    strict = SigV4Verifier(keys, ("sts",), require_signed_token=True)
    assert strict.verify(request, SIGNED_AT).session_token == TOKEN
    assert keys.calls == [(TEMP_AKID, TOKEN)]


def test_presigned_request_with_a_token_header(signer: BotocoreSigner, keys: FakeKeyStore) -> None:
    request = signer.presign("sts", BODY, akid=TEMP_AKID, secret=TEMP_SECRET)
    with_header = HttpRequest(
        "GET", "/", request.raw_query, (*request.headers, ("X-Amz-Security-Token", TOKEN))
    )
    assert parse_auth(with_header).session_token == TOKEN
    assert not parse_auth(with_header).token_signed  # only host is signed
    assert SigV4Verifier(keys, ("sts",)).verify(with_header, SIGNED_AT).session_token == TOKEN


def test_presigned_request_with_two_tokens_is_refused(signer: BotocoreSigner) -> None:
    request = signer.presign("sts", BODY, akid=TEMP_AKID, secret=TEMP_SECRET, token=TOKEN)
    doubled = HttpRequest(
        "GET", "/", request.raw_query, (*request.headers, ("X-Amz-Security-Token", TOKEN))
    )
    with pytest.raises(IncompleteSignature, match="Only one 'X-Amz-Security-Token'"):
        parse_auth(doubled)
