"""Every console sign-in attempt on an account is a ConsoleLogin event in its trail, as
CloudTrail records AWS's: a wrong password (user or root), a wrong MFA code, a user name
the account does not have (hidden: it is in no record and no lookup column), and an
attempt refused unseen after repeated failures. An account that does not exist has no
trail: its attempts are refused cleanly and recorded nowhere.

The forms are posted over plain HTTP, as the sign-in page posts them (the CSRF secret in
the form and in the ``iamd-csrf`` cookie); events are read back with LookupEvents.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from .browser import PASSWORD, add_mfa, make_user, totp
from .conftest import Credentials, IamdServer

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
FAILED = "Failed authentication"
NO_SUCH_USER = "No username found in supplied account"
WRONG = "Your authentication information is incorrect. Please try again."
TOO_MANY = "Too many failed sign-in attempts."
MAX_TRIES = 12  # failures double the wait from the 4th on: a refusal comes long before


@dataclass
class Answer:
    status: int
    headers: Any
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _send(
    server: IamdServer, path: str, fields: dict[str, str] | None = None, cookie: str = ""
) -> Answer:
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    request = urllib.request.Request(f"{server.endpoint}{path}", data=data)
    if cookie:
        request.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            return Answer(answer.status, answer.headers, answer.read().decode())
    except urllib.error.HTTPError as refused:
        with refused:
            return Answer(refused.code, refused.headers, refused.read().decode())


def _sign_in(server: IamdServer, account: str, user: str | None, password: str) -> Answer:
    """The sign-in form, posted with a CSRF double submit (``user`` None: the root)."""
    csrf = secrets.token_urlsafe(16)
    fields = {"csrf": csrf, "account": account, "password": password}
    fields.update({"kind": "root"} if user is None else {"kind": "user", "user_name": user})
    return _send(server, "/console/signin", fields, cookie=f"iamd-csrf={csrf}")


def _error(answer: Answer) -> str:
    found = re.search(r'id="error"[^>]*>([^<]*)<', answer.body)
    return found.group(1).strip() if found else ""


def _until_refused(attempt: Callable[[], Answer]) -> int:
    """Failed attempts until one is refused unseen (429); how many were made in all."""
    for made in range(1, MAX_TRIES + 1):
        answer = attempt()
        assert answer.status in (401, 429), answer.status
        if answer.status == 429:
            assert _error(answer).startswith(TOO_MANY)
            return made
        assert _error(answer) in (WRONG, "The MFA code you entered is not valid. Please try again.")
    raise AssertionError(f"no attempt was refused in {MAX_TRIES}")


def _logins(
    server: IamdServer, account: Credentials, count: int, username: str | None = None
) -> list[dict[str, Any]]:
    """The account's ConsoleLogin events (by ``username`` if given), once ``count`` of
    them are stored (they are queued), as LookupEvents returns them."""
    trail = server.client("cloudtrail", account)
    attribute = ("Username", username) if username is not None else ("EventName", "ConsoleLogin")
    deadline = time.monotonic() + 15
    while True:
        found = [
            event
            for page in trail.get_paginator("lookup_events").paginate(
                LookupAttributes=[{"AttributeKey": attribute[0], "AttributeValue": attribute[1]}]
            )
            for event in page["Events"]
            if event["EventName"] == "ConsoleLogin"
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _all_events(server: IamdServer, account: Credentials) -> list[dict[str, Any]]:
    trail = server.client("cloudtrail", account)
    return [e for page in trail.get_paginator("lookup_events").paginate() for e in page["Events"]]


def _additional(server: IamdServer, mfa: str = "No") -> dict[str, str]:
    return {"LoginTo": f"{server.endpoint}/console", "MobileVersion": "No", "MFAUsed": mfa}


def _assert_failure(record: dict[str, Any], account_id: str, message: str) -> None:
    assert record["eventSource"] == "signin.amazonaws.com"
    assert record["eventName"] == "ConsoleLogin"
    assert record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["errorMessage"] == message and "errorCode" not in record
    assert record["requestParameters"] is None
    assert record["responseElements"] == {"ConsoleLogin": "Failure"}
    assert record["readOnly"] is False
    assert record["recipientAccountId"] == account_id
    assert record["eventType"] == "AwsConsoleSignIn" and "requestID" not in record


def test_an_unknown_user_name_is_recorded_in_its_account_and_hidden_everywhere(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    make_user(iam, "erin")
    typed = f"Tr0ub4dor-{secrets.token_hex(6)}"  # a password typed in the user name box
    answer = _sign_in(iamd_server, str(account.account_id), typed, "anything")
    assert (answer.status, _error(answer)) == (401, WRONG)

    (event,) = _logins(iamd_server, account, 1)
    record = json.loads(event["CloudTrailEvent"])
    assert record["userIdentity"] == {
        "type": "IAMUser",
        "accountId": account.account_id,
        "accessKeyId": "",
        "userName": HIDDEN,
    }
    _assert_failure(record, str(account.account_id), NO_SUCH_USER)
    assert record["additionalEventData"] == _additional(iamd_server)
    assert event["Username"] == HIDDEN and event["Resources"] == []

    trail = iamd_server.client("cloudtrail", account)
    for name in (typed, typed.lower()):
        found = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": name}]
        )["Events"]
        assert found == []
    assert [e["EventId"] for e in _logins(iamd_server, account, 1, HIDDEN)] == [event["EventId"]]
    everything = json.dumps(_all_events(iamd_server, account), default=str).lower()
    assert typed.lower() not in everything
    assert typed.lower() not in iamd_server.audit_log_path.read_text().lower()
    assert typed.lower() not in iamd_server.log_path.read_text(errors="replace").lower()


def test_wrong_passwords_of_a_user_and_of_the_root_are_recorded_as_aws_records_them(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    account_id = str(account.account_id)
    make_user(iam, "gus")
    user_id = iam.get_user(UserName="gus")["User"]["UserId"]
    iamd_server.set_root_password(account_id, "R00t-password-long")
    assert _sign_in(iamd_server, account_id, "gus", "not-it").status == 401
    assert _sign_in(iamd_server, account_id, None, "not-it-either").status == 401
    assert _sign_in(iamd_server, account_id, None, "R00t-password-long").status == 303

    events = _logins(iamd_server, account, 3)
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    (user_failure,) = [r for r in records if r["userIdentity"]["type"] == "IAMUser"]
    assert user_failure["userIdentity"] == {
        "type": "IAMUser",
        "principalId": user_id,
        "accountId": account_id,
        "accessKeyId": "",
        "userName": "gus",
    }
    _assert_failure(user_failure, account_id, FAILED)
    assert user_failure["additionalEventData"] == _additional(iamd_server)

    root_identity = {
        "type": "Root",
        "principalId": account_id,
        "arn": f"arn:aws:iam::{account_id}:root",
        "accountId": account_id,
        "accessKeyId": "",
    }
    roots = [r for r in records if r["userIdentity"]["type"] == "Root"]
    assert [r["userIdentity"] for r in roots] == [root_identity, root_identity]
    by_outcome = {r["responseElements"]["ConsoleLogin"]: r for r in roots}
    _assert_failure(by_outcome["Failure"], account_id, FAILED)
    assert by_outcome["Failure"]["additionalEventData"] == _additional(iamd_server)
    assert "errorMessage" not in by_outcome["Success"]
    assert {e["Username"] for e in events} == {"gus", "root"}
    stored = json.dumps(records)
    assert "not-it" not in stored and "R00t-password-long" not in stored


@pytest.mark.parametrize("who", ["user", "unknown user", "root"])
def test_attempts_refused_unseen_are_recorded_as_failures(
    iamd_server: IamdServer, iam: Any, account: Credentials, who: str
) -> None:
    account_id = str(account.account_id)
    make_user(iam, "hal")
    name = {"user": "hal", "unknown user": f"nobody-{secrets.token_hex(4)}", "root": None}[who]
    made = _until_refused(partial(_sign_in, iamd_server, account_id, name, "wrong"))
    # the right password (of hal; no password is right for the others), refused unseen
    # while the wait lasts, is a failure too
    last = _sign_in(iamd_server, account_id, name, PASSWORD)
    made += 1

    username = {"user": "hal", "unknown user": HIDDEN, "root": "root"}[who]
    events = _logins(iamd_server, account, made, username)
    assert len(events) == made  # one event per attempt, the refused ones included
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    failures = [r for r in records if r["responseElements"]["ConsoleLogin"] == "Failure"]
    assert len(failures) == made - (last.status == 303)
    message = NO_SUCH_USER if who == "unknown user" else FAILED
    for record in failures:
        _assert_failure(record, account_id, message)
        assert record["additionalEventData"] == _additional(iamd_server)
    assert len({json.dumps(r["userIdentity"]) for r in failures}) == 1
    if who == "unknown user":
        assert str(name) not in json.dumps(_all_events(iamd_server, account), default=str)


def _wrong_code(seed: bytes) -> str:
    valid = {totp(seed, step) for step in (-2, -1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def test_wrong_mfa_codes_are_recorded_with_mfa_used_the_refused_ones_too(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    account_id = str(account.account_id)
    make_user(iam, "ivy")
    user_id = iam.get_user(UserName="ivy")["User"]["UserId"]
    seed = add_mfa(iam, "ivy")
    password_step = _sign_in(iamd_server, account_id, "ivy", PASSWORD)
    assert password_step.status == 303
    assert password_step.headers["Location"].startswith("/console/signin/mfa")
    cookie = password_step.headers["Set-Cookie"].split(";")[0]
    form = _send(iamd_server, "/console/signin/mfa", cookie=cookie)
    found = re.search(r'name="csrf" value="([^"]+)"', form.body)
    assert form.status == 200 and found is not None
    code = _wrong_code(seed)

    fields = {"csrf": found.group(1), "code": code}
    made = _until_refused(partial(_send, iamd_server, "/console/signin/mfa", fields, cookie))

    events = _logins(iamd_server, account, made, "ivy")
    assert len(events) == made  # the right password alone is not an event: its code is
    for event in events:
        record = json.loads(event["CloudTrailEvent"])
        assert record["userIdentity"] == {
            "type": "IAMUser",
            "principalId": user_id,
            "accountId": account_id,
            "accessKeyId": "",
            "userName": "ivy",
        }
        _assert_failure(record, account_id, FAILED)
        assert record["additionalEventData"] == _additional(iamd_server, mfa="Yes")
        assert code not in json.dumps(record) and PASSWORD not in json.dumps(record)


def test_an_account_that_does_not_exist_is_refused_cleanly_and_recorded_nowhere(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    typed = f"Pa55-{secrets.token_hex(6)}"
    for reference in ("999999999990", f"no-such-alias-{secrets.token_hex(4)}"):
        _until_refused(partial(_sign_in, iamd_server, reference, typed, "wrong"))
        _until_refused(partial(_sign_in, iamd_server, reference, None, "wrong"))
    # an event queued after theirs: once it is stored, anything queued before it is too
    make_user(iam, "jo")
    assert _sign_in(iamd_server, str(account.account_id), "jo", "wrong").status == 401
    assert len(_logins(iamd_server, account, 1, "jo")) == 1
    trail = [json.loads(line) for line in iamd_server.audit_log_path.read_text().splitlines()]
    assert not [
        r for r in trail if r["eventName"] == "ConsoleLogin" and not r["recipientAccountId"]
    ]
    assert not [r for r in trail if typed in json.dumps(r)]
