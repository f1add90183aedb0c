"""Switch role and the federation endpoint in a real browser: the header changes, the
role's permissions apply (and its refusals are AWS's), back to the signed-in identity,
and boto3-made role credentials become a console session through /federation."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from .browser import allow, make_user, screenshot, sign_in
from .conftest import Credentials, IamdServer


def _trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def test_switching_to_a_role_changes_who_you_are(page: Any, iam: Any, account: Credentials) -> None:
    acct = account.account_id
    make_user(iam, "dev", allow("iam:GetAccountSummary"))
    iam.create_role(
        RoleName="Reader", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{acct}:user/dev")
    )
    iam.put_role_policy(
        RoleName="Reader", PolicyName="read", PolicyDocument=allow("sts:GetCallerIdentity")
    )
    sign_in(page, acct, "dev")
    page.wait_for_url("**/console")
    page.goto(f"/console/switchrole?account={acct}&roleName=Reader&displayName=Reading")
    screenshot(page, "switch-role")
    page.get_by_label("Green").check()
    page.get_by_role("button", name="Switch role").click()
    page.wait_for_url("**/console")
    assert page.locator("#identity-arn").inner_text() == (
        f"arn:aws:sts::{acct}:assumed-role/Reader/dev"
    )
    assert page.locator(".role-badge").inner_text() == "Reading"
    assert "colour-green" in (page.locator(".role-badge").get_attribute("class") or "")
    # the role may not read the account summary: the dashboard says so in AWS's words
    refusal = page.locator("[role=alert]").inner_text()
    assert refusal == (
        f"User: arn:aws:sts::{acct}:assumed-role/Reader/dev is not authorized to perform: "
        f"iam:GetAccountSummary on resource: * because no identity-based policy allows "
        f"the iam:GetAccountSummary action"
    ) or refusal.startswith(
        f"User: arn:aws:sts::{acct}:assumed-role/Reader/dev is not authorized to perform: "
        "iam:GetAccountSummary"
    )
    screenshot(page, "switched-role")

    page.get_by_text("Account menu").click()
    assert page.get_by_role("button", name="Reading").is_visible()  # the recent roles
    page.get_by_role("button", name=f"Back to arn:aws:iam::{acct}:user/dev").click()
    page.wait_for_url("**/console")
    assert page.locator("#identity-arn").inner_text() == f"arn:aws:iam::{acct}:user/dev"
    assert page.locator(".role-badge").count() == 0


def test_a_role_that_does_not_trust_you_is_refused(
    page: Any, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    make_user(iam, "eve", allow("iam:Get*"))
    iam.create_role(RoleName="Admin", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{acct}:root"))
    sign_in(page, acct, "eve")
    page.wait_for_url("**/console")
    page.goto("/console/switchrole")
    page.get_by_label("Account ID or alias").fill(acct)
    page.get_by_label("IAM role name").fill("Admin")
    page.get_by_role("button", name="Switch role").click()
    assert (
        page.locator("#error")
        .inner_text()
        .startswith(
            f"AccessDenied: User: arn:aws:iam::{acct}:user/eve is not authorized to perform: "
            f"sts:AssumeRole on resource: arn:aws:iam::{acct}:role/Admin"
        )
    )
    assert page.locator("#identity-arn").inner_text() == f"arn:aws:iam::{acct}:user/eve"


def _federation(server: IamdServer, **query: str) -> tuple[int, str]:
    url = f"{server.endpoint}/federation?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, refused.read().decode()


def test_the_federation_endpoint_signs_a_role_session_in(
    page: Any, iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    iam.create_user(UserName="broker")
    iam.create_role(
        RoleName="Broker", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{acct}:user/broker")
    )
    iam.put_role_policy(RoleName="Broker", PolicyName="p", PolicyDocument=allow("iam:Get*"))
    key = iam.create_access_key(UserName="broker")["AccessKey"]
    broker = Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=acct)
    made = iamd_server.client("sts", broker).assume_role(
        RoleArn=f"arn:aws:iam::{acct}:role/Broker", RoleSessionName="fed"
    )["Credentials"]
    session = json.dumps(
        {
            "sessionId": made["AccessKeyId"],
            "sessionKey": made["SecretAccessKey"],
            "sessionToken": made["SessionToken"],
        }
    )
    status, body = _federation(iamd_server, Action="getSigninToken", Session=session)
    assert status == 200, body
    token = json.loads(body)["SigninToken"]
    login = urllib.parse.urlencode(
        {
            "Action": "login",
            "Issuer": "https://broker.example.com",
            "Destination": "https://console.aws.amazon.com/",
            "SigninToken": token,
        }
    )
    page.goto(f"/federation?{login}")
    page.wait_for_url("**/console")
    assert page.locator("#identity-arn").inner_text() == (
        f"arn:aws:sts::{acct}:assumed-role/Broker/fed"
    )

    wrong = json.dumps({**json.loads(session), "sessionKey": "x" * 40})
    status, body = _federation(iamd_server, Action="getSigninToken", Session=wrong)
    assert status == 400 and "does not match" in body
    status, _ = _federation(iamd_server, Action="login", SigninToken=token[:-4] + "AAAA")
    assert status == 400
    status, body = _federation(
        iamd_server, Action="getSigninToken", Session=session, SessionDuration="60"
    )
    assert status == 400 and "SessionDuration" in body


@pytest.mark.parametrize("kind", ["long-term", "session-token"])
def test_the_federation_endpoint_refuses_other_credentials(
    iamd_server: IamdServer, account: Credentials, kind: str
) -> None:
    if kind == "long-term":
        key, secret, token = account.access_key_id, account.secret_access_key, ""
    else:
        made = iamd_server.client("sts", account).get_session_token()["Credentials"]
        key, secret, token = made["AccessKeyId"], made["SecretAccessKey"], made["SessionToken"]
    session = json.dumps({"sessionId": key, "sessionKey": secret, "sessionToken": token})
    status, _ = _federation(iamd_server, Action="getSigninToken", Session=session)
    assert status == 400
