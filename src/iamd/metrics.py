"""What iamd counts and times, for ``GET /metrics`` (Prometheus, through prometheus-client).

The metrics are module-level objects, as prometheus-client means them to be; any layer
may count (the store its retries and lock waits, the authorizer its decisions, the server
its requests). ``iamd serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker
imports this module, so each worker process writes its values to memory-mapped files
there and ``/metrics`` on any worker answers for all of them (``render``).

Labels are bounded sets: the service and operation of a registered operation (else
``unknown``), the outcome (``ok`` or an AWS error code iamd raises), the decision, the
kind of session.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
_WAIT_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)

REQUESTS = Counter(
    "iamd_requests",
    "Requests answered, by service, operation and outcome (ok or the AWS error code).",
    ["service", "operation", "outcome"],
)
LATENCY = Histogram(
    "iamd_request_duration_seconds",
    "Time from a request's arrival to its response, by service and operation.",
    ["service", "operation"],
    buckets=_LATENCY_BUCKETS,
)
DECISIONS = Counter(
    "iamd_authorization_decisions",
    "Authorization decisions of the policy engine (API calls and /authorize alike).",
    ["decision"],
)
SESSIONS = Counter(
    "iamd_sessions_issued",
    "Temporary credentials minted, by the operation that minted them.",
    ["kind"],
)
TOKEN_FAILURES = Counter(
    "iamd_token_failures",
    "Refused session tokens, web identity tokens and SAML assertions, by error code.",
    ["code"],
)
AUTHENTICATION_FAILURES = Counter(
    "iamd_authentication_failures",
    "Requests whose signature or credentials were refused, by error code.",
    ["code"],
)
DB_RETRIES = Counter(
    "iamd_database_retries",
    "Transactions run again after a serialization failure, deadlock or lock timeout.",
)
WRITER_LOCK_WAIT = Histogram(
    "iamd_writer_lock_wait_seconds",
    "Time a SQLite write transaction waited for the writer lock.",
    buckets=_WAIT_BUCKETS,
)
AUDIT_DROPPED = Counter(
    "iamd_audit_events_dropped",
    "Audit events dropped because the recorder's queue was full.",
)
AUDIT_QUEUED = Gauge(
    "iamd_audit_events_queued",
    "Audit events waiting in a worker's queue to be stored.",
    multiprocess_mode="livesum",
)


def render() -> bytes:
    """Every metric in Prometheus's text format, summed over the worker processes."""
    path = os.environ.get(MULTIPROCESS_ENV)
    if path:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
