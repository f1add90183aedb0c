"""Shared steps of the /authorize tests: clients that sign requests to a service, and a
service that asks iamd about them.

A "client request" here is what a service of ours would receive: signed with botocore's
SigV4Auth for the service's signing name (``storage``), never sent anywhere but described
to ``/authorize``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from iamd.authz.client import AuthorizeClient, AuthorizeResult

from .conftest import Credentials, IamdServer

SERVICE_URL = "https://storage.example.internal"
SIGNING_NAME = "storage"


def boto(creds: Credentials) -> BotoCredentials:
    return BotoCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token)


class _SignedAt(SigV4Auth):
    """SigV4Auth at a chosen moment (to sign requests from the past or the future)."""

    def __init__(self, credentials: BotoCredentials, service: str, region: str, at: dt.datetime):
        super().__init__(credentials, service, region)
        self._at = at

    def add_auth(self, request: AWSRequest) -> None:
        request.context["timestamp"] = self._at.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)

    def _set_necessary_date_headers(self, request: AWSRequest) -> None:
        if "X-Amz-Date" in request.headers:
            del request.headers["X-Amz-Date"]
        request.headers["X-Amz-Date"] = request.context["timestamp"]


@dataclass
class ClientRequest:
    """A request a client signed for the storage service."""

    method: str
    path: str
    query: str
    headers: list[list[str]]
    body: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)

    def question(self, action: str, resource: str, owner: str, **fields: Any) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "payloadHash": hashlib.sha256(self.body).hexdigest(),
            "action": action,
            "resource": resource,
            "resourceOwner": owner,
            **fields,
        }


def sign(
    creds: Credentials | None,
    method: str = "GET",
    path: str = "/photos/cat.jpg",
    *,
    query: str = "",
    body: bytes = b"",
    service: str = SIGNING_NAME,
    region: str = "us-east-1",
    at: dt.datetime | None = None,
    headers: dict[str, str] | None = None,
) -> ClientRequest:
    """``method path?query`` signed by ``creds`` (None: an anonymous request)."""
    url = f"{SERVICE_URL}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if creds is not None:
        signer = (
            _SignedAt(boto(creds), service, region, at)
            if at is not None
            else SigV4Auth(boto(creds), service, region)
        )
        signer.add_auth(request)
    pairs = [["host", urlsplit(SERVICE_URL).netloc]]
    pairs += [[name, value] for name, value in request.headers.items()]
    return ClientRequest(method, path, query, pairs, body)


def asker(server: IamdServer, creds: Credentials) -> AuthorizeClient:
    """A service asking iamd with ``creds``."""
    return AuthorizeClient(server.endpoint, boto(creds))


def ask(
    server: IamdServer, service: Credentials, client: ClientRequest, **question: Any
) -> AuthorizeResult:
    """Ask about ``client``'s request; ``question`` holds action, resource, owner..."""
    body = client.question(
        question.pop("action"), question.pop("resource"), question.pop("owner"), **question
    )
    with asker(server, service) as service_client:
        return service_client.ask(body)


def post_raw(
    server: IamdServer, body: bytes, creds: Credentials | None, *, method: str = "POST"
) -> tuple[int, dict[str, Any]]:
    """POST ``body`` to /authorize signed by ``creds`` as a service would (or unsigned)."""
    url = f"{server.endpoint}/authorize"
    request = AWSRequest(method=method, url=url, data=body)
    if creds is not None:
        SigV4Auth(boto(creds), "iamd", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(
        url, data=body if method == "POST" else None, method=method, headers=dict(request.headers)
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def user_with_policy(iam: Any, name: str, account: str, *statements: dict[str, Any]) -> Credentials:
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account)
