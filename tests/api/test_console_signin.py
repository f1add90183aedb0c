"""Signing in to the console in a real browser: IAM users with MFA, the root user, a
required password change, slowed failures, sign-out, and the cookie's protections."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from .browser import PASSWORD, add_mfa, allow, make_user, screenshot, sign_in, totp
from .conftest import Credentials, IamdServer


def test_a_user_with_mfa_signs_in_and_out(
    page: Any, iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    make_user(iam, "ann", allow("iam:Get*", "iam:List*"))
    seed = add_mfa(iam, "ann")
    page.goto("/console/signin")
    screenshot(page, "signin")
    sign_in(page, account.account_id, "ann")
    page.wait_for_url("**/console/signin/mfa**")
    screenshot(page, "signin-mfa")
    page.get_by_label("MFA code").fill(totp(seed, 1))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/console")
    arn = f"arn:aws:iam::{account.account_id}:user/ann"
    assert page.locator("#identity-arn").inner_text() == arn
    assert page.locator("#caller-arn").inner_text() == arn
    screenshot(page, "dashboard")

    cookie = next(c for c in page.context.cookies() if c["name"] == "iamd-console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "ASIA" not in cookie["value"] and PASSWORD not in cookie["value"]

    page.get_by_text("Account menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/signin?signed_out=1")
    assert not [c for c in page.context.cookies() if c["name"] == "iamd-console"]
    page.goto("/console")
    assert "/console/signin?next=%2Fconsole" in page.url


def test_a_wrong_code_or_password_is_refused_and_failures_are_slowed(
    page: Any, iam: Any, account: Credentials
) -> None:
    make_user(iam, "bob", allow("iam:Get*"))
    seed = add_mfa(iam, "bob")
    sign_in(page, account.account_id, "bob")
    page.get_by_label("MFA code").fill("000000" if totp(seed) != "000000" else "111111")
    page.get_by_role("button", name="Submit").click()
    assert "The MFA code you entered is not valid" in page.locator("#error").inner_text()

    # Six failures in a row (the wrong code was the first): from the third on, each next
    # attempt must wait twice as long (1, 2, 4 s), and one made sooner is refused unseen.
    failures = 1
    while failures < 6:
        sign_in(page, account.account_id, "bob", "not-the-password")
        said = page.locator("#error").inner_text()
        if said.startswith("Too many failed sign-in attempts. Wait "):
            time.sleep(int(said.split("Wait ")[1].split()[0]) + 0.2)
            continue
        assert said == "Your authentication information is incorrect. Please try again."
        failures += 1
    sign_in(page, account.account_id, "bob")  # the right password, within the next 8 s
    assert page.locator("#error").inner_text().startswith("Too many failed sign-in attempts.")
    # an unknown user gets the same words as a wrong password
    sign_in(page, account.account_id, "nobody")
    assert page.locator("#error").inner_text() == (
        "Your authentication information is incorrect. Please try again."
    )


def test_the_root_user_signs_in_with_the_password_iamd_account_set(
    page: Any, iamd_server: IamdServer, account: Credentials
) -> None:
    iamd_server.set_root_password(str(account.account_id), "R00t-password-long")
    sign_in(page, account.account_id, None, "R00t-password-long")
    page.wait_for_url("**/console")
    assert page.locator("#identity-arn").inner_text() == f"arn:aws:iam::{account.account_id}:root"


def test_a_required_password_reset_comes_first(page: Any, iam: Any, account: Credentials) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=12, AllowUsersToChangePassword=True)
    make_user(iam, "cat", allow("iam:Get*"), reset=True)
    sign_in(page, account.account_id, "cat")
    page.wait_for_url("**/console/signin/password**")
    page.goto("/console")  # no way around it
    assert "/console/signin/password" in page.url
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Retype new password").fill("short")
    page.get_by_role("button", name="Confirm password change").click()
    assert "PasswordPolicyViolation" in page.locator("#error").inner_text()
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("A-much-longer-one-1")
    page.get_by_label("Retype new password").fill("A-much-longer-one-1")
    page.get_by_role("button", name="Confirm password change").click()
    page.wait_for_url("**/console")
    assert iam.get_login_profile(UserName="cat")["LoginProfile"]["PasswordResetRequired"] is False


def test_forms_without_the_csrf_secret_are_refused(iamd_server: IamdServer) -> None:
    body = b"kind=user&account=123456789012&user_name=a&password=b"
    request = urllib.request.Request(f"{iamd_server.endpoint}/console/signin", data=body)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 403
    headers = refused.value.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_a_browser_opening_the_endpoint_lands_on_the_console(iamd_server: IamdServer) -> None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"{iamd_server.endpoint}/", headers={"Accept": "text/html"})
    with pytest.raises(urllib.error.HTTPError) as moved:
        opener.open(request, timeout=10)
    moved.value.close()
    assert moved.value.code == 302 and moved.value.headers["Location"] == "/console"


def _console_logins(iamd_server: IamdServer, account: Credentials) -> list[dict[str, Any]]:
    trail = iamd_server.client("cloudtrail", account)
    deadline = time.monotonic() + 10
    while True:
        events = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}]
        )["Events"]
        if len(events) >= 2 or time.monotonic() > deadline:
            return [json.loads(e["CloudTrailEvent"]) for e in events]
        time.sleep(0.2)


def test_sign_ins_are_in_the_audit_trail_and_console_calls_too(
    page: Any, iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    make_user(iam, "dora", allow("iam:Get*"))
    seed = add_mfa(iam, "dora")
    sign_in(page, account.account_id, "dora", "wrong-password")
    sign_in(page, account.account_id, "dora")
    page.get_by_label("MFA code").fill(totp(seed, 1))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/console")
    records = _console_logins(iamd_server, account)
    by_outcome = {r["responseElements"]["ConsoleLogin"]: r for r in records}
    failure, success = by_outcome["Failure"], by_outcome["Success"]
    for record in (failure, success):
        assert record["eventSource"] == "signin.amazonaws.com"
        assert record["userIdentity"]["userName"] == "dora"
        assert PASSWORD not in json.dumps(record) and "wrong-password" not in json.dumps(record)
    # as CloudTrail records them: a failure has no ARN (tests/api/test_console_signin_trail.py)
    assert success["userIdentity"]["arn"] == f"arn:aws:iam::{account.account_id}:user/dora"
    assert "arn" not in failure["userIdentity"]
    assert failure["responseElements"] == {"ConsoleLogin": "Failure"}
    assert failure["errorMessage"] == "Failed authentication"
    assert success["responseElements"] == {"ConsoleLogin": "Success"}
    assert success["additionalEventData"]["MFAUsed"] == "Yes"
    assert {r["eventType"] for r in (success, failure)} == {"AwsConsoleSignIn"}
    assert "requestID" not in success and "requestID" not in failure
    # the dashboard's own call, made with dora's console session
    trail = iamd_server.client("cloudtrail", account)
    deadline = time.monotonic() + 10
    while True:
        found = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetAccountSummary"}]
        )["Events"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    record = json.loads(found[0]["CloudTrailEvent"])
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{account.account_id}:user/dora"
    assert "HeadlessChrome" in record["userAgent"] or "Chrome" in record["userAgent"]
