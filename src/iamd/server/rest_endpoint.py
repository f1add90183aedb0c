"""The ASGI endpoint of the REST-JSON services (IAM Roles Anywhere).

The body is read under the same cap as a Query request's; every failure is rendered by
``errors.rest_error_response`` as ``{"message": ...}`` with ``x-amzn-ErrorType``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from iamd.auth import HttpRequest
from iamd.protocol.rest_json import JSON_CONTENT_TYPE
from iamd.server import errors, forms
from iamd.server.pipeline import Exchange, Peer
from iamd.server.rest_pipeline import RestPipeline
from iamd.server.runtime import Runtime

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REQUEST_ID = "iamd.request_id"
_JSON = JSON_CONTENT_TYPE.encode("ascii")


class RestEndpoint:
    """One REST-JSON service's requests; ``service`` comes from the router."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pipeline = RestPipeline(runtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, service: str) -> None:
        exchange = scope["iamd.exchange"] = Exchange(scope[REQUEST_ID], service=service)
        try:
            status, body = await self._respond(scope, receive, service, exchange)
            headers = [(b"content-type", _JSON)]
        except Exception as exc:  # the one place that turns every failure into a response
            exchange.outcome = errors.code_of(exc)
            status, raw, body = errors.rest_error_response(
                service, exc, exchange.request_id, exchange.action
            )
            headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in raw]
            headers = [h for h in headers if h[0] != b"x-amzn-requestid"]
        headers.append((b"x-amzn-requestid", exchange.request_id.encode("ascii")))
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _respond(
        self, scope: Scope, receive: Receive, service: str, exchange: Exchange
    ) -> tuple[int, bytes]:
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers)
        content_length = next((v for k, v in headers if k.lower() == "content-length"), None)
        body = await forms.read_body(content_length, receive, self.runtime.max_body_bytes)
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        http = HttpRequest(
            scope["method"],
            raw_path.decode("latin-1").partition("?")[0],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
        )
        return self.pipeline.handle_rest(http, service, Peer.of(scope, headers), exchange)
