"""Role chaining: three hops, session tags (transitive and not), source identity."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .sts_support import allow, code_of, creds, message_of, role, trust, user

ALL = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def _tags(**pairs: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def test_three_hops_carry_transitive_tags_and_source_identity(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    root = f"arn:aws:iam::{acct}:root"
    hop = allow(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
    role1 = role(iam, "Role1", trust(root, ALL), hop, tags={"Heart": "role1"})
    # Role2's trust requires the transitive tag Star=1 and the source identity.
    needs = {"StringEquals": {"aws:PrincipalTag/Star": "1", "sts:SourceIdentity": "alice"}}
    role2 = role(iam, "Role2", trust(root, ALL, Condition=needs), hop, tags={"Sun": "2"})
    # Role3 lets a session read roles only when its principal tags say so.
    abac = allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/Star": "1"}})
    role3 = role(iam, "Role3", trust(root, ALL), abac, tags={"Star": "3", "Lightning": "x"})
    alice = user(iam, "alice", allow("sts:*"), account=acct)

    first = iamd_server.client("sts", alice).assume_role(
        RoleArn=role1,
        RoleSessionName="Session1",
        Tags=_tags(Star="1", Heart="1", Moon="1"),
        TransitiveTagKeys=["Star", "Heart"],
        SourceIdentity="alice",
    )
    assert first["SourceIdentity"] == "alice" and "PackedPolicySize" in first
    s1 = iamd_server.client("sts", creds(first))
    with pytest.raises(ClientError) as too_long:
        s1.assume_role(RoleArn=role2, RoleSessionName="Session2", DurationSeconds=3601)
    assert code_of(too_long) == "ValidationError"
    assert message_of(too_long) == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."
    )
    with pytest.raises(ClientError) as changed:
        s1.assume_role(RoleArn=role2, RoleSessionName="Session2", SourceIdentity="mallory")
    assert code_of(changed) == "ValidationError"

    second = s1.assume_role(RoleArn=role2, RoleSessionName="Session2")
    assert second["SourceIdentity"] == "alice"
    s2 = iamd_server.client("sts", creds(second))
    with pytest.raises(ClientError) as reset:
        s2.assume_role(RoleArn=role3, RoleSessionName="Session3", Tags=_tags(Heart="3"))
    assert code_of(reset) == "InvalidParameterValue"  # as recorded from AWS
    assert message_of(reset) == (
        "One of the specified transitive tag keys can't be set because it conflicts with a "
        "transitive tag key from the calling session."
    )

    third = s2.assume_role(RoleArn=role3, RoleSessionName="Session3")
    session3 = creds(third)
    me = iamd_server.client("sts", session3).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{acct}:assumed-role/Role3/Session3"
    # Star=1 was inherited and overrides Role3's own Star=3 tag: the ABAC policy allows.
    assert iamd_server.client("iam", session3).list_roles()["Roles"]


def test_non_transitive_tags_stop_after_one_hop(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    root = f"arn:aws:iam::{acct}:root"
    hop = allow(["sts:AssumeRole", "sts:TagSession"])
    abac = allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})
    role1 = role(iam, "One", trust(root, ALL), hop, abac)
    role2 = role(iam, "Two", trust(root, ALL), abac)
    bob = user(iam, "bob", allow(["sts:AssumeRole", "sts:TagSession"]), account=acct)
    first = iamd_server.client("sts", bob).assume_role(
        RoleArn=role1, RoleSessionName="s1", Tags=_tags(Team="blue")
    )
    assert iamd_server.client("iam", creds(first)).list_roles()["Roles"]  # tag keys ignore case
    second = iamd_server.client("sts", creds(first)).assume_role(
        RoleArn=role2, RoleSessionName="s2"
    )
    with pytest.raises(ClientError) as denied:
        iamd_server.client("iam", creds(second)).list_roles()
    assert code_of(denied) == "AccessDenied"


def test_tags_need_tag_session_and_follow_the_rules(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    carol = user(iam, "carol", allow("sts:*"), account=acct)
    carol_arn = iam.get_user(UserName="carol")["User"]["Arn"]
    plain = role(iam, "Plain", trust(carol_arn))
    tagging = role(
        iam,
        "Tagging",
        trust(
            carol_arn,
            ["sts:AssumeRole", "sts:TagSession"],
            Condition={"StringEqualsIfExists": {"aws:RequestTag/env": "dev"}},
        ),
    )
    sts = iamd_server.client("sts", carol)
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=plain, RoleSessionName="s1", Tags=_tags(env="dev"))
    assert code_of(denied) == "AccessDenied"
    assert "sts:TagSession" in message_of(denied)
    with pytest.raises(ClientError) as wrong_value:
        sts.assume_role(RoleArn=tagging, RoleSessionName="s1", Tags=_tags(env="prod"))
    assert code_of(wrong_value) == "AccessDenied"
    assert sts.assume_role(RoleArn=tagging, RoleSessionName="s1", Tags=_tags(env="dev"))
    for bad, code, message in (
        (
            {"Tags": _tags(env="dev", ENV="dev")},
            "InvalidParameterValue",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ),
        ({"Tags": [{"Key": "aws:x", "Value": "1"}]}, "ValidationError", None),
        (
            {"Tags": _tags(env="dev"), "TransitiveTagKeys": ["other"]},
            "InvalidParameterValue",
            "The specified transitive tag key must be included in the requested tags.",
        ),
    ):
        with pytest.raises(ClientError) as invalid:
            sts.assume_role(RoleArn=tagging, RoleSessionName="s1", **bad)
        assert code_of(invalid) == code
        if message is not None:
            assert message_of(invalid) == message


def test_source_identity_needs_set_source_identity(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    dan = user(iam, "dan", allow("sts:*"), account=account.account_id)
    dan_arn = iam.get_user(UserName="dan")["User"]["Arn"]
    without = role(iam, "Without", trust(dan_arn))
    with_it = role(
        iam,
        "With",
        trust(
            dan_arn,
            ["sts:AssumeRole", "sts:SetSourceIdentity"],
            Condition={"StringEquals": {"sts:SourceIdentity": "${aws:username}"}},
        ),
    )
    sts = iamd_server.client("sts", dan)
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=without, RoleSessionName="s1", SourceIdentity="dan")
    assert "sts:SetSourceIdentity" in message_of(denied)
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=with_it, RoleSessionName="s1", SourceIdentity="eve")
    got = sts.assume_role(RoleArn=with_it, RoleSessionName="s1", SourceIdentity="dan")
    assert got["SourceIdentity"] == "dan"
