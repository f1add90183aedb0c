"""AssumeRole through boto3: who may assume a role, for how long, with what permissions."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .sts_support import allow, code_of, creds, message_of, policy, role, trust, user


def _root_arn(account: Credentials) -> str:
    return f"arn:aws:iam::{account.account_id}:root"


def _denied_prefix(who: str, role_arn: str, action: str = "sts:AssumeRole") -> str:
    return f"User: {who} is not authorized to perform: {action} on resource: {role_arn}"


def test_trust_naming_the_user_is_enough_in_the_same_account(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    alice = user(iam, "alice", account=account.account_id)
    user_arn = iam.get_user(UserName="alice")["User"]["Arn"]
    arn = role(iam, "deploy", trust(user_arn), allow("iam:ListRoles"), Path="/app/")
    got = iamd_server.client("sts", alice).assume_role(RoleArn=arn, RoleSessionName="s-1")
    role_id = iam.get_role(RoleName="deploy")["Role"]["RoleId"]
    assert got["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{account.account_id}:assumed-role/deploy/s-1",
        "AssumedRoleId": f"{role_id}:s-1",
    }
    c = got["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20
    assert len(c["SecretAccessKey"]) == 40
    assert len(c["SessionToken"]) < 1024
    assert "PackedPolicySize" not in got and "SourceIdentity" not in got
    session = creds(got)
    me = iamd_server.client("sts", session).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{account.account_id}:assumed-role/deploy/s-1"
    assert me["UserId"] == f"{role_id}:s-1" and me["Account"] == account.account_id
    names = [r["RoleName"] for r in iamd_server.client("iam", session).list_roles()["Roles"]]
    assert names == ["deploy"]
    with pytest.raises(ClientError) as denied:
        iamd_server.client("iam", session).create_user(UserName="x")
    assert code_of(denied) == "AccessDenied"
    assert "assumed-role/deploy/s-1 is not authorized to perform: iam:CreateUser" in (
        message_of(denied)
    )
    last_used = iam.get_role(RoleName="deploy")["Role"]["RoleLastUsed"]
    assert last_used["Region"] == "us-east-1" and "LastUsedDate" in last_used


def test_trust_naming_the_account_needs_an_identity_policy(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    arn = role(iam, "r", trust(_root_arn(account)))
    bob = user(iam, "bob", account=account.account_id)
    carol = user(iam, "carol", allow("sts:AssumeRole", arn), account=account.account_id)
    with pytest.raises(ClientError) as denied:
        iamd_server.client("sts", bob).assume_role(RoleArn=arn, RoleSessionName="s1")
    assert code_of(denied) == "AccessDenied"
    bob_arn = iam.get_user(UserName="bob")["User"]["Arn"]
    assert message_of(denied).startswith(_denied_prefix(bob_arn, arn) + ". Encoded ")
    assert iamd_server.client("sts", carol).assume_role(RoleArn=arn, RoleSessionName="s1")


def test_a_missing_role_is_denied_like_an_untrusted_one(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    role(iam, "other", trust(_root_arn(account)))
    dave = user(iam, "dave", allow("sts:AssumeRole"), account=account.account_id)
    dave_arn = iam.get_user(UserName="dave")["User"]["Arn"]
    sts = iamd_server.client("sts", dave)
    untrusted = role(iam, "untrusted", trust("arn:aws:iam::111122223333:root"))
    missing = f"arn:aws:iam::{account.account_id}:role/missing"
    for arn in (untrusted, missing):
        with pytest.raises(ClientError) as denied:
            sts.assume_role(RoleArn=arn, RoleSessionName="s1")
        assert code_of(denied) == "AccessDenied"
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert message_of(denied).split(". Encoded")[0] == _denied_prefix(dave_arn, arn)


def test_the_root_user_cannot_assume_roles(sts: Any, iam: Any, account: Credentials) -> None:
    arn = role(iam, "r", trust(_root_arn(account)))
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert code_of(denied) == "AccessDenied"
    assert message_of(denied) == "Roles may not be assumed by root accounts."


def test_external_id_and_session_name_conditions(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    erin = user(iam, "erin", account=account.account_id)
    erin_arn = iam.get_user(UserName="erin")["User"]["Arn"]
    condition = {
        "StringEquals": {"sts:ExternalId": "xyz-123", "sts:RoleSessionName": "${aws:username}"}
    }
    arn = role(iam, "r", trust(erin_arn, Condition=condition))
    sts = iamd_server.client("sts", erin)
    for kwargs in (
        {"RoleSessionName": "erin"},
        {"RoleSessionName": "bob", "ExternalId": "xyz-123"},
    ):
        with pytest.raises(ClientError) as denied:
            sts.assume_role(RoleArn=arn, **kwargs)
        assert code_of(denied) == "AccessDenied"
    assert sts.assume_role(RoleArn=arn, RoleSessionName="erin", ExternalId="xyz-123")


def test_durations(iamd_server: IamdServer, iam: Any, account: Credentials) -> None:
    frank = user(iam, "frank", account=account.account_id)
    arn = role(iam, "r", trust(iam.get_user(UserName="frank")["User"]["Arn"]))
    sts = iamd_server.client("sts", frank)
    with pytest.raises(ClientError) as too_long:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=3601)
    assert code_of(too_long) == "ValidationError"
    assert message_of(too_long) == (
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    )
    iam.update_role(RoleName="r", MaxSessionDuration=7200)
    got = sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=7200)
    issued = got["ResponseMetadata"]["HTTPHeaders"]
    assert issued
    raw = iamd_server.client("sts", frank, validate=False)
    with pytest.raises(ClientError) as too_short:
        raw.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=899)
    assert code_of(too_short) == "ValidationError"
    assert "Member must have value greater than or equal to 900" in message_of(too_short)


def test_session_policies_narrow_the_session(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    gina = user(iam, "gina", account=account.account_id)
    arn = role(iam, "admin", trust(iam.get_user(UserName="gina")["User"]["Arn"]), allow("iam:*"))
    narrow = policy(allow("iam:ListRoles"))
    got = iamd_server.client("sts", gina).assume_role(
        RoleArn=arn, RoleSessionName="s1", Policy=narrow
    )
    assert 0 < got["PackedPolicySize"] <= 100
    session = iamd_server.client("iam", creds(got))
    assert session.list_roles()["Roles"]
    with pytest.raises(ClientError) as denied:
        session.list_users()
    assert message_of(denied).endswith("because no session policy allows the iam:ListUsers action")

    iam.create_policy(PolicyName="read-users", PolicyDocument=policy(allow("iam:ListUsers")))
    managed = f"arn:aws:iam::{account.account_id}:policy/read-users"
    got = iamd_server.client("sts", gina).assume_role(
        RoleArn=arn,
        RoleSessionName="s1",
        PolicyArns=[{"arn": managed}, {"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}],
    )
    session = iamd_server.client("iam", creds(got))
    assert session.list_users()["Users"]
    with pytest.raises(ClientError) as denied:
        session.create_user(UserName="nope")
    assert code_of(denied) == "AccessDenied"


def test_session_policy_errors(iamd_server: IamdServer, iam: Any, account: Credentials) -> None:
    hank = user(iam, "hank", account=account.account_id)
    arn = role(iam, "r", trust(iam.get_user(UserName="hank")["User"]["Arn"]), allow("iam:*"))
    sts = iamd_server.client("sts", hank)
    with pytest.raises(ClientError) as malformed:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", Policy='{"Version": "2012-10-17"}')
    assert code_of(malformed) == "MalformedPolicyDocument"
    missing = f"arn:aws:iam::{account.account_id}:policy/none"
    with pytest.raises(ClientError) as unknown:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", PolicyArns=[{"arn": missing}])
    assert code_of(unknown) == "MalformedPolicyDocument"
    big = policy(
        *[allow(f"iam:Get{i}", f"arn:aws:iam::{account.account_id}:user/u{i}") for i in range(25)]
    )
    with pytest.raises(ClientError) as too_big:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", Policy=big + " " * 10)
    assert code_of(too_big) in ("ValidationError", "PackedPolicyTooLarge")
    noise = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    tags = [
        {"Key": f"k{i:02d}", "Value": "".join(noise.choices(letters, k=200))} for i in range(50)
    ]
    iam.update_assume_role_policy(
        RoleName="r",
        PolicyDocument=trust(
            iam.get_user(UserName="hank")["User"]["Arn"], ["sts:AssumeRole", "sts:TagSession"]
        ),
    )
    with pytest.raises(ClientError) as packed:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", Tags=tags)
    assert code_of(packed) == "PackedPolicyTooLarge"
    assert "% of allotted space" in message_of(packed)


def test_cross_account_needs_trust_and_identity_policy(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    other = iamd_server.create_account()
    other_iam = iamd_server.client("iam", other)
    arn = role(other_iam, "shared", trust(_root_arn(account)), allow("iam:ListRoles"))
    ivan = user(iam, "ivan", account=account.account_id)
    judy = user(iam, "judy", allow("sts:AssumeRole", arn), account=account.account_id)
    with pytest.raises(ClientError) as denied:
        iamd_server.client("sts", ivan).assume_role(RoleArn=arn, RoleSessionName="s1")
    assert code_of(denied) == "AccessDenied"
    got = iamd_server.client("sts", judy).assume_role(RoleArn=arn, RoleSessionName="s1")
    assert got["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{other.account_id}:assumed-role/shared/s1"
    )
    assert got["Credentials"]["AccessKeyId"].startswith("ASIA")
    session = creds(got)
    assert iamd_server.client("sts", session).get_caller_identity()["Account"] == other.account_id
    roles = iamd_server.client("iam", session).list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == ["shared"]
    # A trust policy naming another account's user: its identity policy must allow too.
    judy_arn = iam.get_user(UserName="judy")["User"]["Arn"]
    other_iam.create_role(RoleName="direct", AssumeRolePolicyDocument=trust(judy_arn))
    direct = f"arn:aws:iam::{other.account_id}:role/direct"
    with pytest.raises(ClientError):
        iamd_server.client("sts", judy).assume_role(RoleArn=direct, RoleSessionName="s1")


def test_revoked_sessions_are_denied(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    import subprocess
    import sys

    kim = user(iam, "kim", account=account.account_id)
    arn = role(iam, "r", trust(iam.get_user(UserName="kim")["User"]["Arn"]), allow("iam:ListRoles"))
    old = creds(iamd_server.client("sts", kim).assume_role(RoleArn=arn, RoleSessionName="s1"))
    args = [sys.executable, "-m", "iamd.cli.main", "role", "revoke-sessions"]
    args += ["--account", str(account.account_id), "--role", "r", "--json"]
    args += (
        ["--db", iamd_server.db_url]
        if iamd_server.db_url
        else ["--data-dir", str(iamd_server.data_dir)]
    )
    done = subprocess.run(args, env=iamd_server.env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["PolicyName"] == "AWSRevokeOlderSessions"
    with pytest.raises(ClientError) as denied:
        iamd_server.client("iam", old).list_roles()
    assert message_of(denied).endswith("with an explicit deny in an identity-based policy")
    assert iamd_server.client("sts", old).get_caller_identity()["Arn"].endswith("/r/s1")
    import time

    time.sleep(1.1)  # the cut-off is the next whole second after the revocation
    new = creds(iamd_server.client("sts", kim).assume_role(RoleArn=arn, RoleSessionName="s1"))
    assert iamd_server.client("iam", new).list_roles()["Roles"]
