"""The console's policy pages in a real browser: the lists, a policy's page, and the
editor, whose findings are the engine's detailed reasons, shown as the person types
(and on submit without the script)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .browser import allow, make_user, screenshot, sign_in
from .conftest import Credentials, IamdServer

ADMIN = allow("iam:*")
GOOD = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    },
    indent=2,
)
# A principal in an identity policy, in the second statement (line 5 of this text)
BAD = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Principal": "*"}
  ]
}"""


@pytest.fixture
def browser_without_js(chromium: Any, iamd_server: IamdServer) -> Iterator[Any]:
    context = chromium.new_context(base_url=iamd_server.endpoint, java_script_enabled=False)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _admin(page: Any, iam: Any, account: Credentials, policy: str = ADMIN) -> None:
    make_user(iam, "admin", policy)
    sign_in(page, account.account_id, "admin")
    page.wait_for_url("**/console")


def test_the_lists_and_a_policys_page_show_what_boto3_created(
    page: Any, iam: Any, account: Credentials
) -> None:
    arn = iam.create_policy(PolicyName="reader", PolicyDocument=GOOD, Description="reads")[
        "Policy"
    ]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=GOOD, SetAsDefault=True)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    _admin(page, iam, account)

    page.goto("/console/policies")
    assert page.locator("#policies tbody th").all_inner_texts() == ["reader"]
    page.get_by_role("link", name="AWS managed").click()
    page.wait_for_url("**/console/policies?scope=AWS")
    assert "ReadOnlyAccess" in page.locator("#policies").inner_text()

    page.goto("/console/policies")
    page.get_by_role("link", name="reader").click()
    assert page.locator("#policy-arn").inner_text() == arn
    assert page.locator("#default-version").inner_text() == "v2"
    assert json.loads(page.locator("#document").inner_text()) == json.loads(GOOD)
    assert page.locator("#versions tbody th").all_inner_texts() == ["v2", "v1"]
    assert "readers" in page.locator("#entities").inner_text()
    screenshot(page, "policy")

    # attached: AWS's DeleteConflict, and both versions stay
    page.get_by_role("button", name="Delete policy reader").click()
    assert page.locator("#error").inner_text() == "Cannot delete a policy attached to entities."
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 2
    # detached: its other version goes first, then the policy
    iam.detach_group_policy(GroupName="readers", PolicyArn=arn)
    page.goto("/console/policies")
    page.get_by_role("link", name="reader").click()
    page.get_by_role("button", name="Delete policy reader").click()
    page.wait_for_url("**/console/policies?deleted=reader")
    assert "Policy reader deleted." in page.get_by_role("status").first.inner_text()
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_the_editor_shows_the_engines_reasons_as_you_type_and_saves_a_good_policy(
    page: Any, iam: Any, account: Credentials
) -> None:
    _admin(page, iam, account)
    page.goto("/console/policies/new")
    page.get_by_label("Policy name").fill("writer")
    editor = page.get_by_label("Policy document (JSON)")
    editor.fill(BAD)
    finding = page.locator("#findings li").first
    finding.wait_for()
    assert finding.inner_text() == (
        "Line 5, column 6: Policy document should not specify a principal."
    )
    assert page.locator("#findings-status").inner_text() == "1 problem found."
    screenshot(page, "policy-editor")

    editor.fill(BAD.replace("-17", "-1"))  # a Version that does not exist, too
    page.get_by_text("Policy document must be version 2012-10-17 or greater.").wait_for()
    texts = page.locator("#findings li").all_inner_texts()
    assert 'Syntax errors in policy. Invalid Version "2012-10-1".' in texts

    editor.fill('{"Version": "2012-10-17", "Statement": [}')
    page.get_by_text("Syntax errors in policy. Expecting value.").wait_for()
    assert page.locator("#findings li .where").inner_text() == "Line 1, column 41:"

    editor.fill(GOOD)
    page.get_by_text("No problems found").wait_for()
    page.get_by_role("button", name="Create policy").click()
    page.wait_for_url("**/console/policies/view?arn=**&done=created")
    arn = f"arn:aws:iam::{account.account_id}:policy/writer"
    assert page.locator("#policy-arn").inner_text() == arn
    stored = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert stored["Document"] == json.loads(GOOD)

    page.get_by_role("link", name="Edit: create a new version").click()
    page.get_by_label("Policy document (JSON)").fill(GOOD.replace("GetObject", "ListBucket"))
    page.get_by_role("button", name="Save new version").click()
    page.wait_for_url("**&done=version")
    assert page.locator("#default-version").inner_text() == "v2"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"


def test_without_the_script_the_server_shows_the_same_findings_and_stores_nothing(
    browser_without_js: Any, iam: Any, account: Credentials
) -> None:
    page = browser_without_js
    _admin(page, iam, account)
    page.goto("/console/policies/new")
    page.get_by_label("Policy name").fill("bad")
    page.get_by_label("Policy document (JSON)").fill(BAD)
    page.get_by_role("button", name="Create policy").click()
    assert page.locator("#findings li").all_inner_texts() == [
        "Line 5, column 6: Policy document should not specify a principal."
    ]
    assert page.get_by_label("Policy document (JSON)").input_value() == BAD
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_a_read_only_user_is_refused_creating_a_policy_with_awss_message(
    page: Any, iam: Any, account: Credentials
) -> None:
    _admin(page, iam, account, allow("iam:Get*", "iam:List*"))
    page.goto("/console/policies/new")
    page.get_by_label("Policy name").fill("sneaky")
    page.get_by_label("Policy document (JSON)").fill(GOOD)
    page.get_by_role("button", name="Create policy").click()
    assert page.locator("#error").inner_text() == (
        f"AccessDenied: User: arn:aws:iam::{account.account_id}:user/admin is not authorized "
        "to perform: iam:CreatePolicy on resource: "
        f"arn:aws:iam::{account.account_id}:policy/sneaky because no identity-based policy "
        "allows the iam:CreatePolicy action"
    )
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_the_validate_endpoint_answers_only_the_consoles_own_script(
    page: Any, iam: Any, account: Credentials
) -> None:
    _admin(page, iam, account)
    page.goto("/console/policies/new")
    csrf = page.locator("input[name=csrf]").first.input_value()
    url = "/console/policies/validate"
    body = json.dumps({"document": BAD})
    plain = {"Content-Type": "application/json"}
    assert page.request.post(url, data=body, headers=plain).status == 403
    forged = {**plain, "X-CSRF-Token": csrf, "Origin": "https://elsewhere.example"}
    assert page.request.post(url, data=body, headers=forged).status == 403
    too_big = json.dumps({"document": " " * 70_000})
    own = {**plain, "X-CSRF-Token": csrf}
    assert page.request.post(url, data=too_big, headers=own).status == 403
    answer = page.request.post(url, data=body, headers=own)
    assert answer.status == 200
    assert answer.json()["findings"] == [
        {"message": "Policy document should not specify a principal.", "line": 5, "column": 6}
    ]
