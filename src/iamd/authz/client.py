"""A small client of ``POST /authorize``, for services that let iamd decide.

::

    client = AuthorizeClient("http://iamd:8080", Credentials(KEY_ID, SECRET))
    result = client.authorize(
        method="GET", path="/photos/cat.jpg", headers=received_headers, body=b"",
        action="s3:GetObject", resource="arn:aws:s3:::photos/cat.jpg",
        resource_owner="123456789012",
    )
    if result.allowed: ...                      # result.caller["arn"], result.reasons
    elif result.error: ...                      # the client's signature did not verify
    else: ...                                   # denied: result.message says why

The service signs its own request to iamd with SigV4 (signing name ``iamd``) using its
credentials (botocore's, so refreshing role credentials work). Connections are kept alive,
one per thread. A failure of the service's own request (its credentials, its permission
``iamd:Authorize``, a malformed question, iamd unreachable) raises ``AuthorizeError``.

Imports only the standard library and botocore, so a service needs nothing else.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = [
    "AuthorizeClient",
    "AuthorizeError",
    "AuthorizeResult",
    "ClientError",
    "ContextEntry",
    "Credentials",
]

SIGNING_NAME = "iamd"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class AuthorizeError(Exception):
    """The service's own call to ``/authorize`` failed (not a decision about its client)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """One extra condition key, typed as the simulate APIs' ContextEntries."""

    key: str
    values: tuple[str, ...]
    type: str = "string"

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "type": self.type, "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class ClientError:
    """Why the client's own request was refused before any policy was read."""

    code: str
    message: str
    http_status: int


@dataclass(frozen=True, slots=True)
class AuthorizeResult:
    """iamd's answer: ``decision`` is ``Allow``, ``ExplicitDeny`` or ``ImplicitDeny``."""

    decision: str
    caller: Mapping[str, Any] | None
    reasons: Mapping[str, Any]
    message: str | None = None
    error: ClientError | None = None
    request_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def allowed(self) -> bool:
        return self.decision == "Allow" and self.error is None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuthorizeResult:
        error = data.get("error")
        return cls(
            decision=str(data.get("decision", "ImplicitDeny")),
            caller=data.get("caller"),
            reasons=data.get("reasons") or {},
            message=data.get("message"),
            error=ClientError(error["code"], error["message"], int(error["httpStatus"]))
            if error
            else None,
            request_id=data.get("requestId"),
            raw=data,
        )


@dataclass(frozen=True)
class VerifiedCredential:
    """What ``/verify-credential`` answered: whether the credential is good, and whose."""

    verified: bool
    user_name: str | None = None
    user_arn: str | None = None
    account_id: str | None = None
    credential_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerifiedCredential:
        user = data.get("user") or {}
        return cls(
            verified=bool(data.get("verified")),
            user_name=user.get("userName"),
            user_arn=user.get("arn"),
            account_id=user.get("accountId"),
            credential_id=data.get("credentialId"),
        )


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class AuthorizeClient:
    """Asks one iamd endpoint; thread-safe (one keep-alive connection per thread)."""

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        *,
        region: str = "us-east-1",
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {endpoint!r}")
        self.endpoint = endpoint.rstrip("/")
        self.url = f"{self.endpoint}/authorize"
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._credentials = credentials
        self._region = region
        self._timeout = timeout
        self._local = threading.local()
        self._open: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def __enter__(self) -> AuthorizeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def authorize(
        self,
        *,
        method: str,
        path: str,
        headers: Iterable[tuple[str, str]],
        action: str,
        resource: str,
        resource_owner: str,
        query: str = "",
        body: bytes | None = None,
        payload_sha256: str | None = None,
        resource_policy: str | None = None,
        context: Sequence[ContextEntry] = (),
        source_ip: str | None = None,
        secure_transport: bool = False,
    ) -> AuthorizeResult:
        """Ask whether the client request described here may do ``action`` on ``resource``.

        Give the client's body (hashed here) or its ``payload_sha256`` (hex, or
        ``UNSIGNED-PAYLOAD`` to accept clients that did not sign their body).
        """
        question: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": query,
            "headers": [[name, value] for name, value in headers],
            "payloadHash": payload_sha256 or payload_hash(body or b""),
            "action": action,
            "resource": resource,
            "resourceOwner": resource_owner,
        }
        if resource_policy is not None:
            question["resourcePolicy"] = resource_policy
        if context:
            question["context"] = [entry.to_json() for entry in context]
        if source_ip is not None:
            question["sourceIp"] = source_ip
        if secure_transport:
            question["secureTransport"] = True
        return self.ask(question)

    def ask(self, question: Mapping[str, Any]) -> AuthorizeResult:
        """Send a question already shaped as the JSON body; the low-level call."""
        body = json.dumps(question, separators=(",", ":")).encode("utf-8")
        headers = self._sign(body)
        status, data = self._post(body, headers)
        if status != 200:
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict):
                raise AuthorizeError(status, str(error.get("code")), str(error.get("message")))
            raise AuthorizeError(status, "Unknown", "iamd answered with an unexpected body")
        return AuthorizeResult.from_json(data)

    def verify_ssh_key(self, key_id: str, public_key: str) -> VerifiedCredential:
        """Whether ``public_key`` is the Active SSH key ``key_id`` (``APKA...``, the SSH user
        name a client connects as) of an IAM user, and whose."""
        return self._verify({"sshPublicKeyId": key_id, "sshPublicKey": public_key})

    def verify_service_password(
        self, service_name: str, service_user_name: str, password: str
    ) -> VerifiedCredential:
        """Whether this is an Active service-specific credential for ``service_name``."""
        return self._verify(
            {
                "serviceName": service_name,
                "serviceUserName": service_user_name,
                "servicePassword": password,
            }
        )

    def _verify(self, fields: Mapping[str, str]) -> VerifiedCredential:
        body = json.dumps(fields, separators=(",", ":")).encode("utf-8")
        path = "/verify-credential"
        status, data = self._post(body, self._sign(body, path), path)
        if status != 200:
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict):
                raise AuthorizeError(status, str(error.get("code")), str(error.get("message")))
            raise AuthorizeError(status, "Unknown", "iamd answered with an unexpected body")
        return VerifiedCredential.from_json(data)

    def signed_request(self, question: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
        """The body and signed headers of a call (for load generators)."""
        body = json.dumps(question, separators=(",", ":")).encode("utf-8")
        return body, self._sign(body)

    def close(self) -> None:
        """Close every thread's connection (a later call opens a new one)."""
        with self._lock:
            opened, self._open = self._open, []
        for conn in opened:
            conn.close()
        self._local = threading.local()

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)

    # -- HTTP -----------------------------------------------------------------------------

    def _sign(self, body: bytes, path: str = "/authorize") -> dict[str, str]:
        request = AWSRequest(
            method="POST",
            url=f"{self.endpoint}{path}",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        credentials = self._credentials
        if hasattr(credentials, "get_frozen_credentials"):
            credentials = credentials.get_frozen_credentials()
        SigV4Auth(credentials, SIGNING_NAME, self._region).add_auth(request)
        return dict(request.headers.items())

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def _post(
        self, body: bytes, headers: Mapping[str, str], path: str = "/authorize"
    ) -> tuple[int, Any]:
        for attempt in (1, 2):  # a kept-alive connection the server closed: retry once
            conn = self._connection()
            try:
                conn.request("POST", path, body=body, headers=dict(headers))
                response = conn.getresponse()
                raw = response.read()
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self._drop()
                if attempt == 2:
                    raise AuthorizeError(0, "ConnectionError", str(exc)) from exc
                continue
            try:
                return response.status, json.loads(raw)
            except ValueError:
                raise AuthorizeError(
                    response.status, "Unknown", "iamd answered with a body that is not JSON"
                ) from None
        raise AssertionError("unreachable")
