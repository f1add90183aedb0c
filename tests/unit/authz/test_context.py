"""The condition keys AWS supplies, as policies see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection

from iamd.authz import Authorizer
from iamd.authz.context import format_time
from iamd.model.caller import Caller
from iamd.operations import RequestInfo, Target
from iamd.store.db import Database

from .conftest import (
    ACCOUNT,
    ALICE_ARN,
    ALICE_ID,
    INFO,
    NOW,
    ROLE_ARN,
    ROLE_ID,
    Rows,
    allow,
    doc,
    role_caller,
    root_caller,
    user_caller,
)

ANYWHERE = Target("*")


def keys(
    db: Database,
    caller: Caller,
    target: Target = ANYWHERE,
    extra: dict[str, object] | None = None,
    info: RequestInfo = INFO,
) -> dict[str, Any]:
    def run(conn: Connection) -> dict[str, Any]:
        return dict(Authorizer().bind(conn, caller, info, NOW).context(target, extra))

    return db.run(False, run)


def test_a_users_keys(db: Database, rows: Rows) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    rows.tag("user", ALICE_ID, Team="Blue")
    ctx = keys(db, user_caller())
    assert ctx["aws:principalarn"] == ALICE_ARN
    assert ctx["aws:principalaccount"] == ACCOUNT
    assert ctx["aws:principaltype"] == "User"
    assert ctx["aws:userid"] == ALICE_ID
    assert ctx["aws:username"] == "alice"
    assert ctx["aws:principaltag/team"] == "Blue"
    assert ctx["aws:sourceip"] == "10.0.0.7"
    assert ctx["aws:securetransport"] == "true"
    assert ctx["aws:currenttime"] == "2024-05-01T12:00:00Z"
    assert ctx["aws:epochtime"] == str(int(NOW.timestamp()))
    assert ctx["aws:requestedregion"] == "us-east-1"
    assert ctx["aws:useragent"] == "ua/1"
    assert "aws:multifactorauthpresent" not in ctx  # long-term keys: absent


def test_root_keys(db: Database) -> None:
    ctx = keys(db, root_caller())
    assert ctx["aws:principaltype"] == "Account"
    assert ctx["aws:userid"] == ACCOUNT
    assert ctx["aws:principalarn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert "aws:username" not in ctx


def test_a_role_sessions_keys(db: Database, rows: Rows) -> None:
    rows.role(ROLE_ID, "app", "/service/")
    rows.tag("role", ROLE_ID, env="prod", team="red")
    ctx = keys(db, role_caller(tags=(("TEAM", "green"),), mfa=True))
    assert ctx["aws:principalarn"] == ROLE_ARN
    assert ctx["aws:principaltype"] == "AssumedRole"
    assert ctx["aws:userid"] == f"{ROLE_ID}:sess"
    assert ctx["aws:principaltag/env"] == "prod"
    assert ctx["aws:principaltag/team"] == "green"  # session tags win, ignoring case
    assert ctx["aws:multifactorauthpresent"] == "true"
    assert ctx["aws:tokenissuetime"] == format_time(role_caller().session.issued_at)  # type: ignore[union-attr]
    assert "aws:username" not in ctx


def test_resource_tags_and_request_keys(db: Database) -> None:
    target = Target("arn:aws:iam::111122223333:role/x", {"Env": "prod"}, ACCOUNT)
    extra = {"aws:RequestTag/Team": "blue", "aws:TagKeys": ["Team"], "iam:PolicyARN": "arn:p"}
    ctx = keys(db, root_caller(), target, extra)
    assert ctx["aws:resourcetag/env"] == "prod"
    assert ctx["iam:resourcetag/env"] == "prod"
    assert ctx["aws:requesttag/team"] == "blue"
    assert ctx["aws:tagkeys"] == ("Team",)
    assert ctx["iam:policyarn"] == "arn:p"


CONDITIONS = [
    ({"StringEquals": {"aws:PrincipalTag/team": "blue"}}, True),
    ({"StringEquals": {"aws:PrincipalTag/team": "red"}}, False),
    ({"StringEquals": {"aws:ResourceTag/env": "prod"}}, True),
    ({"StringEquals": {"iam:ResourceTag/env": "dev"}}, False),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
    ({"IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}, False),
    ({"Bool": {"aws:SecureTransport": "true"}}, True),
    ({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, True),
    ({"DateLessThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, False),
    ({"NumericGreaterThan": {"aws:EpochTime": "1700000000"}}, True),
    ({"StringEquals": {"aws:username": "alice"}}, True),
    ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["Team", "Env"]}}, True),
    ({"StringEquals": {"aws:RequestTag/Team": "blue"}}, True),
    ({"Null": {"aws:MultiFactorAuthPresent": "true"}}, True),
]


@pytest.mark.parametrize(("condition", "allowed"), CONDITIONS, ids=str)
def test_policies_see_the_keys(
    db: Database, rows: Rows, condition: dict[str, Any], allowed: bool
) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    rows.tag("user", ALICE_ID, team="blue")
    rows.inline("user", ALICE_ID, "P", doc(allow("iam:TagRole", Condition=condition)))
    target = Target(f"arn:aws:iam::{ACCOUNT}:role/x", {"env": "prod"}, ACCOUNT)
    extra = {"aws:RequestTag/Team": "blue", "aws:TagKeys": ["Team"]}

    def run(conn: Connection) -> bool:
        bound = Authorizer().bind(conn, user_caller(), INFO, NOW)
        return bound.evaluate("iam:TagRole", target, extra).allowed

    assert db.run(False, run) is allowed


def test_policy_variables_use_the_keys(db: Database, rows: Rows) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    own = f"arn:aws:iam::{ACCOUNT}:user/staff/${{aws:username}}"
    rows.inline("user", ALICE_ID, "P", doc(allow("iam:GetUser", own)))

    def run(conn: Connection) -> tuple[bool, bool]:
        bound = Authorizer().bind(conn, user_caller(), INFO, NOW)
        mine = bound.evaluate("iam:GetUser", Target(ALICE_ARN, account=ACCOUNT)).allowed
        other = Target(f"arn:aws:iam::{ACCOUNT}:user/staff/bob", account=ACCOUNT)
        return mine, bound.evaluate("iam:GetUser", other).allowed

    assert db.run(False, run) == (True, False)


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2024, 5, 1, 12, 0, 0, 999_999, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 1, 14, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ],
)
def test_current_time_is_utc_to_the_second_rounded_down(moment: dt.datetime) -> None:
    assert format_time(moment) == moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
