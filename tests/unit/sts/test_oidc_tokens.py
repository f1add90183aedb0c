"""oidc_tokens without a network: the JWKS cache with a fake fetch and clock, algorithms,
signatures (RSA and EC), and the time rules with their leeway."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from iamd.sts import oidc_tokens
from iamd.sts.oidc_tokens import (
    IdpUnreachable,
    JwksCache,
    TokenExpired,
    TokenRejected,
    check_times,
    read_unverified,
    verify_signature,
)

ISSUER = "https://idp.example.com"
NOW = 1_700_000_000


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


RSA_KEY = _rsa()
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _jwk(key: Any, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        data = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        data = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**data, "kid": kid}


def _token(key: Any = RSA_KEY, alg: str = "RS256", kid: str | None = "k1", **claims: Any) -> str:
    payload = {"iss": ISSUER, "sub": "alice", "aud": "c", "exp": NOW + 600, **claims}
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


class FakeIdp:
    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.fetched: list[str] = []
        self.down = False

    def __call__(self, url: str) -> Any:
        self.fetched.append(url)
        if self.down:
            raise IdpUnreachable(f"cannot reach {url}")
        if url.endswith("/.well-known/openid-configuration"):
            return {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/keys"}
        return {"keys": list(self.keys)}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_keys_are_discovered_then_cached_until_the_ttl() -> None:
    idp, clock = FakeIdp(_jwk(RSA_KEY, "k1")), Clock()
    cache = JwksCache(idp, ttl=60, clock=clock)
    assert [k["kid"] for k in cache.keys(ISSUER, "k1")] == ["k1"]
    assert idp.fetched == [f"{ISSUER}/.well-known/openid-configuration", f"{ISSUER}/keys"]
    cache.keys(ISSUER, "k1")
    assert len(idp.fetched) == 2
    clock.t += 60
    cache.keys(ISSUER, "k1")
    assert len(idp.fetched) == 4


def test_an_unknown_kid_refetches_at_most_once_a_second() -> None:
    idp, clock = FakeIdp(_jwk(RSA_KEY, "k1")), Clock()
    cache = JwksCache(idp, ttl=600, min_refresh=1.0, clock=clock)
    cache.keys(ISSUER, "k1")
    idp.keys.append(_jwk(EC_KEY, "k2"))
    assert cache.keys(ISSUER, "k2") == ()  # fetched just now: no refetch yet
    assert len(idp.fetched) == 2
    clock.t += 1.0
    assert [k["kid"] for k in cache.keys(ISSUER, "k2")] == ["k2"]
    assert len(idp.fetched) == 4


def test_an_unreachable_idp_and_bad_documents() -> None:
    idp = FakeIdp()
    idp.down = True
    with pytest.raises(IdpUnreachable):
        JwksCache(idp).keys(ISSUER, None)

    def no_jwks_uri(url: str) -> Any:
        return {"issuer": ISSUER}

    with pytest.raises(IdpUnreachable):
        JwksCache(no_jwks_uri).keys(ISSUER, None)


def test_an_unreachable_idp_is_not_asked_again_within_a_second() -> None:
    idp, clock = FakeIdp(_jwk(RSA_KEY, "k1")), Clock()
    cache = JwksCache(idp, ttl=600, min_refresh=1.0, clock=clock)
    idp.down = True
    with pytest.raises(IdpUnreachable):
        cache.keys(ISSUER, "k1")
    with pytest.raises(IdpUnreachable):
        cache.keys(ISSUER, "k1")  # remembered: no second wait for the timeout
    assert len(idp.fetched) == 1
    idp.down = False
    clock.t += 1.0
    assert [k["kid"] for k in cache.keys(ISSUER, "k1")] == ["k1"]
    assert len(idp.fetched) == 3


def test_fetch_refuses_plain_http_off_loopback() -> None:
    with pytest.raises(IdpUnreachable):
        oidc_tokens.fetch_json("http://idp.example.com/.well-known/openid-configuration")
    with pytest.raises(IdpUnreachable):
        oidc_tokens.fetch_json("file:///etc/passwd")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "a.b.c",
        jwt.encode({"iss": ISSUER}, None, algorithm="none"),
        jwt.encode({"iss": ISSUER}, "k" * 32, algorithm="HS256"),
        jwt.encode({"iss": ISSUER}, "k" * 48, algorithm="HS384"),
    ],
)
def test_unverifiable_tokens_are_rejected_before_any_fetch(token: str) -> None:
    with pytest.raises(TokenRejected):
        read_unverified(token)


def test_rsa_and_ec_signatures() -> None:
    keys = (_jwk(RSA_KEY, "k1"), _jwk(EC_KEY, "k2"))
    verify_signature(read_unverified(_token()), keys)
    verify_signature(read_unverified(_token(EC_KEY, "ES256", "k2")), keys)
    verify_signature(read_unverified(_token(RSA_KEY, "RS512", None)), keys)  # no kid: any key
    with pytest.raises(TokenRejected):
        verify_signature(read_unverified(_token(_rsa())), keys)  # another key, same kid
    with pytest.raises(TokenRejected, match="verification key"):
        verify_signature(read_unverified(_token(EC_KEY, "ES256")), (_jwk(RSA_KEY, "k1"),))


def test_tampered_claims_fail_the_signature() -> None:
    header, payload, signature = _token().split(".")
    other = _token(sub="mallory").split(".")[1]
    with pytest.raises(TokenRejected):
        verify_signature(read_unverified(f"{header}.{other}.{signature}"), (_jwk(RSA_KEY, "k1"),))
    assert payload != other


def test_times_and_the_leeway() -> None:
    check_times({"exp": NOW + 1}, NOW)
    check_times({"exp": NOW - 59}, NOW)  # within the 60 s leeway
    with pytest.raises(TokenExpired, match="Token expired: current date/time"):
        check_times({"exp": NOW - 60}, NOW)
    check_times({"exp": NOW + 600, "nbf": NOW + 60, "iat": NOW + 60}, NOW)
    with pytest.raises(TokenRejected):
        check_times({"exp": NOW + 600, "nbf": NOW + 61}, NOW)
    with pytest.raises(TokenRejected):
        check_times({"exp": NOW + 600, "iat": NOW + 61}, NOW)
    for bad in ({}, {"exp": "soon"}, {"exp": float(NOW + 600)}, {"exp": True}):
        with pytest.raises(TokenRejected):
            check_times(bad, NOW)


def test_verify_puts_it_together() -> None:
    cache = JwksCache(FakeIdp(_jwk(RSA_KEY, "k1")))
    claims = oidc_tokens.verify(read_unverified(_token()), NOW, cache)
    assert claims["sub"] == "alice"
    with pytest.raises(TokenExpired):
        oidc_tokens.verify(read_unverified(_token(exp=NOW - 3600)), NOW, cache)
    with pytest.raises(TokenRejected, match="no issuer"):
        oidc_tokens.verify(read_unverified(jwt.encode({"sub": "x"}, RSA_KEY, "RS256")), NOW, cache)
