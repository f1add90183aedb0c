"""``ServiceError`` into the Query ``ErrorResponse`` document.

Identical for IAM and STS but for the namespace::

    <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>...</Message></Error>
      <RequestId>...</RequestId>
    </ErrorResponse>

``Type`` is ``Sender`` for the client's faults and ``Receiver`` for ours. botocore maps
``Code`` to the modelled exception class, so it must be the modelled code.
"""

from __future__ import annotations

from iamd.errors import ServiceError
from iamd.protocol.models import Service, resolve_service
from iamd.protocol.xml_serializer import CONTENT_TYPE, escape_text

__all__ = ["render_error"]


def render_error(
    service: Service | str, error: ServiceError, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(HTTP status, headers, body) of the ErrorResponse for ``error``."""
    namespace = resolve_service(service).namespace
    fault = "Sender" if error.sender_fault else "Receiver"
    body = "".join(
        (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>{fault}</Type>',
            f"<Code>{escape_text(error.code)}</Code>",
            f"<Message>{escape_text(error.message)}</Message></Error>",
            f"<RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>",
        )
    ).encode("utf-8")
    headers = [("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", request_id)]
    return error.http_status, headers, body
