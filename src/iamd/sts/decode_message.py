"""DecodeAuthorizationMessage (spec 4.9): read an encoded authorization failure message.

Authorized as ``sts:DecodeAuthorizationMessage`` on ``*`` (the server does it before the
handler runs). A message opens only for principals of the account it was sealed for;
anything else (altered, truncated, another account's, line breaks) is
InvalidAuthorizationMessageException.
"""

from __future__ import annotations

from iamd.errors import InvalidAuthorizationMessageException
from iamd.operations import OperationContext, Params, Result, operation
from iamd.sts import authorization_message
from iamd.sts.credentials import ring

INVALID = "The encoded authorization message is invalid."


@operation("sts", "DecodeAuthorizationMessage", readonly=True)
def decode_authorization_message(ctx: OperationContext, params: Params) -> Result:
    encoded: str = params["EncodedMessage"]
    if "\n" in encoded or "\r" in encoded:
        raise InvalidAuthorizationMessageException(INVALID)
    try:
        decoded = authorization_message.decode(ring(ctx), ctx.db, ctx.account_id, encoded)
    except authorization_message.InvalidMessage:
        raise InvalidAuthorizationMessageException(INVALID) from None
    return {"DecodedMessage": decoded}
