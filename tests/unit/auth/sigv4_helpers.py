"""Helpers for the SigV4 tests: fixed credentials and time, a fake key store, a signer that
drives botocore's own SigV4Auth / SigV4QueryAuth at an injected time, request edits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.auth import HttpRequest, SigningSecret
from iamd.errors import ExpiredToken, InvalidClientTokenId

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TEMP_AKID = "ASIAEXAMPLETEMP"
TEMP_SECRET = "tempSecretKeyForTheSessionEXAMPLE0123456"
TOKEN = "FwoGZXIvYXdzEXAMPLE+session/token=="
EXPIRED_AKID = "ASIAEXAMPLEEXPIRED"
EXPIRED_TOKEN = "expired-session-token"
SIGNED_AT = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass
class FakeKeyStore:
    """The injected secret lookup: long-term and session keys; records every call."""

    calls: list[tuple[str, str | None]] = field(default_factory=list)

    def __call__(self, access_key_id: str, session_token: str | None) -> SigningSecret[str]:
        self.calls.append((access_key_id, session_token))
        if access_key_id == AKID:
            return SigningSecret(SECRET, f"user:{AKID}")
        if access_key_id == TEMP_AKID and session_token == TOKEN:
            return SigningSecret(TEMP_SECRET, f"session:{TEMP_AKID}")
        if access_key_id == EXPIRED_AKID and session_token == EXPIRED_TOKEN:
            raise ExpiredToken()
        raise InvalidClientTokenId()


def to_http_request(request: AWSRequest) -> HttpRequest:
    """What a server would receive for a botocore request: the wire path, query, headers
    (plus the Host header the HTTP client adds) and body."""
    prepared = request.prepare()
    url = urlsplit(prepared.url)
    headers = [(name, str(value)) for name, value in prepared.headers.items()]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", url.netloc))
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return HttpRequest(prepared.method, url.path or "/", url.query, tuple(headers), body)


@dataclass(frozen=True)
class BotocoreSigner:
    """Signs requests with botocore at a chosen time (patched into botocore's clock)."""

    monkeypatch: pytest.MonkeyPatch

    def _at(self, when: datetime) -> None:
        naive = when.astimezone(UTC).replace(tzinfo=None)
        self.monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: naive)

    def header(
        self,
        service: str,
        body: Mapping[str, str] | str,
        *,
        when: datetime = SIGNED_AT,
        region: str = "us-east-1",
        akid: str = AKID,
        secret: str = SECRET,
        token: str | None = None,
        host: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        method: str = "POST",
        path: str = "/",
    ) -> HttpRequest:
        """A form POST (or any method) signed with the Authorization header."""
        self._at(when)
        request = AWSRequest(
            method=method,
            url=f"https://{host or service + '.amazonaws.com'}{path}",
            data=body,
            params=dict(params or {}),
            headers={"Content-Type": FORM, **(headers or {})},
        )
        SigV4Auth(Credentials(akid, secret, token), service, region).add_auth(request)
        return to_http_request(request)

    def presign(
        self,
        service: str,
        body: Mapping[str, str] | str,
        *,
        when: datetime = SIGNED_AT,
        expires: int = 900,
        region: str = "us-east-1",
        akid: str = AKID,
        secret: str = SECRET,
        token: str | None = None,
    ) -> HttpRequest:
        """A presigned GET: botocore moves the form body into the query string."""
        self._at(when)
        request = AWSRequest(
            method="GET",
            url=f"https://{service}.amazonaws.com/",
            data=body,
            headers={"Content-Type": FORM},
        )
        SigV4QueryAuth(Credentials(akid, secret, token), service, region, expires).add_auth(request)
        return to_http_request(request)


def replace_header(request: HttpRequest, name: str, value: str) -> HttpRequest:
    """A copy of ``request`` whose header ``name`` (all occurrences) is ``value``."""
    kept = tuple((k, v) for k, v in request.headers if k.lower() != name.lower())
    return HttpRequest(
        request.method, request.raw_path, request.raw_query, (*kept, (name, value)), request.body
    )


def without_header(request: HttpRequest, name: str) -> HttpRequest:
    kept = tuple((k, v) for k, v in request.headers if k.lower() != name.lower())
    return HttpRequest(request.method, request.raw_path, request.raw_query, kept, request.body)


Mutator = Callable[[HttpRequest], HttpRequest]
