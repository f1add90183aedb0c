"""The one error handler: any exception of a request becomes an AWS ErrorResponse.

``ServiceError`` subclasses are rendered as they are (their code, status and message).
Anything else is a bug or an outage: the client gets ``InternalFailure`` (500) with the
request id and nothing more, and the traceback goes to the server's log under that id.
Request parameters are never logged, so neither are the secrets some of them carry.
"""

from __future__ import annotations

import logging

from iamd import protocol
from iamd.errors import InternalFailure, ServiceError

log = logging.getLogger("iamd.server")

Response = tuple[int, list[tuple[str, str]], bytes]


class RequestEntityTooLarge(ServiceError):
    code = "RequestEntityTooLarge"
    http_status = 413
    sender_fault = True


class NotFound(ServiceError):
    code = "NotFound"
    http_status = 404
    sender_fault = True
    default_message = "The requested path does not exist; IAM and STS are served on /."


class MethodNotAllowed(ServiceError):
    code = "MethodNotAllowed"
    http_status = 405
    sender_fault = True


def code_of(exc: BaseException) -> str:
    """The error code the response to ``exc`` carries."""
    return exc.code if isinstance(exc, ServiceError) else InternalFailure.code


def json_error_response(exc: BaseException, request_id: str) -> Response:
    """(status, headers, body) for ``exc`` in the JSON protocol's shape."""
    from iamd.protocol import json_protocol

    if isinstance(exc, ServiceError):
        return json_protocol.render_error(exc, request_id)
    log.error("request %s (JSON) failed with an internal error", request_id, exc_info=exc)
    return json_protocol.render_error(InternalFailure(), request_id)


def error_response(service: str, exc: BaseException, request_id: str, action: str = "") -> Response:
    """(status, headers, body) for ``exc``, rendered in ``service``'s namespace."""
    if isinstance(exc, ServiceError):
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s: %s", request_id, service, action or "-", exc.code)
        return protocol.render_error(service, exc, request_id)
    log.error(
        "request %s (%s %s) failed with an internal error",
        request_id,
        service,
        action or "-",
        exc_info=exc,
    )
    return protocol.render_error(service, InternalFailure(), request_id)


def rest_error_response(
    service: str, exc: BaseException, request_id: str, action: str = ""
) -> Response:
    """``error_response`` for a REST-JSON service: ``{"message": ...}`` and its error type."""
    rest = protocol.load_rest_service(service)
    if isinstance(exc, ServiceError):
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s: %s", request_id, service, action or "-", exc.code)
        return protocol.render_rest_error(rest, exc, request_id)
    log.error(
        "request %s (%s %s) failed with an internal error",
        request_id,
        service,
        action or "-",
        exc_info=exc,
    )
    return protocol.render_rest_error(rest, InternalFailure(), request_id)
