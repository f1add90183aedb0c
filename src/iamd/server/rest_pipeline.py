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

The steps inside the transaction are the Query pipeline's (``Pipeline.execute``, audit
trail included), with the X.509 check as its authenticator; errors reach
``errors.rest_error_response`` in the ASGI layer.
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
from iamd.server.pipeline import ANONYMOUS, Exchange, Peer, Pipeline, Seen


class RestPipeline(Pipeline):
    """The request pipeline of the REST-JSON services."""

    def handle_rest(
        self, http: HttpRequest, service: str, peer: Peer, exchange: Exchange
    ) -> tuple[int, bytes]:
        """(status, JSON body) of the successful response; raises on any error."""
        exchange.service = service
        return self._audited(self._rest, http, service, peer, exchange)

    def _rest(
        self, http: HttpRequest, service: str, peer: Peer, exchange: Exchange, seen: Seen | None
    ) -> tuple[int, bytes]:
        rt = self.runtime
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

        def by_certificate(conn: Connection, now: dt.datetime) -> tuple[Authenticated, str, Any]:
            signed = verify_x509(http, now, regions=rt.settings.regions)
            return Authenticated(ANONYMOUS), signed.region, signed

        result = self.execute(
            http,
            op.signed,
            op,
            params,
            peer,
            exchange,
            seen,
            authenticate=None if op.signed else by_certificate,
        )
        return protocol.serialize_rest_result(rest_op, result)
