"""What each answered API request adds to the metrics and the request log.

Labels are bounded: an operation iamd does not serve is ``unknown``, whatever the client
wrote in Action or X-Amz-Target. The log line names the request id, the operation, the
HTTP status, the outcome (``ok`` or the error code), the time taken, the client's address
and the caller (ARN and access key id): nothing from the request's parameters or headers,
so nothing secret. ``iamd serve --log-format json`` writes it as one JSON object.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from iamd import metrics, operations
from iamd.server.pipeline import Exchange

log = logging.getLogger("iamd.request")

# iamd's own endpoints, besides the AWS operations of the registry.
OWN = frozenset({("iamd", "Authorize"), ("iamd", "VerifyCredential")})
# Operations that mint temporary credentials (sts:...), for iamd_sessions_issued.
MINTING = frozenset(
    {
        ("sts", "AssumeRole"),
        ("sts", "AssumeRoleWithWebIdentity"),
        ("sts", "AssumeRoleWithSAML"),
        ("sts", "GetSessionToken"),
        ("sts", "GetFederationToken"),
        ("rolesanywhere", "CreateSession"),
    }
)
TOKEN_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidIdentityToken",
        "IDPRejectedClaim",
        "IDPCommunicationError",
    }
)
AUTHENTICATION_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }
)


# (service, operation, outcome) -> its request counter and latency histogram: looking a
# labelled child up in prometheus-client takes a lock and builds a key every time.
_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}


def request(
    scope: MutableMapping[str, Any], exchange: Exchange, status: int, seconds: float
) -> None:
    service = exchange.service
    served = (service, exchange.action) in OWN or operations.lookup(service, exchange.action)
    name = exchange.action if served else "unknown"
    outcome = exchange.outcome
    counted = _children.get((service, name, outcome))
    if counted is None:
        counted = _children[(service, name, outcome)] = (
            metrics.REQUESTS.labels(service, name, outcome),
            metrics.LATENCY.labels(service, name),
        )
    counted[0].inc()
    counted[1].observe(seconds)
    if outcome == "ok":
        if (service, name) in MINTING:
            metrics.SESSIONS.labels(name).inc()
    elif outcome in TOKEN_CODES:
        metrics.TOKEN_FAILURES.labels(outcome).inc()
    elif outcome in AUTHENTICATION_CODES:
        metrics.AUTHENTICATION_FAILURES.labels(outcome).inc()
    if log.isEnabledFor(logging.INFO):
        client = scope.get("client")
        fields = {
            "requestId": exchange.request_id,
            "service": service,
            "operation": name,
            "status": status,
            "outcome": outcome,
            "durationMs": round(seconds * 1000, 3),
            "sourceIp": client[0] if client else "",
            "principal": exchange.principal,
            "accessKeyId": exchange.access_key_id,
        }
        log.info(
            "%s %s:%s %d %s %.1fms %s %s",
            exchange.request_id,
            service,
            name,
            status,
            outcome,
            seconds * 1000,
            fields["sourceIp"] or "-",
            exchange.principal or "-",
            extra={"iamd": fields},
        )
