"""IAM's access advisor, read from the audit trail, through boto3."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .sts_support import allow, creds, policy, role, trust, user


def report(iam: Any, arn: str, **extra: Any) -> dict[str, Any]:
    job = iam.generate_service_last_accessed_details(Arn=arn, **extra)["JobId"]
    assert len(job) == 36
    got: dict[str, Any] = iam.get_service_last_accessed_details(JobId=job)
    got["JobId"] = job
    return got


def services(got: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["ServiceNamespace"]: s for s in got["ServicesLastAccessed"]}


def wait_for(check: Any) -> Any:
    deadline = time.monotonic() + 10
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_users_services_and_when_it_used_them(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    alice = user(
        iam, "alice", allow("iam:GetUser"), allow(["s3:GetObject", "sts:GetCallerIdentity"]),
        account=acct,
    )  # fmt: skip
    arn = iam.get_user(UserName="alice")["User"]["Arn"]
    fresh = services(report(iam, arn))
    assert set(fresh) == {"iam", "s3", "sts"}
    assert fresh["iam"]["ServiceName"] == "AWS Identity and Access Management"
    assert fresh["s3"]["ServiceName"] == "Amazon Simple Storage Service"
    assert "LastAuthenticated" not in fresh["iam"]
    assert fresh["iam"]["TotalAuthenticatedEntities"] == 0

    iamd_server.client("iam", alice).get_user()
    with pytest.raises(ClientError):
        iamd_server.client("iam", alice).list_users()  # an attempt counts too

    def used() -> dict[str, Any] | None:  # both requests' events stored
        got = report(iam, arn, Granularity="ACTION_LEVEL")
        tracked = services(got)["iam"].get("TrackedActionsLastAccessed", [])
        return got if len(tracked) == 2 else None

    got = wait_for(used)
    assert got["JobStatus"] == "COMPLETED" and got["JobType"] == "ACTION_LEVEL"
    assert got["JobCompletionDate"] >= got["JobCreationDate"]
    iam_use = services(got)["iam"]
    assert iam_use["LastAuthenticatedEntity"] == arn
    assert iam_use["TotalAuthenticatedEntities"] == 1
    actions = {a["ActionName"] for a in iam_use["TrackedActionsLastAccessed"]}
    assert actions == {"GetUser", "ListUsers"}
    assert "LastAuthenticated" not in services(got)["s3"]

    detail = iam.get_service_last_accessed_details_with_entities(
        JobId=got["JobId"], ServiceNamespace="iam"
    )
    (entity,) = detail["EntityDetailsList"]
    assert entity["EntityInfo"]["Arn"] == arn and entity["EntityInfo"]["Type"] == "USER"
    assert "LastAuthenticated" in entity


def test_a_group_or_policy_reports_its_members_and_a_role_its_sessions(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="p", PolicyDocument=policy(allow("iam:*")))
    bob = user(iam, "bob", account=acct)
    iam.add_user_to_group(GroupName="devs", UserName="bob")
    user(iam, "carol", account=acct)
    iam.add_user_to_group(GroupName="devs", UserName="carol")
    iamd_server.client("iam", bob).list_groups()
    group_arn = iam.get_group(GroupName="devs")["Group"]["Arn"]

    def bob_seen() -> dict[str, Any] | None:
        got = report(iam, group_arn)
        return got if services(got)["iam"].get("TotalAuthenticatedEntities") == 1 else None

    got = wait_for(bob_seen)
    assert list(services(got)) == ["iam"]
    entities = iam.get_service_last_accessed_details_with_entities(
        JobId=got["JobId"], ServiceNamespace="iam"
    )["EntityDetailsList"]
    assert [e["EntityInfo"]["Name"] for e in entities] == ["bob", "carol"]
    assert "LastAuthenticated" in entities[0] and "LastAuthenticated" not in entities[1]

    managed = iam.create_policy(PolicyName="sts-only", PolicyDocument=policy(allow("sts:*")))
    role_arn = role(iam, "app", trust(f"arn:aws:iam::{acct}:root"))
    iam.attach_role_policy(RoleName="app", PolicyArn=managed["Policy"]["Arn"])
    assumer = user(iam, "dave", allow("sts:AssumeRole"), account=acct)
    session = iamd_server.client("sts", assumer).assume_role(RoleArn=role_arn, RoleSessionName="x1")
    iamd_server.client("sts", creds(session)).get_caller_identity()

    def role_seen() -> dict[str, Any] | None:
        got = report(iam, managed["Policy"]["Arn"])
        return got if "LastAuthenticated" in services(got)["sts"] else None

    by_policy = services(wait_for(role_seen))
    assert by_policy["sts"]["LastAuthenticatedEntity"] == role_arn

    granting = iam.list_policies_granting_service_access(
        Arn=iam.get_user(UserName="bob")["User"]["Arn"], ServiceNamespaces=["iam", "s3"]
    )["PoliciesGrantingServiceAccess"]
    assert granting == [
        {
            "ServiceNamespace": "iam",
            "Policies": [
                {
                    "PolicyName": "p",
                    "PolicyType": "INLINE",
                    "EntityType": "GROUP",
                    "EntityName": "devs",
                },
            ],
        },
        {"ServiceNamespace": "s3", "Policies": []},
    ]
    on_role = iam.list_policies_granting_service_access(Arn=role_arn, ServiceNamespaces=["sts"])
    assert on_role["PoliciesGrantingServiceAccess"][0]["Policies"] == [
        {"PolicyName": "sts-only", "PolicyType": "MANAGED", "PolicyArn": managed["Policy"]["Arn"]}
    ]


def test_refusals(iamd_server: IamdServer, iam: Any, account: Credentials) -> None:
    def fails(call: Any, **params: Any) -> tuple[str, int]:
        with pytest.raises(ClientError) as error:
            call(**params)
        got = error.value.response
        return got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"]

    ghost = f"arn:aws:iam::{account.account_id}:user/ghost"
    assert fails(iam.generate_service_last_accessed_details, Arn=ghost) == ("NoSuchEntity", 404)
    assert fails(iam.generate_service_last_accessed_details, Arn="arn:aws:s3:::bucket-name") == (
        "InvalidInput",
        400,
    )
    job = "00000000-0000-4000-8000-000000000000"
    assert fails(iam.get_service_last_accessed_details, JobId=job) == ("NoSuchEntity", 404)
    acct = account.account_id
    assert acct is not None
    nobody = user(iam, "nobody", allow("iam:GetUser"), account=acct)
    denied = fails(
        iamd_server.client("iam", nobody).generate_service_last_accessed_details,
        Arn=iam.get_user(UserName="nobody")["User"]["Arn"],
    )
    assert denied == ("AccessDenied", 403)
    other = iamd_server.create_account()
    mine = iam.create_group(GroupName="g")["Group"]["Arn"]
    job = iam.generate_service_last_accessed_details(Arn=mine)["JobId"]
    assert fails(iamd_server.client("iam", other).get_service_last_accessed_details, JobId=job) == (
        "NoSuchEntity",
        404,
    )  # another account's job does not exist for it
