"""GetSessionToken (spec 4.7): temporary credentials for an IAM user or the account root.

Long-term credentials only (session credentials: AccessDenied ``Cannot call
GetSessionToken with session credentials``); no policy controls it, so it is registered
unauthorized. 900 to 129,600 seconds, 43,200 by default; the root user's sessions last at
most an hour (longer requests are shortened, as AWS does). With ``SerialNumber`` and
``TokenCode`` the code is checked against the user's MFA device and the session carries
``aws:MultiFactorAuthPresent`` true; without them, IAM refuses the session's credentials
(InvalidClientTokenId, see ``Caller.may_call_iam``).
"""

from __future__ import annotations

from iamd.iam import mfa
from iamd.model.caller import CallerKind
from iamd.operations import OperationContext, Params, Result, operation
from iamd.sts.credentials import issue, refuse_session_credentials, times
from iamd.sts.sessions import epoch
from iamd.sts.tokens import SessionClaims, SessionKind

DEFAULT_DURATION = 43200
ROOT_MAX = 3600


@operation("sts", "GetSessionToken", authorize=False, readonly=False)
def get_session_token(ctx: OperationContext, params: Params) -> Result:
    caller = ctx.caller
    refuse_session_credentials(ctx, "GetSessionToken")
    duration = int(params.get("DurationSeconds") or DEFAULT_DURATION)
    mfa_at = None
    if params.get("SerialNumber") is not None or params.get("TokenCode") is not None:
        mfa.verify_code(ctx, caller, params.get("SerialNumber"), params.get("TokenCode"))
        mfa_at = epoch(ctx.now)
    if caller.kind is CallerKind.ROOT:
        kind, principal_id, duration = SessionKind.ROOT, caller.account_id, min(duration, ROOT_MAX)
    else:
        kind, principal_id = SessionKind.USER, caller.entity_id or caller.user_id
    issued, expires = times(ctx, duration)
    claims = SessionClaims(
        kind=kind,
        account_id=caller.account_id,
        principal_id=principal_id,
        principal_arn=caller.arn,
        name=caller.name or "",
        issued_at=issued,
        expires_at=expires,
        secret="",
        mfa_at=mfa_at,
    )
    return {"Credentials": issue(ctx, claims).as_output()}
