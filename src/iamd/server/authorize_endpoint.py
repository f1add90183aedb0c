"""``POST /authorize``: services of our users' own ask iamd whether to serve a request.

::

    body (capped) ──> the service's own SigV4 (signing name ``iamd``, any region)
      -> Caller (a user, a role session, an account root)          else 4xx JSON error
    ──> JSON ──remote.parse_question──> Question                    else 400 JSON error
    ──> the service may ``iamd:Authorize`` on the question's resource  else 403 AccessDenied
    ──> the CLIENT's SigV4 (whatever signing name the service uses, a valid region; the
        payload hash as the service gives it) -> Caller; no signature at all: anonymous
                                                     bad signature: 200 with ``error``
    ──> remote.decide: the client's policies + the resource policy -> Evaluation
    ──> 200 {"decision", "caller", "reasons", "message"?}

One read-only transaction answers it all. Every failure of the service's own request is
a JSON ``{"error": {"code", "message"}, "requestId"}`` with the AWS status of its code;
anything unexpected is a logged 500 InternalFailure, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from iamd.audit.event import Facts
from iamd.auth import HttpRequest, SigV4Verifier, detect_auth, parse_auth
from iamd.auth.credentials import Authenticated
from iamd.authz import remote
from iamd.authz.authorizer import Subject
from iamd.errors import (
    InternalFailure,
    MalformedPolicyDocument,
    MissingAuthenticationToken,
    ServiceError,
    ValidationError,
)
from iamd.model import json_text
from iamd.model.caller import Caller, CallerKind
from iamd.operations import RequestInfo, Target
from iamd.policy import Evaluation, PolicyError
from iamd.server import forms, routing
from iamd.server.errors import MethodNotAllowed
from iamd.server.last_used import LastUsed
from iamd.server.pipeline import Exchange
from iamd.server.runtime import Runtime
from iamd.store.db import change_counter

log = logging.getLogger("iamd.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

JSON_TYPE = b"application/json"
ANONYMOUS = Caller(kind=CallerKind.ANONYMOUS, account_id="", arn="", user_id="anonymous")


class MalformedJson(ValidationError):
    code = "MalformedJSON"


@dataclass(frozen=True, slots=True)
class _Decided:
    question: remote.Question
    caller: Caller | None
    subject: Subject | None
    evaluation: Evaluation | None
    client_error: ServiceError | None
    uses: tuple[tuple[Caller, str, str], ...]  # (caller, signing name, region) of valid keys
    now: dt.datetime


class AuthorizeEndpoint:
    """The ASGI endpoint; synchronous work on the event loop, as the Query pipeline's."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.last_used = LastUsed(runtime.database)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id: str = scope["iamd.request_id"]
        exchange = scope["iamd.exchange"] = Exchange(request_id, remote.SIGNING_NAME, "Authorize")
        seen: dict[str, Any] = {}
        try:
            status, payload = 200, await self._respond(scope, receive, request_id, seen)
        except ServiceError as exc:
            status, payload = exc.http_status, remote.error_body(exc, request_id)
            exchange.outcome = exc.code
        except Exception:  # the one place that turns every failure into a response
            log.exception("request %s (/authorize) failed with an internal error", request_id)
            status, payload = 500, remote.error_body(InternalFailure(), request_id)
            exchange.outcome = InternalFailure.code
        decided = seen.get("decided")
        if decided is not None and decided.uses:
            exchange.principal = decided.uses[0][0].arn
            exchange.access_key_id = decided.uses[0][0].access_key_id or ""
        if self.runtime.recorder is not None and "http" in seen:
            self.runtime.recorder.submit(_facts(request_id, seen, payload, self.runtime))
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        headers = [
            (b"content-type", JSON_TYPE),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"x-amzn-requestid", request_id.encode("ascii")),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _respond(
        self, scope: Scope, receive: Receive, request_id: str, seen: dict[str, Any]
    ) -> dict[str, Any]:
        if scope["method"] != "POST":
            raise MethodNotAllowed(f"The method {scope['method']} is not allowed; use POST.")
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        content_length = next((v for k, v in headers if k.lower() == "content-length"), None)
        body = await forms.read_body(content_length, receive, self.runtime.max_body_bytes)
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        http = HttpRequest(
            "POST",
            raw_path.decode("latin-1").partition("?")[0],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
        )
        client = scope.get("client")
        peer = RequestInfo(
            source_ip=client[0] if client else "127.0.0.1",
            secure_transport=scope.get("scheme") == "https",
            user_agent=next((v for k, v in headers if k.lower() == "user-agent"), ""),
        )
        seen["http"], seen["peer"] = http, peer
        decided = self.answer(http, peer)
        seen["decided"] = decided
        for caller, service, region in decided.uses:
            if caller.access_key_id and caller.session is None:
                self.last_used.note(caller.access_key_id, service, region, decided.now)
        if decided.client_error is not None:
            return remote.client_error(decided.question, decided.client_error, request_id)
        assert decided.caller is not None and decided.evaluation is not None
        return remote.answer(
            decided.question, decided.caller, decided.subject, decided.evaluation, request_id
        )

    def answer(self, http: HttpRequest, peer: RequestInfo) -> _Decided:
        """Authenticate and authorize the service, then decide about its client."""
        if not detect_auth(http):
            raise MissingAuthenticationToken()
        rt = self.runtime

        def run(conn: Connection) -> _Decided:
            now = rt.clock.now()
            verified = SigV4Verifier(
                rt.credentials.bind(conn), (remote.SIGNING_NAME,), key_cache=rt.key_cache
            ).verify(http, now)
            service: Authenticated = verified.principal
            uses = [(service.caller, remote.SIGNING_NAME, verified.region)]
            question = remote.parse_question(_json(http.body))
            info = RequestInfo(
                peer.source_ip, peer.secure_transport, peer.user_agent, verified.region
            )
            # A service registered with iamd (``iamd service register``) asks with its own
            # credentials: the operator's registration is its grant, as an AWS service
            # needs no IAM policy to consult IAM. Any other principal must be allowed
            # ``iamd:Authorize`` on the resource; ``iamd:ResourceOwner`` lets a policy
            # narrow that to some accounts.
            if service.caller.kind is not CallerKind.SERVICE:
                asker = rt.authorizer.bind(conn, service.caller, info, now, counter=service.counter)
                asker.authorize(
                    remote.AUTHORIZE_ACTION,
                    Target(question.resource),
                    remote.service_context(question),
                )
            client_http = _client_http(question.request)
            try:
                who, signing_name, region = _authenticate_client(rt, conn, client_http, now)
            except ServiceError as exc:
                return _Decided(question, None, None, None, exc, tuple(uses), now)
            if who.caller.kind is not CallerKind.ANONYMOUS:
                uses.append((who.caller, signing_name, region))
            # Temporary credentials open without a database read; the counter their
            # account's policies are cached under is read here, the fast way.
            counter = who.counter
            if counter is None and who.caller.account_id:
                counter = change_counter(conn, who.caller.account_id)
            client_info = RequestInfo(
                question.request.source_ip or "",
                question.request.secure_transport,
                question.request.header("user-agent") or "",
                region,
            )
            bound = rt.authorizer.bind(conn, who.caller, client_info, now, counter=counter)
            try:
                evaluation = remote.decide(bound, question)
            except PolicyError as exc:
                raise MalformedPolicyDocument(f"resourcePolicy: {exc}") from None
            return _Decided(question, who.caller, bound.subject, evaluation, None, tuple(uses), now)

        return rt.database.run(False, run)


def _facts(request_id: str, seen: dict[str, Any], payload: dict[str, Any], rt: Runtime) -> Facts:
    """The audit event of one ``/authorize`` request: the asking service is the caller;
    the client's account sees it too."""
    http: HttpRequest = seen["http"]
    peer: RequestInfo = seen["peer"]
    decided: _Decided | None = seen.get("decided")
    asker = decided.uses[0][0] if decided is not None else None
    facts = Facts(
        request_id=request_id,
        time=decided.now if decided is not None else rt.clock.now(),
        service=remote.SIGNING_NAME,
        action="Authorize",
        source_ip=peer.source_ip,
        user_agent=peer.user_agent,
        caller=asker,
        access_key_id=None if asker is not None else routing.signing_key_id(http),
    )
    if decided is not None:
        question = decided.question
        facts.params = {
            "Action": question.action,
            "Resource": question.resource,
            "ResourceOwner": question.resource_owner,
        }
        facts.target_arn = question.resource
        caller = payload.get("caller") or {}
        facts.additional = {
            "Decision": payload.get("decision"),
            "Principal": caller.get("arn") if isinstance(caller, dict) else None,
            "Reasons": payload.get("reasons"),
        }
        if decided.caller is not None:
            facts.also_seen_by = (decided.caller.account_id,)
    error = payload.get("error")
    if isinstance(error, dict):
        facts.error_code, facts.error_message = str(error["code"]), str(error["message"])
    return facts


def _json(body: bytes) -> object:
    try:
        return json_text.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJson(f"The request body is not valid JSON: {exc}") from None


def _client_http(request: remote.ClientRequest) -> HttpRequest:
    return HttpRequest(
        request.method,
        request.path,
        request.query,
        request.headers,
        b"",
        payload_hash=request.payload_hash,
    )


def _authenticate_client(
    rt: Runtime, conn: Connection, http: HttpRequest, now: dt.datetime
) -> tuple[Authenticated, str, str]:
    """The client's Caller, signing name and region; anonymous when it did not sign."""
    if not detect_auth(http):
        return Authenticated(ANONYMOUS), "", ""
    # Any signing name the service uses: the client signed for the service, not for iamd.
    service = parse_auth(http).credential.service
    verified = SigV4Verifier(rt.credentials.bind(conn), (service,), key_cache=rt.key_cache).verify(
        http, now
    )
    return verified.principal, service, verified.region
