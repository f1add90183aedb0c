"""ASGI middleware: protect an app's routes with AWS signatures and IAM policies.

::

    routes = Routes(owner=lambda p: BUCKET_OWNERS[p["bucket"]])
    routes.add("GET", "/{bucket}/{key+}", "s3:GetObject", "arn:aws:s3:::{bucket}/{key}")
    app = AuthorizeMiddleware(app, AuthorizeClient(IAMD_URL, SERVICE_CREDENTIALS), routes)

For each HTTP request the middleware reads the body (to hash it, then replays it to the
app), asks the app's resolver which action, resource and owner the request needs, and
asks iamd. Allowed: the app runs with ``scope["iamd.caller"]`` (account, ARN, user id,
principal tags) and ``scope["iamd.result"]``. Otherwise the client gets an AWS-style XML
error (``AccessDenied`` 403, or the signature error iamd reported), so an AWS SDK raises
its usual ClientError. A route no rule matches is refused (403) unless listed in
``public_paths``; an iamd that cannot be asked gives 503 ``ServiceUnavailable``.
``unsigned_payload=True`` accepts clients that did not sign their body (S3 clients over
HTTPS, S3 presigned URLs); the app then trusts the body without a signature over it.

Pure ASGI on the standard library (no framework): it works under Starlette, FastAPI or
any ASGI server. The call to iamd is blocking and runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from iamd.authz.client import AuthorizeClient, AuthorizeError, AuthorizeResult, ContextEntry

log = logging.getLogger("iamd.middleware")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CALLER = "iamd.caller"
RESULT = "iamd.result"
MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Authorization:
    """What one request needs: an action on a resource of an owner account."""

    action: str
    resource: str
    resource_owner: str
    resource_policy: str | None = None
    context: Sequence[ContextEntry] = ()


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """The request as the resolver sees it: method, decoded path, raw query, headers."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]


Resolver = Callable[[RequestFacts], Authorization | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    method: str
    pattern: re.Pattern[str]
    action: str
    resource: str


_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")


def _compile(template: str) -> re.Pattern[str]:
    out, last = [], 0
    for found in _PARAM.finditer(template):
        out.append(re.escape(template[last : found.start()]))
        name, greedy = found.group(1), found.group(2)
        out.append(f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)")
        last = found.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out))


class Routes:
    """A resolver from path templates: ``{name}`` is one segment, ``{name+}`` the rest.

    ``owner(params)`` names the account that owns the resource (KeyError or LookupError:
    no such resource, refused); ``policy(params)``, when given, returns its resource
    policy text or None; ``context(params, facts)`` adds condition keys.
    """

    def __init__(
        self,
        owner: Callable[[Mapping[str, str]], str],
        *,
        policy: Callable[[Mapping[str, str]], str | None] | None = None,
        context: Callable[[Mapping[str, str], RequestFacts], Sequence[ContextEntry]] | None = None,
    ) -> None:
        self._owner = owner
        self._policy = policy
        self._context = context
        self._rules: list[_Rule] = []

    def add(self, method: str, path: str, action: str, resource: str) -> Routes:
        """``resource`` is a template over the path's parameters (``arn:...:{bucket}``)."""
        self._rules.append(_Rule(method.upper(), _compile(path), action, resource))
        return self

    def __call__(self, facts: RequestFacts) -> Authorization | None:
        for rule in self._rules:
            if rule.method != facts.method:
                continue
            found = rule.pattern.fullmatch(facts.path)
            if found is None:
                continue
            params = found.groupdict()
            try:
                owner = self._owner(params)
            except LookupError:
                return None
            return Authorization(
                action=rule.action,
                resource=rule.resource.format(**params),
                resource_owner=owner,
                resource_policy=self._policy(params) if self._policy else None,
                context=self._context(params, facts) if self._context else (),
            )
        return None


class AuthorizeMiddleware:
    """Wraps an ASGI app; only HTTP requests are checked (lifespan passes through)."""

    def __init__(
        self,
        app: ASGIApp,
        client: AuthorizeClient,
        resolver: Resolver,
        *,
        public_paths: Collection[str] = (),
        max_body: int = MAX_BODY,
        unsigned_payload: bool = False,
    ) -> None:
        self.app = app
        self.client = client
        self.resolver = resolver
        self.public_paths = frozenset(public_paths)
        self.max_body = max_body
        self.unsigned_payload = unsigned_payload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, self.max_body)
        if not complete:
            await _error(send, 413, "EntityTooLarge", "Your proposed upload is too large.")
            return
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        raw_path = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
        raw_path = raw_path.partition("?")[0]
        query = scope.get("query_string", b"").decode("latin-1")
        facts = RequestFacts(scope["method"], unquote(raw_path), query, headers)
        needed = self.resolver(facts)
        if needed is None:
            await _error(send, 403, "AccessDenied", "Access Denied")
            return
        client = scope.get("client")
        try:
            result = await asyncio.to_thread(
                self.client.authorize,
                method=scope["method"],
                path=raw_path,
                query=query,
                headers=headers,
                payload_sha256=_hash(body, headers, query, self.unsigned_payload),
                action=needed.action,
                resource=needed.resource,
                resource_owner=needed.resource_owner,
                resource_policy=needed.resource_policy,
                context=needed.context,
                source_ip=client[0] if client else None,
                secure_transport=scope.get("scheme") == "https",
            )
        except AuthorizeError as exc:
            log.error("iamd could not be asked: %s", exc)
            await _error(send, 503, "ServiceUnavailable", "Please try again later.")
            return
        if not result.allowed:
            await _refuse(send, result)
            return
        scope[CALLER] = result.caller
        scope[RESULT] = result
        await self.app(scope, _replay(body), send)


def _hash(body: bytes, headers: Sequence[tuple[str, str]], query: str, unsigned_ok: bool) -> str:
    """The body's hash; UNSIGNED-PAYLOAD only if allowed and the client claims it (or
    presigned its URL, as S3 clients do with that constant)."""
    if unsigned_ok:
        claimed = next((v for k, v in headers if k.lower() == "x-amz-content-sha256"), "")
        if claimed.strip() == "UNSIGNED-PAYLOAD" or "X-Amz-Signature=" in query:
            return "UNSIGNED-PAYLOAD"
    return hashlib.sha256(body).hexdigest()


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # as a server does: nothing more until disconnect
        return {"type": "http.disconnect"}  # pragma: no cover

    return receive


async def _refuse(send: Send, result: AuthorizeResult) -> None:
    if result.error is not None:
        await _error(send, result.error.http_status, result.error.code, result.error.message)
    else:
        await _error(send, 403, "AccessDenied", result.message or "Access Denied")


async def _error(send: Send, status: int, code: str, message: str) -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    ).encode()
    headers = [
        (b"content-type", b"application/xml"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
