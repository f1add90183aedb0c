"""The ASGI application: a raw ASGI callable, no framework.

The stack, outermost first (``build_app`` is the one place that says so)::

    ServerErrors    anything that escapes below: a bare 500, logged (should never happen)
    RequestIds      a uuid4 per HTTP request, in scope["iamd.request_id"]
    Observe         metrics and the request log line, from the endpoint's Exchange
    Router          /healthz -> health; /metrics -> Prometheus text (``iamd.metrics``);
                    / -> QueryEndpoint (JsonEndpoint with X-Amz-Target);
                    /authorize -> AuthorizeEndpoint;
                    /verify-credential -> VerifyEndpoint;
                    /console/*, /federation, /saml (and a browser's GET /) ->
                    the web console (``iamd.console``)
                    (JSON in and out); a REST-JSON service's path (Roles Anywhere:
                    /profiles, /sessions...) -> RestEndpoint; anything else -> NotFound
    QueryEndpoint   body (capped) -> pairs -> Pipeline -> XML; every error through
                    errors.error_response, the single error handler

``app_from_env`` is the factory ``iamd serve`` hands to uvicorn (each worker calls it):
settings from ``IAMD_*``, then ``runtime.open_runtime``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from iamd import metrics
from iamd.auth import HttpRequest
from iamd.config import Settings
from iamd.console.app import build_console
from iamd.protocol import CONTENT_TYPE
from iamd.protocol.json_protocol import CONTENT_TYPE as JSON_CONTENT_TYPE
from iamd.server import errors, forms, logs, observe, routing
from iamd.server.authorize_endpoint import AuthorizeEndpoint
from iamd.server.pipeline import Exchange, Peer, Pipeline
from iamd.server.rest_endpoint import RestEndpoint
from iamd.server.runtime import Runtime, open_runtime
from iamd.server.verify_endpoint import VerifyEndpoint

log = logging.getLogger("iamd.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID = "iamd.request_id"
EXCHANGE = "iamd.exchange"  # the endpoint's Exchange, for Observe
_XML = CONTENT_TYPE.encode("ascii")
_JSON = JSON_CONTENT_TYPE.encode("ascii")
_METRICS = metrics.CONTENT_TYPE.encode("ascii")


async def send_response(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class QueryEndpoint:
    """IAM and STS over the AWS Query protocol, POST form bodies and GET query strings."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pipeline = Pipeline(runtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = scope[EXCHANGE] = Exchange(scope[REQUEST_ID])
        try:
            body = await self._respond(scope, receive, exchange)
            status, headers = 200, [(b"content-type", _XML)]
        except Exception as exc:  # the one place that turns every failure into a response
            exchange.outcome = errors.code_of(exc)
            status, raw, body = errors.error_response(
                exchange.service, exc, exchange.request_id, exchange.action
            )
            headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in raw]
            headers = [h for h in headers if h[0] != b"x-amzn-requestid"]
        headers.append((b"x-amzn-requestid", exchange.request_id.encode("ascii")))
        await send_response(send, status, headers, body)

    async def _respond(self, scope: Scope, receive: Receive, exchange: Exchange) -> bytes:
        method: str = scope["method"]
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers)
        raw_query = scope.get("query_string", b"")
        if method not in routing.QUERY_METHODS:
            raise errors.MethodNotAllowed(f"The method {method} is not allowed; use POST or GET.")
        content_length = next((v for k, v in headers if k.lower() == "content-length"), None)
        body = await forms.read_body(content_length, receive, self.runtime.max_body_bytes)
        pairs = forms.decode_pairs(body) if method == "POST" else []
        if raw_query:
            pairs += forms.decode_pairs(raw_query, "query string")
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        http = HttpRequest(
            method,
            raw_path.decode("latin-1").partition("?")[0],
            raw_query.decode("latin-1"),
            headers,
            body,
        )
        return self.pipeline.handle(http, pairs, Peer.of(scope, headers), exchange)


class JsonEndpoint:
    """JSON-protocol services on ``/`` (requests with ``X-Amz-Target``): CloudTrail's
    LookupEvents over the audit trail. POST only, the body capped as a Query body; every
    error rendered by ``errors.json_error_response``."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = scope[EXCHANGE] = Exchange(scope[REQUEST_ID], service="cloudtrail")
        try:
            body = await self._respond(scope, receive, exchange)
            status, headers = 200, [(b"content-type", _JSON)]
        except Exception as exc:  # the one place that turns every failure into a response
            exchange.outcome = errors.code_of(exc)
            status, raw, body = errors.json_error_response(exc, exchange.request_id)
            headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in raw]
            headers = [h for h in headers if h[0] != b"x-amzn-requestid"]
        headers.append((b"x-amzn-requestid", exchange.request_id.encode("ascii")))
        await send_response(send, status, headers, body)

    async def _respond(self, scope: Scope, receive: Receive, exchange: Exchange) -> bytes:
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers)
        method: str = scope["method"]
        if method != "POST":
            raise errors.MethodNotAllowed(f"The method {method} is not allowed; use POST.")
        content_length = next((v for k, v in headers if k.lower() == "content-length"), None)
        body = await forms.read_body(content_length, receive, self.pipeline.runtime.max_body_bytes)
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        raw_query = scope.get("query_string", b"").decode("latin-1")
        http = HttpRequest(
            method, raw_path.decode("latin-1").partition("?")[0], raw_query, headers, body
        )
        target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
        return self.pipeline.handle_json(http, target, Peer.of(scope, headers), exchange)


class Router:
    def __init__(
        self,
        query: ASGIApp,
        authorize: ASGIApp | None = None,
        verify: ASGIApp | None = None,
        json: ASGIApp | None = None,
        rest: RestEndpoint | None = None,
        console: ASGIApp | None = None,
    ) -> None:
        self.query = query
        self.authorize = authorize
        self.verify = verify
        self.json = json
        self.rest = rest
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = routing.endpoint_for(scope["path"])
        if endpoint is routing.Endpoint.QUERY:
            if self.console is not None and routing.browser_visit(
                scope["method"], scope.get("query_string", b""), scope["headers"]
            ):
                await send_response(send, 302, [(b"location", b"/console")], b"")
            elif self.json is not None and any(k == b"x-amz-target" for k, _ in scope["headers"]):
                await self.json(scope, receive, send)
            else:
                await self.query(scope, receive, send)
        elif endpoint is routing.Endpoint.HEALTH:
            await send_response(send, 200, [(b"content-type", b"text/plain")], b"ok\n")
        elif endpoint is routing.Endpoint.METRICS:
            await send_response(send, 200, [(b"content-type", _METRICS)], metrics.render())
        elif endpoint is routing.Endpoint.CONSOLE and self.console is not None:
            await self.console(scope, receive, send)
        elif endpoint is routing.Endpoint.AUTHORIZE and self.authorize is not None:
            await self.authorize(scope, receive, send)
        elif endpoint is routing.Endpoint.VERIFY and self.verify is not None:
            await self.verify(scope, receive, send)
        elif self.rest is not None and (rest := self._rest_service(scope)) is not None:
            await self.rest(scope, receive, send, rest)
        else:
            rid = scope[REQUEST_ID]
            status, raw, body = errors.error_response(
                routing.DEFAULT_SERVICE, errors.NotFound(), rid
            )
            headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in raw]
            await send_response(send, status, headers, body)

    @staticmethod
    def _rest_service(scope: Scope) -> str | None:
        if routing.endpoint_for(scope["path"]) is not routing.Endpoint.NOT_FOUND:
            return None
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        path = raw_path.decode("latin-1").partition("?")[0]
        return routing.rest_service_for(path, scope["headers"])


class Observe:
    """Counts, times and logs every API request once it is answered: ``iamd_requests``
    and ``iamd_request_duration_seconds`` by service, operation and outcome, the sessions
    minted and the credentials refused, and one ``iamd.request`` log line (with the
    request id, the caller and the outcome; never a parameter, so never a secret)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        exchange: Exchange | None = scope.get(EXCHANGE)
        if exchange is not None:
            observe.request(scope, exchange, status, time.perf_counter() - started)


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[REQUEST_ID] = str(uuid.uuid4())
        await self.app(scope, receive, send)


class ServerErrors:
    """Last resort: nothing below should raise, but if it does the client gets a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:
            log.exception("unhandled error in the ASGI stack")
            await send_response(send, 500, [(b"content-type", b"text/plain")], b"")


class IamdApp:
    """The ASGI entry point: lifespan events and HTTP requests."""

    def __init__(self, runtime: Runtime, stack: ASGIApp) -> None:
        self.runtime = runtime
        self.stack = stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.stack(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.runtime.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_app(runtime: Runtime) -> IamdApp:
    """The middleware stack, outermost first, in this one place."""
    query = QueryEndpoint(runtime)
    router = Router(
        query,
        AuthorizeEndpoint(runtime),
        VerifyEndpoint(runtime),
        JsonEndpoint(query.pipeline),
        RestEndpoint(runtime),
        build_console(query.pipeline),
    )
    stack = ServerErrors(RequestIds(Observe(router)))
    return IamdApp(runtime, stack)


def app_from_env() -> IamdApp:
    """uvicorn's factory: one Runtime per worker process, from ``IAMD_*``."""
    if os.environ.get("IAMD_LOG_FORMAT"):
        logs.configure()  # a worker process: set up as `iamd serve` set up its own
    return build_app(open_runtime(Settings.from_env()))
