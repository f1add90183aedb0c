"""Drive the ASGI app in-process: one request in, status, headers and body out."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FORM = "application/x-www-form-urlencoded; charset=utf-8"
KEY_ID = "test-root-key"
SECRET = "test-root-secret"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(
    app: Any,
    body: bytes = b"",
    *,
    method: str = "POST",
    path: str = "/",
    query: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    chunks: int = 1,
) -> Reply:
    """Send one HTTP request through ``app``; the body may arrive in several chunks."""
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or [])],
        "client": ("10.1.2.3", 5555),
        "server": ("127.0.0.1", 4566),
    }
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages: list[MutableMapping[str, Any]] = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    headers_out = {k.decode(): v.decode() for k, v in start["headers"]}
    return Reply(start["status"], headers_out, b"".join(m.get("body", b"") for m in sent[1:]))


def signed(
    app: Any,
    body: bytes,
    *,
    service: str = "sts",
    key_id: str = KEY_ID,
    secret: str = SECRET,
    method: str = "POST",
) -> Reply:
    """``body`` signed by botocore's SigV4 for ``service`` in us-east-1."""
    request = AWSRequest(
        method=method, url="http://127.0.0.1:4566/", data=body, headers={"Content-Type": FORM}
    )
    SigV4Auth(Credentials(key_id, secret), service, "us-east-1").add_auth(request)
    headers = [("Host", "127.0.0.1:4566"), *((k, str(v)) for k, v in request.headers.items())]
    return call(app, body, method=method, headers=headers)
