"""The console's users and groups pages in a real browser: lists show what boto3 made,
forms create and delete through the API's operations, and a read-only person is refused
with AWS's words and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .browser import PASSWORD, allow, make_user, screenshot, sign_in
from .conftest import Credentials

ADMIN = allow("iam:*")
READ_ONLY = allow("iam:Get*", "iam:List*")


def _signed_in(page: Any, iam: Any, account: Credentials, name: str, policy: str) -> None:
    make_user(iam, name, policy)
    sign_in(page, account.account_id, name)
    page.wait_for_url("**/console")


def test_the_users_page_lists_and_filters_what_boto3_created(
    page: Any, iam: Any, account: Credentials
) -> None:
    for name in ("alice", "alina", "bruno"):
        iam.create_user(UserName=name, Path="/team/")
    iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_group(GroupName="devs")
    iam.create_group(GroupName="qa")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    _signed_in(page, iam, account, "admin", ADMIN)

    page.goto("/console/users")
    names = page.locator("#users tbody th").all_inner_texts()
    assert names == ["admin", "alice", "alina", "bruno"]
    page.get_by_label("Find users by name").fill("ALI")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/console/users?q=ALI")
    assert page.locator("#users tbody th").all_inner_texts() == ["alice", "alina"]
    screenshot(page, "users")

    page.get_by_role("link", name="alice", exact=True).click()
    assert page.locator("#user-arn").inner_text() == (
        f"arn:aws:iam::{account.account_id}:user/team/alice"
    )
    assert page.locator("#user-groups").inner_text() == "devs"
    assert key["AccessKeyId"] in page.locator("#access-keys").inner_text()
    assert key["SecretAccessKey"] not in page.content()
    assert page.locator("#login-profile").inner_text() == "Not enabled"
    assert "team" in page.locator("#user-tags").inner_text()
    screenshot(page, "user")

    # the groups alice is not in yet are offered
    assert page.locator("#group option").all_inner_texts() == ["qa"]
    page.get_by_role("button", name="Add to group").click()
    page.wait_for_url("**/console/users/alice?added=1")
    assert page.locator("#user-groups li").all_inner_texts() == ["devs", "qa"]
    groups = iam.list_groups_for_user(UserName="alice")["Groups"]
    assert sorted(g["GroupName"] for g in groups) == ["devs", "qa"]


def test_a_user_created_in_the_form_has_a_password_and_groups(
    page: Any, iam: Any, account: Credentials
) -> None:
    iam.create_group(GroupName="ops")
    _signed_in(page, iam, account, "admin", ADMIN)
    page.goto("/console/users/new")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Give the user a console password").check()
    page.get_by_label("Console password", exact=True).fill(PASSWORD)
    page.get_by_label("ops").check()
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url("**/console/users/carol?created=1")
    assert "User carol created." in page.get_by_role("status").first.inner_text()

    assert iam.get_user(UserName="carol")["User"]["UserName"] == "carol"
    profile = iam.get_login_profile(UserName="carol")["LoginProfile"]
    assert profile["PasswordResetRequired"] is True
    groups = iam.list_groups_for_user(UserName="carol")["Groups"]
    assert [g["GroupName"] for g in groups] == ["ops"]

    # the same name again: AWS's EntityAlreadyExists on the form, which keeps its values
    page.goto("/console/users/new")
    page.get_by_label("User name").fill("carol")
    page.get_by_role("button", name="Create user").click()
    assert page.locator("#error").inner_text() == (
        "EntityAlreadyExists: User with name carol already exists."
    )
    assert page.get_by_label("User name").input_value() == "carol"

    # a password the account's policy refuses: the user is made, and the page says so
    iam.update_account_password_policy(MinimumPasswordLength=40)
    page.goto("/console/users/new")
    page.get_by_label("User name").fill("dan")
    page.get_by_label("Give the user a console password").check()
    page.get_by_label("Console password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    assert (
        page.locator("#error")
        .inner_text()
        .startswith("User dan was created, but PasswordPolicyViolation: ")
    )
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="dan")

    page.goto("/console/users/carol")
    page.get_by_role("button", name="Delete user carol").click()
    page.wait_for_url("**/console/users?deleted=carol")
    assert "carol" not in page.locator("#users").inner_text()
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="carol")


def test_groups_are_created_filled_emptied_and_deleted_in_the_console(
    page: Any, iam: Any, account: Credentials
) -> None:
    iam.create_user(UserName="dave")
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    _signed_in(page, iam, account, "admin", ADMIN)
    page.goto("/console/groups")
    assert page.locator("#groups tbody th").all_inner_texts() == ["readers"]
    page.goto("/console/groups/readers")
    assert "ReadOnlyAccess" in page.locator("#group-policies").inner_text()

    page.goto("/console/groups")
    page.get_by_label("Group name").fill("writers")
    page.get_by_role("button", name="Create group").click()
    page.wait_for_url("**/console/groups/writers?done=created")
    page.get_by_label("Add user").select_option("dave")
    page.get_by_role("button", name="Add user").click()
    page.wait_for_url("**/console/groups/writers?done=added")
    assert page.locator("#members tbody th").all_inner_texts() == ["dave"]
    users = iam.get_group(GroupName="writers")["Users"]
    assert [u["UserName"] for u in users] == ["dave"]
    screenshot(page, "group")

    page.get_by_role("button", name="Remove dave").click()
    page.wait_for_url("**/console/groups/writers?done=removed")
    assert iam.get_group(GroupName="writers")["Users"] == []

    page.goto("/console/groups/readers")
    page.get_by_role("button", name="Delete group readers").click()
    page.wait_for_url("**/console/groups?deleted=readers")
    names = [g["GroupName"] for g in iam.list_groups()["Groups"]]
    assert names == ["writers"]


def test_a_read_only_user_sees_the_pages_and_is_refused_writes(
    page: Any, iam: Any, account: Credentials
) -> None:
    iam.create_user(UserName="erin")
    iam.create_group(GroupName="team")
    _signed_in(page, iam, account, "reader", READ_ONLY)
    arn = f"arn:aws:iam::{account.account_id}:user/reader"

    page.goto("/console/users/new")
    page.get_by_label("User name").fill("mallory")
    page.get_by_role("button", name="Create user").click()
    assert page.locator("#error").inner_text() == (
        f"AccessDenied: User: {arn} is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{account.account_id}:user/mallory because no identity-based policy "
        "allows the iam:CreateUser action"
    )

    page.goto("/console/users/erin")
    page.get_by_role("button", name="Delete user erin").click()
    expect(page.locator("h1")).to_have_text("AccessDenied")
    assert "is not authorized to perform: iam:DeleteUser" in page.locator("#error").inner_text()

    page.goto("/console/groups/team")
    page.get_by_role("button", name="Add user").click()
    assert "iam:AddUserToGroup" in page.locator("#error").inner_text()

    names = sorted(u["UserName"] for u in iam.list_users()["Users"])
    assert names == ["erin", "reader"]
    assert iam.get_group(GroupName="team")["Users"] == []


FORMS = [
    ("/console/users", "name=forged"),
    ("/console/users/erin/groups", "group=team"),
    ("/console/users/erin/delete", ""),
    ("/console/groups", "name=forged"),
    ("/console/groups/team/members", "user=erin"),
    ("/console/groups/team/members/remove", "user=erin"),
    ("/console/groups/team/delete", ""),
    ("/console/policies", "name=forged&document=%7B%7D"),
    ("/console/policies/version", "arn=x&document=%7B%7D"),
    ("/console/policies/delete", "arn=x"),
    ("/console/providers/oidc", "url=https%3A%2F%2Fforged.example&audience=a"),
    ("/console/providers/saml", "name=forged&metadata=x"),
    ("/console/providers/delete", "arn=x"),
    ("/console/simulator", "source=custom&actions=s3%3AGetObject"),
]


def test_every_form_of_these_pages_is_refused_without_its_csrf_secret(
    page: Any, iam: Any, account: Credentials
) -> None:
    iam.create_user(UserName="erin")
    iam.create_group(GroupName="team")
    _signed_in(page, iam, account, "admin", ADMIN)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for path, body in FORMS:
        answer = page.request.post(path, data=body + "&csrf=wrong", headers=form)
        assert answer.status == 403, path
        assert "The form has expired" in answer.text(), path
        forged = page.request.post(
            path, data=body, headers={**form, "Origin": "https://evil.example"}
        )
        assert forged.status == 403, path
    assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == ["admin", "erin"]
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["team"]
    assert iam.get_group(GroupName="team")["Users"] == []
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
