"""Login profiles, the account password policy and ChangePassword, through boto3 and the
AWS CLI; the password never appears in a response or in the server's log."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .sts_support import user

GOOD = "Corr3ct-Horse!"


def _error(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as error:
        call()
    got = error.value.response
    return got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"], got["Error"]["Message"]


def test_login_profile_lifecycle(iamd_server: IamdServer, iam: Any, aws: Any) -> None:
    iam.create_user(UserName="alice")
    assert _error(lambda: iam.get_login_profile(UserName="alice")) == (
        "NoSuchEntity",
        404,
        "Login Profile for User alice cannot be found.",
    )
    created = iam.create_login_profile(UserName="alice", Password=GOOD, PasswordResetRequired=True)[
        "LoginProfile"
    ]
    assert created["UserName"] == "alice" and created["PasswordResetRequired"] is True
    assert "Password" not in created
    assert _error(lambda: iam.create_login_profile(UserName="alice", Password=GOOD)) == (
        "EntityAlreadyExists",
        409,
        "Login Profile for user alice already exists.",
    )
    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    got = aws("iam", "get-login-profile", "--user-name", "alice")
    assert got.returncode == 0, got.stderr
    assert got.json()["LoginProfile"]["PasswordResetRequired"] is False
    assert _error(lambda: iam.delete_user(UserName="alice"))[2] == (
        "Cannot delete entity, must delete login profile first."
    )
    iam.delete_login_profile(UserName="alice")
    assert _error(lambda: iam.delete_login_profile(UserName="alice"))[0] == "NoSuchEntity"
    iam.delete_user(UserName="alice")
    assert GOOD not in iamd_server.log_path.read_text(errors="replace")


def test_the_default_rules_apply_without_a_policy(iam: Any, account: Credentials) -> None:
    iam.create_user(UserName="bob")
    assert _error(iam.get_account_password_policy) == (
        "NoSuchEntity",
        404,
        f"The Password Policy with domain name {account.account_id} cannot be found.",
    )
    for weak in ("short1A", "alllowercaseletters", "lowercase and digits 123"):
        assert _error(lambda w=weak: iam.create_login_profile(UserName="bob", Password=w)) == (
            "PasswordPolicyViolation",
            400,
            "Password does not conform to the account password policy.",
        )
    iam.create_login_profile(UserName="bob", Password="Lower and UPPER 123")


def test_the_account_policy_is_enforced(iam: Any, aws: Any) -> None:
    done = aws(
        "iam",
        "update-account-password-policy",
        "--minimum-password-length",
        "12",
        "--require-symbols",
        "--require-numbers",
        "--password-reuse-prevention",
        "2",
        "--max-password-age",
        "90",
        "--allow-users-to-change-password",
    )
    assert done.returncode == 0, done.stderr
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {
        "MinimumPasswordLength": 12,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 2,
    }
    iam.create_user(UserName="carol")
    assert _error(lambda: iam.create_login_profile(UserName="carol", Password="short!1"))[0] == (
        "PasswordPolicyViolation"
    )
    assert (
        _error(lambda: iam.create_login_profile(UserName="carol", Password="no symbols 1234"))[0]
        == "PasswordPolicyViolation"
    )
    iam.create_login_profile(UserName="carol", Password="first-password-1")
    iam.update_login_profile(UserName="carol", Password="second-password-2")
    assert (
        _error(lambda: iam.update_login_profile(UserName="carol", Password="first-password-1"))[0]
        == "PasswordPolicyViolation"
    )
    iam.delete_account_password_policy()
    assert _error(iam.delete_account_password_policy)[0] == "NoSuchEntity"


def test_a_user_changes_their_own_password(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = str(account.account_id)
    dave = user(iam, "dave", account=acct)
    iam.create_login_profile(UserName="dave", Password=GOOD)
    client = iamd_server.client("iam", dave)
    # Neither the account's policy nor dave's own policies let him.
    code, status, _ = _error(
        lambda: client.change_password(OldPassword=GOOD, NewPassword="N3w-Password!")
    )
    assert (code, status) == ("AccessDenied", 403)
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    assert (
        _error(lambda: client.change_password(OldPassword="wrong", NewPassword="N3w-Password!"))[0]
        == "AccessDenied"
    )
    assert _error(lambda: client.change_password(OldPassword=GOOD, NewPassword="x"))[0] == (
        "PasswordPolicyViolation"
    )
    client.change_password(OldPassword=GOOD, NewPassword="N3w-Password!")
    client.change_password(OldPassword="N3w-Password!", NewPassword="Th1rd-Password!")
    # The root is not an IAM user.
    assert (
        _error(lambda: iam.change_password(OldPassword="a", NewPassword="Th1rd-Password!"))[0]
        == "InvalidUserType"
    )
    log = iamd_server.log_path.read_text(errors="replace")
    assert "N3w-Password!" not in log and "Th1rd-Password!" not in log


def test_a_policy_grant_lets_a_user_change_their_password(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = str(account.account_id)
    erin = user(
        iam,
        "erin",
        {
            "Effect": "Allow",
            "Action": "iam:ChangePassword",
            "Resource": f"arn:aws:iam::{acct}:user/${{aws:username}}",
        },
        account=acct,
    )
    iam.create_login_profile(UserName="erin", Password=GOOD)
    iamd_server.client("iam", erin).change_password(OldPassword=GOOD, NewPassword="Er1n-Password!")
