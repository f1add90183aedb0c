"""The audit trail's ConsoleLogin events, as CloudTrail records AWS sign-ins.

eventSource ``signin.amazonaws.com``, eventName ``ConsoleLogin``; responseElements
``{"ConsoleLogin": "Success"}`` or ``"Failure"``; additionalEventData ``LoginTo``,
``MobileVersion`` and ``MFAUsed`` (``Yes`` for the MFA step, whether its code was right
or not). No password and no code is ever in a record. Every attempt that names an account
the store has is recorded in that account, with the identity CloudTrail's sign-in records
show:

- a success: the user (type, principalId, arn, accountId, userName) or the root (with an
  empty accessKeyId);
- a wrong password or MFA code of a user: errorMessage ``Failed authentication``, the user
  without an ARN and with an empty accessKeyId; the root's: its whole identity;
- a user name the account does not have: errorMessage ``No username found in supplied
  account`` and userName ``HIDDEN_DUE_TO_SECURITY_REASONS`` (nothing else of the user):
  what was typed may be a password typed in the wrong box, so it is in no record and in
  no lookup column (LookupEvents by Username finds the placeholder);
- an attempt refused unseen after repeated failures (``retry_after``) is recorded as the
  failure it stands for, named as above: a trail shows an attacker's every try, for the
  price of one queued event (the refusal reads the account and the user by index; it
  hashes nothing).

An attempt naming an account the store does not have is not recorded: a trail belongs to
an account, and there is none to put it in. Recording it in some other account (the
server's first, or every account's) would hand that account's trail whatever strangers
type, the text of a mistyped password included, and let anyone fill it.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request

from iamd.audit.event import Facts
from iamd.audit.redact import HIDDEN
from iamd.console.client import peer_of
from iamd.console.web import Visit
from iamd.iam.sign_in import User
from iamd.model.arn import root_arn
from iamd.model.caller import Caller, CallerKind

FAILED = "Failed authentication"
NO_SUCH_USER = "No username found in supplied account"


def _caller(account_id: str, user: User | None, root: bool, success: bool) -> Caller:
    """The identity CloudTrail shows for the attempt (see the module's docstring)."""
    if root:
        return Caller(
            CallerKind.ROOT, account_id, root_arn(account_id), account_id, access_key_id=""
        )
    if user is None:  # the account has no such user: nothing of what was typed
        return Caller(CallerKind.USER, account_id, "", "", access_key_id="", name=HIDDEN)
    if success:
        return Caller(
            CallerKind.USER,
            account_id,
            user.arn,
            user.user_id,
            name=user.name,
            entity_id=user.user_id,
        )
    return Caller(CallerKind.USER, account_id, "", user.user_id, access_key_id="", name=user.name)


def record(
    visit: Visit,
    *,
    success: bool,
    account_id: str | None,
    user: User | None,
    root: bool,
    mfa_used: bool,
) -> None:
    """Queue the ConsoleLogin event of one attempt on ``account_id`` (None: an account the
    store does not have, not recorded). ``user`` None with ``root`` False: a user name the
    account does not have."""
    recorder = visit.console.runtime.recorder
    if recorder is None or account_id is None:
        return
    request: Request = visit.request
    peer = peer_of(request)
    known = root or user is not None
    message = None if success else FAILED if known else NO_SUCH_USER
    recorder.submit(
        Facts(
            request_id=str(uuid.uuid4()),
            time=visit.console.now(),
            service="signin",
            action="ConsoleLogin",
            source_ip=peer.source_ip,
            user_agent=peer.user_agent,
            caller=_caller(account_id, user, root, success),
            result={"ConsoleLogin": "Success" if success else "Failure"},
            error_message=message,
            read_only=False,
            with_response=True,
            additional={
                "LoginTo": str(request.base_url) + "console",
                "MobileVersion": "No",
                "MFAUsed": "Yes" if mfa_used else "No",
            },
        )
    )
