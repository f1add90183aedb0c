"""One REST-JSON request (IAM Roles Anywhere), from method and path to the JSON response.

::

    method + raw path ──> the model's operation (UnknownOperationException if none, or if
      iamd does not serve it)
    ──> protocol.parse_rest_request: labels, query string, JSON body (ValidationException)
    ──> one store transaction, as a Query request's (``pipeline.Pipeline``):
          signed operation: SigV4 -> Caller; authorize op.action on op.target
          CreateSession (``signed=False``): the X.509 signature (``auth.x509``) is checked
            here and handed to the operation as ``ctx.presented``; the caller is anonymous
            and the operation decides, with the trust anchor and the role's trust policy
          op.handler(ctx, params) -> result
    ──> protocol.serialize_rest_result: the model's status (201 for Create*) and JSON

The steps inside the transaction are the Query pipeline's, with the X.509 branch added;
errors reach ``errors.rest_error_response`` in the ASGI layer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from iamd import operations, protocol
from iamd.auth import HttpRequest, detect_auth
from iamd.auth.credentials import Authenticated
from iamd.auth.x509 import is_x509_signed, verify_x509
from iamd.errors import MissingAuthenticationToken, UnknownOperationException
from iamd.model.caller import Caller
from iamd.operations import OperationContext, RequestInfo
from iamd.server.pipeline import ANONYMOUS, Exchange, Peer, Pipeline


class RestPipeline(Pipeline):
    """The request pipeline of the REST-JSON services."""

    def handle_rest(
        self, http: HttpRequest, service: str, peer: Peer, exchange: Exchange
    ) -> tuple[int, bytes]:
        """(status, JSON body) of the successful response; raises on any error."""
        rt = self.runtime
        exchange.service = service
        model = protocol.load_rest_service(service)
        found = model.match(http.method, http.raw_path)
        if found is None:
            raise UnknownOperationException()
        rest_op, labels = found
        exchange.action = rest_op.name
        op = operations.lookup(service, rest_op.name)
        if op is None:
            raise UnknownOperationException(
                f"The operation {rest_op.name} is not supported by this server."
            )
        x509_signed = is_x509_signed(http)
        if op.signed and (x509_signed or not detect_auth(http)):
            raise MissingAuthenticationToken()
        if not op.signed and not x509_signed:
            raise MissingAuthenticationToken()
        params = protocol.parse_rest_request(
            rest_op, labels, http.query_params(), http.headers_by_name, http.body
        )
        authenticated: list[tuple[Caller, str, dt.datetime]] = []

        def run(conn: Connection) -> operations.Result:
            now = rt.clock.now()
            presented: Any = None
            if op.signed:
                who, region = self._authenticate(conn, http, service, now)
            else:
                signed = verify_x509(http, now, regions=rt.settings.regions)
                who, region, presented = Authenticated(ANONYMOUS), signed.region, signed
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
                action=rest_op.name,
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
                bound.authorize(op.action, op.target(ctx, params), extra)
            if not op.writes_late:
                start_writing()
            return op.handler(ctx, params)

        reads_first = not op.readonly and not op.writes_rarely
        try:
            result = rt.database.run(
                not op.readonly, run, deferred=op.writes_rarely, reads_first=reads_first
            )
        finally:
            if authenticated:
                caller, region, now = authenticated[-1]
                if caller.access_key_id and caller.session is None:
                    self.last_used.note(caller.access_key_id, service, region, now)
        return protocol.serialize_rest_result(rest_op, result)
