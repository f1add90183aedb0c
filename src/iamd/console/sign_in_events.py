"""The audit trail's ConsoleLogin events, as CloudTrail records AWS sign-ins.

eventSource ``signin.amazonaws.com``, eventName ``ConsoleLogin``; responseElements
``{"ConsoleLogin": "Success"}`` or ``"Failure"`` with errorMessage ``Failed
authentication``; additionalEventData ``LoginTo``, ``MobileVersion`` and ``MFAUsed``. A
failure is recorded in the account it named, under the user it named when that user
exists (no password, no code is ever in the record); an attempt naming no known account
has no account to be recorded in.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request

from iamd.audit.event import Facts
from iamd.console.client import peer_of
from iamd.console.web import Visit
from iamd.iam.sign_in import User
from iamd.model.arn import root_arn
from iamd.model.caller import Caller, CallerKind


def _caller(account_id: str, user: User | None) -> Caller:
    if user is None:
        return Caller(CallerKind.ROOT, account_id, root_arn(account_id), account_id)
    return Caller(
        CallerKind.USER, account_id, user.arn, user.user_id, name=user.name, entity_id=user.user_id
    )


def record(
    visit: Visit,
    *,
    success: bool,
    account_id: str | None,
    user: User | None,
    mfa_used: bool,
) -> None:
    recorder = visit.console.runtime.recorder
    if recorder is None or account_id is None:
        return
    request: Request = visit.request
    peer = peer_of(request)
    recorder.submit(
        Facts(
            request_id=str(uuid.uuid4()),
            time=visit.console.now(),
            service="signin",
            action="ConsoleLogin",
            source_ip=peer.source_ip,
            user_agent=peer.user_agent,
            caller=_caller(account_id, user),
            result={"ConsoleLogin": "Success" if success else "Failure"},
            error_message=None if success else "Failed authentication",
            read_only=False,
            with_response=True,
            additional={
                "LoginTo": str(request.base_url) + "console",
                "MobileVersion": "No",
                "MFAUsed": "Yes" if mfa_used else "No",
            },
        )
    )
