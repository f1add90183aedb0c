"""The console's way into iamd: an operation called with the signed-in person's temporary
credentials, through the request pipeline like any SDK call.

Parameters go through botocore's Query serializer and then iamd's own parser and
validator (``protocol.query_client``), so a console form gets exactly the API's
ValidationError; the session token is opened as SigV4 authentication opens it (expiry,
key ring), the call is authorized by the same engine (a role's permissions, a revoked
session, an explicit deny) and recorded in the audit trail with the browser's address and
user agent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request

from iamd.auth.credentials import Authenticated
from iamd.console.session import Identity
from iamd.protocol.query_client import query_pairs
from iamd.server.pipeline import ANONYMOUS, Authenticator, Exchange, Peer, Pipeline

REGION = "us-east-1"


def peer_of(request: Request) -> Peer:
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"])
    return Peer.of(request.scope, headers)


class Client:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.runtime = pipeline.runtime

    def call(
        self,
        request: Request,
        identity: Identity | None,
        service: str,
        action: str,
        params: dict[str, Any],
    ) -> Any:
        pairs = query_pairs(self.runtime.services[service], action, params)
        exchange = Exchange(str(uuid.uuid4()), service=service, action=action)
        return self.pipeline.call(
            service, pairs, peer_of(request), exchange, self._authenticator(identity)
        )

    def call_json(
        self,
        request: Request,
        identity: Identity,
        service: str,
        action: str,
        params: dict[str, Any],
    ) -> Any:
        """A JSON-protocol operation (``cloudtrail``); ``params`` are JSON values."""
        exchange = Exchange(str(uuid.uuid4()), service=service, action=action)
        return self.pipeline.call_json(
            service, action, params, peer_of(request), exchange, self._authenticator(identity)
        )

    def _authenticator(self, identity: Identity | None) -> Authenticator:
        sessions = self.runtime.credentials.sessions

        def authenticate(conn: Connection, now: dt.datetime) -> tuple[Authenticated, str, Any]:
            if identity is None:  # an unsigned operation (AssumeRoleWithSAML)
                return Authenticated(ANONYMOUS), REGION, None
            found = sessions(conn, identity.key_id, identity.token)
            return found.principal, REGION, None

        return authenticate
