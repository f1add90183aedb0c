"""One Query request, from decoded pairs to the response body.

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
    ──> commit ──> protocol.serialize_result (XML)

Everything raised here reaches the single error handler (``errors.error_response``) in the
ASGI layer, which renders it in the namespace of ``exchange.service``. This code is
synchronous: it runs on the event loop's thread, since a request is a few hundred
microseconds of CPU and short database calls, and a thread hop would cost as much.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from iamd import operations, protocol
from iamd.auth import HttpRequest, SigV4Verifier, detect_auth
from iamd.auth.credentials import Authenticated
from iamd.errors import InvalidAction, MissingAuthenticationToken
from iamd.model.caller import Caller, CallerKind
from iamd.operations import OperationContext, RequestInfo
from iamd.server import routing
from iamd.server.last_used import LastUsed
from iamd.server.runtime import Runtime

ANONYMOUS = Caller(kind=CallerKind.ANONYMOUS, account_id="", arn="", user_id="anonymous")


@dataclass(slots=True)
class Exchange:
    """What is known about a request so far; the error handler reads it."""

    request_id: str
    service: str = routing.DEFAULT_SERVICE
    action: str = ""


@dataclass(frozen=True, slots=True)
class Peer:
    """Facts about the connection that become condition keys."""

    source_ip: str
    secure: bool
    user_agent: str


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
        """The XML body of the successful response; raises on any error."""
        rt = self.runtime
        signed = bool(detect_auth(http))
        service = (routing.signed_service(http) if signed else None) or routing.service_by_action(
            pairs
        )
        exchange.service = service
        if not signed:
            action = routing.first_value(pairs, "Action")
            op = operations.lookup(service, action) if action else None
            if op is None or op.signed:
                raise MissingAuthenticationToken()
        model = rt.services[service]
        named = routing.first_value(pairs, "Action")
        if named and named in model.operation_names and operations.lookup(service, named) is None:
            raise InvalidAction(f"The action {named} is not supported by this server.")
        parsed = protocol.parse_request(model, pairs)
        exchange.action = parsed.action
        op = operations.lookup(service, parsed.action)
        assert op is not None  # INVARIANT: checked above, and parse_request keeps Action

        authenticated: list[tuple[Caller, str, dt.datetime]] = []

        def run(conn: Connection) -> operations.Result:
            now = rt.clock.now()
            if signed:
                who, region = self._authenticate(conn, http, service, now)
            else:
                who, region = Authenticated(ANONYMOUS), "us-east-1"
            caller = who.caller
            authenticated.append((caller, region, now))
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
                action=parsed.action,
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
            )
            if op.authorize:
                extra = op.request_context(ctx, parsed.params) if op.request_context else None
                bound.authorize(op.action, op.target(ctx, parsed.params), extra)
            if not op.writes_late:
                start_writing()
            return op.handler(ctx, parsed.params)

        if op.prepare is not None:
            op.prepare(rt.database, parsed.params)
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
        return protocol.serialize_result(
            rt.services[service], parsed.action, result, exchange.request_id
        )

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
