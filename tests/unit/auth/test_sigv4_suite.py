"""AWS's public SigV4 test suite, read in place from ``../shared/vectors/sigv4``.

For every case: the canonical request (.creq), string to sign (.sts) and Authorization
value (.authz) are rebuilt from the unsigned request (.req) and compared byte for byte, and
the verifier must accept the signed request (.sreq). Set ``IAMD_SIGV4_CASE`` to run one case.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamd.auth import HttpRequest, SigningSecret, SigV4Verifier, canonical
from iamd.auth.parse import parse_auth
from iamd.auth.sigv4 import compute_signature
from iamd.errors import SignatureDoesNotMatch

SUITE = Path(__file__).resolve().parents[3].parent / "shared" / "vectors" / "sigv4"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
SCOPE = "20150830/us-east-1/service/aws4_request"

# Cases whose files contradict each other; each with what is wrong and what we do instead.
DEFECTS: dict[str, str] = {
    "get-vanilla-with-session-token": (
        "the .req omits the X-Amz-Security-Token header that its .creq signs, and the .sreq "
        "carries get-vanilla's Signature (5fa00f...) instead of the .authz one: artifacts are "
        "rebuilt from the .sreq, and the .sreq is verified with the .authz value in place"
    ),
}
# S3 never normalizes paths and signs its payload differently; none of this edition's cases
# is S3-only, but any that appears must be listed here with its reason.
S3_ONLY: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path

    def read(self, ext: str) -> str:
        return (self.folder / f"{self.name}.{ext}").read_text(encoding="utf-8")


def _cases() -> list[Case]:
    if not SUITE.is_dir():
        return []
    found = [Case(p.parent.name, p.parent) for p in sorted(SUITE.rglob("*.creq"))]
    only = os.environ.get("IAMD_SIGV4_CASE")
    return [c for c in found if not only or c.name == only]


def _params(cases: list[Case]) -> list[object]:
    if not cases:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no SigV4 suite at {SUITE}"))]
    return [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.skip(reason=S3_ONLY[c.name])] if c.name in S3_ONLY else [],
        )
        for c in cases
    ]


CASES = _params(_cases())


def parse_http(text: str) -> HttpRequest:
    """Parse a suite .req/.sreq file: request line, headers (with folded lines), body."""
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, rest = request_line.split(" ", 1)
    target = rest.rsplit(" ", 1)[0]  # the path may contain spaces (get-space)
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    for line in header_lines:
        # A line starting with whitespace continues the previous header (obs-fold).
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value}\n{line}")
        else:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return HttpRequest(method, path, query, tuple(headers), body.encode("utf-8"))


def _unsigned(case: Case) -> HttpRequest:
    if case.name in DEFECTS:
        signed = parse_http(case.read("sreq"))
        kept = tuple(h for h in signed.headers if h[0].lower() != "authorization")
        return HttpRequest(signed.method, signed.raw_path, signed.raw_query, kept, signed.body)
    return parse_http(case.read("req"))


def _signed_headers(authz: str) -> tuple[str, ...]:
    return tuple(authz.split("SignedHeaders=")[1].split(",", maxsplit=1)[0].split(";"))


def _lookup(access_key_id: str, session_token: str | None) -> SigningSecret[str]:
    assert access_key_id == AKID
    return SigningSecret(SECRET, "principal")


@pytest.mark.parametrize("case", CASES)
def test_canonical_request(case: Case) -> None:
    request = _unsigned(case)
    signed = _signed_headers(case.read("authz"))
    creq = canonical.canonical_request(
        method=request.method,
        uri=canonical.canonical_uri(request.raw_path),
        query=canonical.canonical_query_string(request.raw_query),
        headers=canonical.canonical_headers(request.headers, signed),
        signed=canonical.signed_headers(signed),
        body_hash=canonical.payload_hash(request.body),
    )
    assert creq == case.read("creq")


@pytest.mark.parametrize("case", CASES)
def test_string_to_sign(case: Case) -> None:
    sts = canonical.string_to_sign("20150830T123600Z", SCOPE, case.read("creq"))
    assert sts == case.read("sts")


@pytest.mark.parametrize("case", CASES)
def test_authorization_value(case: Case) -> None:
    authz = case.read("authz")
    key = canonical.derive_signing_key(SECRET, "20150830", "us-east-1", "service")
    sig = canonical.signature(key, case.read("sts"))
    signed = canonical.signed_headers(_signed_headers(authz))
    assert authz == (
        f"AWS4-HMAC-SHA256 Credential={AKID}/{SCOPE}, SignedHeaders={signed}, Signature={sig}"
    )


@pytest.mark.parametrize("case", CASES)
def test_server_side_artifacts_match(case: Case) -> None:
    """The verifier's own computation, from the signed request, gives the same artifacts."""
    request = _signed(case)
    params = parse_auth(request)
    key = canonical.derive_signing_key(SECRET, "20150830", "us-east-1", "service")
    computed = compute_signature(request, params, key)
    assert computed.canonical_request == case.read("creq")
    assert computed.string_to_sign == case.read("sts")
    assert f"Signature={computed.signature}" in case.read("authz")


@pytest.mark.parametrize("case", CASES)
def test_verifier_accepts_signed_request(case: Case) -> None:
    verified = SigV4Verifier(_lookup, ("service",)).verify(_signed(case), NOW)
    assert (verified.access_key_id, verified.region, verified.service) == (
        AKID,
        "us-east-1",
        "service",
    )
    assert verified.principal == "principal"
    assert verified.signed_at == NOW


def _signed(case: Case) -> HttpRequest:
    request = parse_http(case.read("sreq"))
    if case.name not in DEFECTS:
        return request
    kept = tuple(h for h in request.headers if h[0].lower() != "authorization")
    authz = ("Authorization", case.read("authz"))
    return HttpRequest(
        request.method, request.raw_path, request.raw_query, (*kept, authz), request.body
    )


@pytest.mark.skipif(not (SUITE / "get-vanilla-with-session-token").is_dir(), reason="no suite")
def test_defective_session_token_sreq_is_rejected_as_written() -> None:
    """If the suite is ever fixed this fails, and the DEFECTS entry should go."""
    case = Case("get-vanilla-with-session-token", SUITE / "get-vanilla-with-session-token")
    with pytest.raises(SignatureDoesNotMatch):
        SigV4Verifier(_lookup, ("service",)).verify(parse_http(case.read("sreq")), NOW)


@pytest.mark.skipif(not (SUITE / "post-sts-token").is_dir(), reason="no suite")
def test_session_token_signed_and_unsigned_cases_pass_the_token_to_the_lookup() -> None:
    seen: list[str | None] = []

    def lookup(access_key_id: str, session_token: str | None) -> SigningSecret[str]:
        seen.append(session_token)
        return SigningSecret(SECRET, "p")

    verifier = SigV4Verifier(lookup, ("service",))
    for name in ("post-sts-header-before", "post-sts-header-after"):
        folder = SUITE / "post-sts-token" / name
        text = (folder / f"{name}.sreq").read_text(encoding="utf-8")
        assert verifier.verify(parse_http(text), NOW).session_token == seen[-1]
    assert seen[0] == seen[1]
    assert seen[0] is not None and seen[0].startswith("AQoDYXdzEPT")
