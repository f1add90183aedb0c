"""Each canonical-request piece on its own (the suite checks them together)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from iamd.auth import HttpRequest, canonical
from iamd.auth.canonical import SigningKeyCache


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"AZaz09-_.~", "AZaz09-_.~"),
        (b"a b", "a%20b"),
        (b"a+b", "a%2Bb"),
        (b"a/b", "a%2Fb"),
        (b"%", "%25"),
        (b"\xe1\x88\xb4", "%E1%88%B4"),
        (b"*'()!", "%2A%27%28%29%21"),
        (b"", ""),
    ],
)
def test_uri_encode(raw: bytes, expected: str) -> None:
    assert canonical.uri_encode(raw) == expected


def test_uri_encode_keeps_slashes_only_when_asked() -> None:
    assert canonical.uri_encode(b"/a b/c", keep_slash=True) == "/a%20b/c"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "/"),
        ("/", "/"),
        ("//", "/"),
        ("/./", "/"),
        ("/example/..", "/"),
        ("/example1/example2/../..", "/"),
        ("/a/../../b", "/b"),
        ("/./example", "/example"),
        ("//example//", "/example/"),
        ("/a/b/.", "/a/b"),
        ("/a/%2E%2E/b", "/a/%2E%2E/b"),  # encoded dots are not segments to resolve
    ],
)
def test_normalize_path(raw: str, expected: str) -> None:
    assert canonical.normalize_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("/example space/", "/example%20space/"),
        ("/example%20space/", "/example%2520space/"),  # wire-encoded paths are encoded again
        ("/ሴ", "/%E1%88%B4"),
        ("/example/$delete", "/example/%24delete"),
        ("//a/./b/../c", "/a/c"),
    ],
)
def test_canonical_uri(raw: str, expected: str) -> None:
    assert canonical.canonical_uri(raw) == expected


def test_canonical_uri_without_normalization_keeps_the_path() -> None:
    assert canonical.canonical_uri("//a/./b", normalize=False) == "//a/./b"
    assert canonical.canonical_uri("", normalize=False) == "/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
        ("Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"),
        ("b=1&B=2&a=3", "B=2&a=3&b=1"),
        ("Param1", "Param1="),
        ("Param1=", "Param1="),
        ("=value", "=value"),
        ("a=1&&b=2&", "a=1&b=2"),
        ("%E1%88%B4=bar", "%E1%88%B4=bar"),
        ("a=x y", "a=x%20y"),
        ("a=x+y", "a=x%20y"),
        ("a=x%2By", "a=x%2By"),
        ("a=%2f%7e", "a=%2F~"),
        ("a=100%", "a=100%25"),
        ("a=%zz", "a=%25zz"),
        ("a=b=c", "a=b%3Dc"),
        (
            "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
        ),
    ],
)
def test_canonical_query_string(raw: str, expected: str) -> None:
    assert canonical.canonical_query_string(raw) == expected


def test_canonical_query_string_excludes_by_decoded_name() -> None:
    raw = "X-Amz-Signature=abc&X-Amz-Date=1&X%2DAmz%2DSignature=def&a=1"
    assert canonical.canonical_query_string(raw, exclude=("X-Amz-Signature",)) == (
        "X-Amz-Date=1&a=1"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  value1  ", "value1"),
        ('"a   b   c"', '"a b c"'),
        ("value1\n  value2\n     value3", "value1 value2 value3"),
        ("a\t\tb", "a b"),
        ("", ""),
        ("VALUE1", "VALUE1"),
    ],
)
def test_canonical_header_value(value: str, expected: str) -> None:
    assert canonical.canonical_header_value(value) == expected


def test_canonical_headers_joins_repeats_in_order_and_lowercases_names() -> None:
    headers = [
        ("Host", "example.amazonaws.com"),
        ("My-Header1", "value2"),
        ("my-header1", " value2 "),
        ("MY-HEADER1", "value1"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Unsigned", "ignored"),
    ]
    block = canonical.canonical_headers(headers, ("host", "my-header1", "x-amz-date"))
    assert block == (
        "host:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n"
    )


def test_canonical_headers_by_name_matches_the_list_form() -> None:
    headers = (
        ("Host", " example.amazonaws.com "),
        ("My-Header1", "a   b"),
        ("my-header1", "\tc\n  d "),
        ("Unsigned", "ignored"),
    )
    signed = ("host", "My-Header1", "x-missing")
    by_name = HttpRequest("GET", "/", "", headers).headers_by_name
    assert canonical.canonical_headers_by_name(by_name, signed) == (
        canonical.canonical_headers(headers, signed)
    )
    assert canonical.canonical_headers_by_name(by_name, signed) == (
        "host:example.amazonaws.com\nmy-header1:a b,c d\nx-missing:\n"
    )


def test_canonical_headers_absent_signed_header_is_empty() -> None:
    assert (
        canonical.canonical_headers([("Host", "h")], ("host", "x-missing"))
        == "host:h\nx-missing:\n"
    )


def test_signed_headers_line() -> None:
    assert canonical.signed_headers(("Host", "X-Amz-Date")) == "host;x-amz-date"


def test_payload_hash() -> None:
    assert canonical.payload_hash(b"") == canonical.EMPTY_SHA256
    assert canonical.payload_hash(b"Param1=value1") == (
        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
    )


def test_credential_scope_and_string_to_sign() -> None:
    scope = canonical.credential_scope("20150830", "us-east-1", "service")
    assert scope == "20150830/us-east-1/service/aws4_request"
    sts = canonical.string_to_sign("20150830T123600Z", scope, "")
    assert sts == f"AWS4-HMAC-SHA256\n20150830T123600Z\n{scope}\n{canonical.EMPTY_SHA256}"


def test_signing_key_derivation_matches_the_spec() -> None:
    key = canonical.derive_signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service"
    )
    assert key.hex() == "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75"


def test_signing_key_cache_is_a_bounded_lru() -> None:
    cache = SigningKeyCache(maxsize=2)
    first = cache.get("s", "20150830", "us-east-1", "sts")
    assert first == canonical.derive_signing_key("s", "20150830", "us-east-1", "sts")
    cache.get("s", "20150831", "us-east-1", "sts")
    assert cache.get("s", "20150830", "us-east-1", "sts") is first  # hit, now most recent
    cache.get("s", "20150901", "us-east-1", "sts")  # evicts 20150831
    assert len(cache) == 2
    assert cache.get("s", "20150830", "us-east-1", "sts") is first
    assert cache.get("other", "20150830", "us-east-1", "sts") != first


def test_signing_key_cache_needs_room() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        SigningKeyCache(maxsize=0)


def test_request_helpers() -> None:
    request = HttpRequest(
        "GET",
        "/",
        "a=1&b=x+y&c=%E2%9C%93&d&=e",
        (("Host", "h"), ("X-A", "1"), ("x-a", "2")),
    )
    assert request.header_values("X-a") == ("1", "2")
    assert request.header_values("missing") == ()
    assert request.headers_by_name == {"host": ("h",), "x-a": ("1", "2")}
    assert request == HttpRequest("GET", "/", request.raw_query, request.headers)
    assert request.query_params() == (("a", "1"), ("b", "x y"), ("c", "✓"), ("d", ""), ("", "e"))


@pytest.mark.parametrize("length", [0, 1, 31, 32, 63, 64, 65, 200])
def test_signature_is_hmac_sha256_for_any_key(length: int) -> None:
    key = bytes(range(256))[:length] if length <= 256 else b""
    for message in ("", "x", "AWS4-HMAC-SHA256\n20150830T123600Z\n" * 5, "ü✓"):
        expected = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
        assert canonical.signature(key, message) == expected
        assert canonical.signature(key, message) == expected  # again, from the cached pads
