"""OpenID Connect ID tokens: reading, signature verification and the issuer's keys.

A web identity token is a JWS-signed JWT (RFC 7519). Verification uses PyJWT (with
``cryptography``) for the JOSE work; this module decides which key and which rules:

- the header's ``alg`` must be RS256/384/512 or ES256/384/512: ``none`` and the HMAC
  algorithms (whose "key" would be public) are refused before anything is fetched;
- the key comes from the issuer's JWKS, found through OpenID Connect discovery:
  ``<iss>/.well-known/openid-configuration`` names ``jwks_uri``. Both documents are
  fetched with ``urllib`` (a short timeout, a size cap, TLS verified for https) and
  cached per issuer for ``JWKS_TTL`` seconds; a token whose ``kid`` the cached set lacks
  (the IdP rotated its keys) fetches them again, at most once per ``MIN_REFRESH``
  seconds per issuer so that made-up key ids cannot make iamd hammer an IdP;
- an IdP that cannot be reached is ``IdpUnreachable`` (IDPCommunicationError); a key
  that is not there even after a refresh, a bad signature or a malformed token is
  ``TokenRejected`` (InvalidIdentityToken);
- times (``exp``, ``nbf``, ``iat``; integers, as AWS requires) are checked against the
  request's time with ``LEEWAY`` seconds of clock skew: a past ``exp`` is
  ``TokenExpired`` (ExpiredTokenException), a future ``nbf``/``iat`` is rejected.

The cache is process-wide (``JWKS``): every request of a server shares the issuers' keys.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from iamd.model import json_text

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
LEEWAY = 60
FETCH_TIMEOUT = 5.0
JWKS_TTL = 600.0
MIN_REFRESH = 1.0
MAX_DOCUMENT_BYTES = 1 << 20
DISCOVERY_PATH = "/.well-known/openid-configuration"
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
_KEY_TYPES = {"R": "RSA", "E": "EC"}
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class TokenRejected(Exception):
    """The token is malformed, unsigned, badly signed or otherwise not acceptable."""


class TokenExpired(Exception):
    """The token's ``exp`` has passed."""


class IdpUnreachable(Exception):
    """The issuer's discovery document or JWKS could not be fetched."""


@dataclass(frozen=True, slots=True)
class UnverifiedToken:
    """A token's parts before its signature is checked: trust nothing in it yet."""

    raw: str
    algorithm: str
    key_id: str | None
    claims: Mapping[str, Any]

    @property
    def issuer(self) -> str:
        iss = self.claims.get("iss")
        if not isinstance(iss, str) or not iss:
            raise TokenRejected("The web identity token has no issuer (iss).")
        return iss


def read_unverified(token: str) -> UnverifiedToken:
    """The token's header and claims; TokenRejected unless it is a JWS we may verify."""
    jws = jwt.PyJWS()
    try:
        header = jws.get_unverified_header(token)
        parts = jws.decode_complete(token, options={"verify_signature": False})
        claims = json_text.loads(parts["payload"])
    except (jwt.PyJWTError, ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: PyJWT reads the header with json.loads, before anything is bounded.
        raise TokenRejected("The web identity token is not a valid JWT.") from None
    if not isinstance(claims, dict):
        raise TokenRejected("The web identity token's claims are not a JSON object.")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise TokenRejected(
            f"The web identity token is signed with an unsupported algorithm: {alg}"
        )
    kid = header.get("kid")
    return UnverifiedToken(token, str(alg), kid if isinstance(kid, str) else None, claims)


# --- fetching ------------------------------------------------------------------------------

Fetch = Callable[[str], Any]


def _fetchable(url: str) -> bool:
    """https anywhere; plain http only on this machine (the development IdP)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK


def fetch_json(url: str) -> Any:
    """The JSON document at ``url``; IdpUnreachable for any failure to get it."""
    if not _fetchable(url):
        raise IdpUnreachable(f"Refusing to fetch {url}: only https (or http on loopback)")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise IdpUnreachable(f"Couldn't reach the identity provider at {url}: {exc}") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise IdpUnreachable(f"The document at {url} is too large")
    try:
        return json.loads(body)
    except ValueError:
        raise IdpUnreachable(f"The document at {url} is not JSON") from None


@dataclass(frozen=True, slots=True)
class _Entry:
    keys: tuple[Mapping[str, Any], ...]
    fetched_at: float


@dataclass(frozen=True, slots=True)
class _Failure:
    error: IdpUnreachable
    failed_at: float


class JwksCache:
    """Each issuer's signing keys (raw JWKs), fetched by discovery and kept a while."""

    def __init__(
        self,
        fetch: Fetch = fetch_json,
        *,
        ttl: float = JWKS_TTL,
        min_refresh: float = MIN_REFRESH,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        # An unreachable IdP is remembered for ``min_refresh`` seconds, so the request
        # that finds it so (or the fetch ahead of its transaction) is not followed by
        # another wait of the whole timeout.
        self._failures: dict[str, _Failure] = {}
        self._lock = threading.Lock()

    def _load(self, issuer: str) -> _Entry:
        with self._lock:
            failure = self._failures.get(issuer)
        if failure is not None and self._clock() - failure.failed_at < self._min_refresh:
            raise failure.error
        try:
            return self._fetch_keys(issuer)
        except IdpUnreachable as exc:
            with self._lock:
                self._failures[issuer] = _Failure(exc, self._clock())
            raise

    def _fetch_keys(self, issuer: str) -> _Entry:
        discovery = self._fetch(issuer.rstrip("/") + DISCOVERY_PATH)
        jwks_uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
        if not isinstance(jwks_uri, str):
            raise IdpUnreachable(f"The discovery document of {issuer} names no jwks_uri")
        document = self._fetch(jwks_uri)
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise IdpUnreachable(f"The JWKS of {issuer} has no keys")
        entry = _Entry(tuple(k for k in keys if isinstance(k, dict)), self._clock())
        with self._lock:
            self._entries[issuer] = entry
            self._failures.pop(issuer, None)
        return entry

    def keys(self, issuer: str, key_id: str | None) -> tuple[Mapping[str, Any], ...]:
        """The issuer's keys that may have signed a token with ``key_id`` (any if None)."""
        with self._lock:
            entry = self._entries.get(issuer)
        now = self._clock()
        if entry is None or now - entry.fetched_at >= self._ttl:
            entry = self._load(issuer)
        found = _matching(entry.keys, key_id)
        if not found and now - entry.fetched_at >= self._min_refresh:
            found = _matching(self._load(issuer).keys, key_id)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._failures.clear()


def _matching(
    keys: tuple[Mapping[str, Any], ...], key_id: str | None
) -> tuple[Mapping[str, Any], ...]:
    if key_id is None:
        return keys
    return tuple(k for k in keys if k.get("kid") == key_id)


JWKS = JwksCache()


# --- verification ----------------------------------------------------------------------------


def verify_signature(token: UnverifiedToken, keys: tuple[Mapping[str, Any], ...]) -> None:
    """TokenRejected unless one of ``keys`` verifies the token's signature."""
    wanted = _KEY_TYPES[token.algorithm[0]]
    candidates = [k for k in keys if k.get("kty") == wanted and k.get("use", "sig") == "sig"]
    if not candidates:
        raise TokenRejected(NO_KEY)
    jws = jwt.PyJWS()
    for jwk in candidates:
        try:
            key = jwt.PyJWK(dict(jwk), algorithm=token.algorithm)
            jws.decode_complete(token.raw, key=key.key, algorithms=[token.algorithm])
        except jwt.PyJWTError:
            continue
        return
    raise TokenRejected("The web identity token's signature could not be verified.")


def _numeric(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenRejected(f"The web identity token's {name} claim is not an integer.")
    return int(value)


def check_times(claims: Mapping[str, Any], now: int, leeway: int = LEEWAY) -> None:
    """``exp`` (required), ``nbf`` and ``iat`` against ``now`` (epoch seconds)."""
    exp = _numeric(claims, "exp")
    if exp is None:
        raise TokenRejected("The web identity token has no expiration time (exp).")
    if exp + leeway <= now:
        raise TokenExpired(
            f"Token expired: current date/time {now} must be before the expiration date/time{exp}"
        )
    nbf = _numeric(claims, "nbf")
    if nbf is not None and nbf > now + leeway:
        raise TokenRejected(f"Token is not valid yet: its not-before time {nbf} is in the future")
    iat = _numeric(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise TokenRejected(f"Token is not valid yet: its issue time {iat} is in the future")


def verify(token: UnverifiedToken, now: int, cache: JwksCache = JWKS) -> Mapping[str, Any]:
    """The claims of a token whose signature and times check out."""
    verify_signature(token, cache.keys(token.issuer, token.key_id))
    check_times(token.claims, now)
    return token.claims
