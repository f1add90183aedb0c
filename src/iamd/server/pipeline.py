"""One API request, from its wire form to the response body.

A Query request (IAM, STS) is shown; a JSON-protocol one (``handle_json``: CloudTrail's
LookupEvents, by ``X-Amz-Target``) and a REST-JSON one (``rest_pipeline``: Roles Anywhere)
differ only in how the operation and its parameters are read and the result written: all
of them run the operation through ``execute``, and every one leaves an audit event.
``call`` and ``call_json`` take the same two ways in for a client in this process (the
web console), which authenticates its caller itself and gets the handler's result back.

::

    pairs ──> service (credential scope, else Action) ──> unsigned? only for operations
      that allow it, else MissingAuthenticationToken
    ──> protocol.parse_request: Action, Version, params (ValidationError with every problem)
    ──> the registered operation (InvalidAction if the model has it but iamd does not)
    ──> one store transaction (read-only for Get*/List*), retried on serialization failures:
          SigV4Verifier + CredentialLookup -> Caller
          OperationContext (with the request's BoundAuthorizer as ``authorize``)
          op.authorize? -> authorize op.action on op.target(ctx, params)
          (a write: ``start_writing``; on SQLite only the handler holds the write lock,
           and a ``writes_late`` handler takes it itself after its reads and checks)
          op.handler(ctx, params) -> result
          a write's audit event is appended here, in its own transaction
    ──> commit ──> protocol.serialize_result (XML)
    ──> any other request's audit event (a read, a refusal) is queued for the recorder

Everything raised here reaches the single error handler of the request's protocol in the
ASGI layer (``errors.error_response`` renders Query errors in ``exchange.service``'s
namespace). This code is
synchronous: it runs on the event loop's thread, since a request is a few hundred
microseconds of CPU and short database calls, and a thread hop would cost as much.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from iamd import operations, protocol
from iamd.audit.event import Facts, with_response
from iamd.auth import HttpRequest, SigV4Verifier, detect_auth
from iamd.auth.credentials import Authenticated
from iamd.errors import InvalidAction, MissingAuthenticationToken, ServiceError
from iamd.model.caller import Caller, CallerKind
from iamd.operations import OperationContext, RequestInfo
from iamd.protocol import json_protocol
from iamd.server import routing
from iamd.server.last_used import LastUsed
from iamd.server.runtime import Runtime
from iamd.store.access_keys import get_access_key
from iamd.store.audit_events import StoredEvent

# (connection, now) -> (who, signing region, what the operation is handed as presented)
Authenticator = Callable[[Connection, dt.datetime], tuple[Authenticated, str, Any]]

R = TypeVar("R")

ANONYMOUS = Caller(kind=CallerKind.ANONYMOUS, account_id="", arn="", user_id="anonymous")


@dataclass(slots=True)
class Exchange:
    """What is known about a request so far; the error handler reads it."""

    request_id: str
    service: str = routing.DEFAULT_SERVICE
    action: str = ""
    outcome: str = "ok"  # or the error code the response carries
    principal: str = ""  # the caller's ARN, once authenticated
    access_key_id: str = ""


@dataclass(slots=True)
class Seen:
    """What the pipeline learnt on the way, for the request's audit event."""

    caller: Caller | None = None
    region: str = "us-east-1"
    now: dt.datetime | None = None
    params: dict[str, object] | None = None
    target_arn: str | None = None
    recorded: bool = False  # a write's event went into its transaction


@dataclass(frozen=True, slots=True)
class Peer:
    """Facts about the connection that become condition keys."""

    source_ip: str
    secure: bool
    user_agent: str

    @classmethod
    def of(cls, scope: Mapping[str, Any], headers: Sequence[tuple[str, str]]) -> Peer:
        """The peer of an ASGI request (``headers`` decoded)."""
        client = scope.get("client")
        return cls(
            source_ip=client[0] if client else "127.0.0.1",
            secure=scope.get("scheme") == "https",
            user_agent=next((v for k, v in headers if k.lower() == "user-agent"), ""),
        )


class Pipeline:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.last_used = LastUsed(runtime.database)

    def handle(
        self,
        http: HttpRequest,
        pairs: Sequence[tuple[str, str]],
        peer: Peer,
        exchange: Exchange,
    ) -> bytes:
        """The XML body of a Query request's successful response; raises on any error."""
        return self._audited(self._query, http, pairs, peer, exchange)

    def handle_json(self, http: HttpRequest, target: str, peer: Peer, exchange: Exchange) -> bytes:
        """The JSON body of a JSON-protocol request's (``X-Amz-Target``) response."""
        return self._audited(self._json, http, target, peer, exchange)

    def call(
        self,
        service: str,
        pairs: Sequence[tuple[str, str]],
        peer: Peer,
        exchange: Exchange,
        authenticate: Authenticator,
    ) -> operations.Result:
        """A Query operation called in process by a client that authenticated its caller
        otherwise (the web console, with a session's token): parsed, validated,
        authorized, run and audited as the same request from an SDK; the handler's result
        is returned rather than XML."""
        exchange.service = service
        http = HttpRequest("POST", "/", "", (), b"")
        return self._audited(
            lambda h, p, peer, ex, seen: self._call(h, p, peer, ex, seen, authenticate),
            http,
            pairs,
            peer,
            exchange,
        )

    def call_json(
        self,
        service: str,
        action: str,
        params: Mapping[str, Any],
        peer: Peer,
        exchange: Exchange,
        authenticate: Authenticator,
    ) -> operations.Result:
        """A JSON-protocol operation (CloudTrail's LookupEvents) called in process like
        ``call``: ``params`` (JSON values: timestamps as epoch seconds) become the body an
        SDK would send, read and validated by the service's model as that body would be."""
        exchange.service = service
        exchange.action = action
        http = HttpRequest("POST", "/", "", (), json.dumps(params).encode("utf-8"))
        return self._audited(
            lambda h, a, peer, ex, seen: self._call_json(h, a, peer, ex, seen, authenticate),
            http,
            action,
            peer,
            exchange,
        )

    def _call_json(
        self,
        http: HttpRequest,
        action: str,
        peer: Peer,
        exchange: Exchange,
        seen: Seen | None,
        authenticate: Authenticator,
    ) -> operations.Result:
        model = json_protocol.service_named(exchange.service)
        op = operations.lookup(exchange.service, action)
        if model is None or op is None or action not in model.operation_names:
            raise json_protocol.UnknownOperation()
        params = model.parse(action, http.body)
        return self.execute(http, True, op, params, peer, exchange, seen, authenticate)

    def _call(
        self,
        http: HttpRequest,
        pairs: Sequence[tuple[str, str]],
        peer: Peer,
        exchange: Exchange,
        seen: Seen | None,
        authenticate: Authenticator,
    ) -> operations.Result:
        model = self.runtime.services[exchange.service]
        named = routing.first_value(pairs, "Action") or ""
        exchange.action = named
        if operations.lookup(exchange.service, named) is None:
            raise InvalidAction(f"The action {named} is not supported by this server.")
        parsed = protocol.parse_request(model, pairs)
        op = operations.lookup(exchange.service, parsed.action)
        assert op is not None  # INVARIANT: checked above, and parse_request keeps Action
        return self.execute(http, True, op, parsed.params, peer, exchange, seen, authenticate)

    def _audited(
        self,
        handle: Callable[[HttpRequest, Any, Peer, Exchange, Seen | None], R],
        http: HttpRequest,
        request: Any,
        peer: Peer,
        exchange: Exchange,
    ) -> R:
        recorder = self.runtime.recorder
        if recorder is None:
            return handle(http, request, peer, exchange, None)
        seen = Seen()
        try:
            return handle(http, request, peer, exchange, seen)
        except Exception as exc:
            if not seen.recorded:
                recorder.submit(self._failure(http, peer, exchange, seen, exc))
            raise

    def _query(
        self,
        http: HttpRequest,
        pairs: Sequence[tuple[str, str]],
        peer: Peer,
        exchange: Exchange,
        seen: Seen | None,
    ) -> bytes:
        rt = self.runtime
        signed = bool(detect_auth(http))
        service = (routing.signed_service(http) if signed else None) or routing.service_by_action(
            pairs
        )
        exchange.service = service
        named = routing.first_value(pairs, "Action")
        exchange.action = named or ""
        if not signed:
            op = operations.lookup(service, named) if named else None
            if op is None or op.signed:
                raise MissingAuthenticationToken()
        model = rt.services[service]
        if named and named in model.operation_names and operations.lookup(service, named) is None:
            raise InvalidAction(f"The action {named} is not supported by this server.")
        parsed = protocol.parse_request(model, pairs)
        exchange.action = parsed.action
        op = operations.lookup(service, parsed.action)
        assert op is not None  # INVARIANT: checked above, and parse_request keeps Action
        result = self.execute(http, signed, op, parsed.params, peer, exchange, seen)
        return protocol.serialize_result(model, parsed.action, result, exchange.request_id)

    def _json(
        self, http: HttpRequest, target: str, peer: Peer, exchange: Exchange, seen: Seen | None
    ) -> bytes:
        service_name = routing.scope_service(http) or ""
        service = json_protocol.service_for_target(target)
        if service is None:
            raise json_protocol.UnknownOperation()
        exchange.service = service.name
        action = service.action_of(target)
        exchange.action = action or ""
        op = operations.lookup(service.name, action) if action else None
        if op is None or action is None:
            raise json_protocol.UnknownOperation()
        if not detect_auth(http) or service_name != service.name:
            raise MissingAuthenticationToken()
        params = service.parse(action, http.body)
        result = self.execute(http, True, op, params, peer, exchange, seen)
        return service.serialize(action, result)

    def execute(
        self,
        http: HttpRequest,
        signed: bool,
        op: operations.Operation,
        params: dict[str, Any],
        peer: Peer,
        exchange: Exchange,
        seen: Seen | None,
        authenticate: Authenticator | None = None,
    ) -> operations.Result:
        """Authenticate, authorize and run ``op`` in one transaction; the audit event of a
        write goes into that transaction, any other's to the recorder's queue.

        ``authenticate`` replaces SigV4 for an operation that is signed otherwise (Roles
        Anywhere's CreateSession: the X.509 signature), and hands the operation what was
        presented (``ctx.presented``)."""
        rt = self.runtime
        service = exchange.service
        if seen is not None:
            seen.params = params
        audited_write = seen is not None and not op.readonly and not op.writes_rarely
        written: list[StoredEvent] = []
        authenticated: list[tuple[Caller, str, dt.datetime]] = []

        def run(conn: Connection) -> operations.Result:
            now = rt.clock.now()
            presented: Any = None
            if authenticate is not None:
                who, region, presented = authenticate(conn, now)
            elif signed:
                who, region = self._authenticate(conn, http, service, now)
            else:
                who, region = Authenticated(ANONYMOUS), "us-east-1"
            caller = who.caller
            authenticated.append((caller, region, now))
            exchange.principal = caller.arn
            exchange.access_key_id = caller.access_key_id or ""
            if seen is not None:
                seen.caller, seen.region, seen.now = caller, region, now
            info = RequestInfo(peer.source_ip, peer.secure, peer.user_agent, region)
            bound = rt.authorizer.bind(conn, caller, info, now, counter=who.counter)
            writing = [not reads_first]

            def start_writing() -> None:
                if not writing[0]:
                    writing[0] = True
                    rt.database.start_writing(conn, caller.account_id)

            ctx = OperationContext(
                request_id=exchange.request_id,
                service=service,
                action=op.name,
                caller=caller,
                db=conn,
                clock=rt.clock,
                settings=rt.settings,
                random=rt.random,
                secrets=rt.box,
                request=info,
                authorize=bound,
                now=now,
                memo={} if op.readonly else None,
                counter=who.counter,
                start_writing=start_writing,
                presented=presented,
            )
            if op.authorize:
                extra = op.request_context(ctx, params) if op.request_context else None
                target = op.target(ctx, params)
                if seen is not None:
                    seen.target_arn = target.arn
                bound.authorize(op.action, target, extra)
            if not op.writes_late:
                start_writing()
            result = op.handler(ctx, params)
            if audited_write:
                assert seen is not None and rt.recorder is not None  # INVARIANT: audited_write
                written[:] = rt.recorder.in_transaction(
                    conn, self._facts(exchange, peer, seen, op, result)
                )
            return result

        if op.prepare is not None:
            op.prepare(rt.database, params)
        reads_first = not op.readonly and not op.writes_rarely
        try:
            result = rt.database.run(
                not op.readonly, run, deferred=op.writes_rarely, reads_first=reads_first
            )
        finally:
            if authenticated:  # a key used in a valid signature counts, even if denied
                caller, region, now = authenticated[-1]
                if caller.access_key_id and caller.session is None:
                    self.last_used.note(caller.access_key_id, service, region, now)
        if seen is not None:
            assert rt.recorder is not None  # INVARIANT: seen only when auditing
            if audited_write:
                seen.recorded = True
                rt.recorder.after_commit(written)
            else:
                rt.recorder.submit(self._facts(exchange, peer, seen, op, result))
        return result

    def _facts(
        self,
        exchange: Exchange,
        peer: Peer,
        seen: Seen,
        op: operations.Operation,
        result: operations.Result | None,
    ) -> Facts:
        return Facts(
            request_id=exchange.request_id,
            time=seen.now or self.runtime.clock.now(),
            service=exchange.service,
            action=exchange.action,
            region=seen.region,
            source_ip=peer.source_ip,
            user_agent=peer.user_agent,
            caller=seen.caller,
            params=seen.params,
            result=result,
            read_only=op.readonly or op.writes_rarely,
            with_response=with_response(exchange.service, exchange.action, op.readonly),
            target_arn=seen.target_arn,
        )

    def _failure(
        self,
        http: HttpRequest,
        peer: Peer,
        exchange: Exchange,
        seen: Seen,
        exc: BaseException,
    ) -> Facts:
        """The facts of a refused or failed request (built on the error path only)."""
        if isinstance(exc, ServiceError):
            code, message = exc.code, exc.message
        else:
            code, message = "InternalFailure", "An internal error occurred."
        action = exchange.action or "Unknown"
        op = operations.lookup(exchange.service, action)
        key_id = None if seen.caller is not None else routing.signing_key_id(http)
        return Facts(
            request_id=exchange.request_id,
            time=seen.now or self.runtime.clock.now(),
            service=exchange.service,
            action=action[:128],
            region=seen.region,
            source_ip=peer.source_ip,
            user_agent=peer.user_agent,
            caller=seen.caller,
            access_key_id=key_id,
            key_account=self._key_account(key_id) if key_id else None,
            params=seen.params,
            error_code=code,
            error_message=message,
            read_only=op is None or op.readonly or op.writes_rarely,
            target_arn=seen.target_arn,
        )

    def _key_account(self, key_id: str) -> str | None:
        """The account of a long-term key that failed to authenticate, if it exists."""
        try:
            key = self.runtime.database.run(False, lambda conn: get_access_key(conn, key_id))
        except Exception:  # the trail must not turn a refusal into a 500
            return None
        return key.account_id if key is not None else None

    def _authenticate(
        self, conn: Connection, http: HttpRequest, service: str, now: dt.datetime
    ) -> tuple[Authenticated, str]:
        rt = self.runtime
        verifier = SigV4Verifier(
            rt.credentials.bind(conn),
            (service,),
            regions=rt.settings.regions,
            key_cache=rt.key_cache,
        )
        verified = verifier.verify(http, now)
        return verified.principal, verified.region
