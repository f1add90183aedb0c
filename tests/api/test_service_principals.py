"""Registered services as principals: credentials, AssumeRole with source guards, and the
service creating its own linked role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.iam.services import SOURCE_CONTEXT_PROVIDER

from .conftest import Credentials, IamdServer
from .service_support import iamd_cli, register, set_resources
from .sts_support import allow, code_of, creds, policy, user

JOBS = "jobs.example.internal"


def service_trust(service: str = JOBS, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return policy(statement)


def source(**keys: str) -> list[dict[str, str]]:
    """AssumeRole's ProvidedContexts naming the resource the service acts for."""
    assertion = {f"aws:{key}": value for key, value in keys.items()}
    return [{"ProviderArn": SOURCE_CONTEXT_PROVIDER, "ContextAssertion": json.dumps(assertion)}]


def test_cli_registers_a_service_and_prints_its_credentials_once(
    iamd_server: IamdServer, account: Credentials
) -> None:
    name = f"build-{account.account_id}.example.internal"
    done = iamd_cli(
        iamd_server,
        "service",
        "register",
        name,
        "--account",
        str(account.account_id),
        "--linked-role-name",
        "AWSServiceRoleForBuild",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout)
    assert issued["ServiceName"] == name and issued["AccountId"] == account.account_id
    assert issued["AccessKeyId"].startswith("AKIA") and len(issued["AccessKeyId"]) == 20
    assert len(issued["SecretAccessKey"]) == 40
    listed = iamd_cli(iamd_server, "service", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (mine,) = [s for s in json.loads(listed.stdout)["Services"] if s["ServiceName"] == name]
    assert mine["LinkedRole"]["RoleName"] == "AWSServiceRoleForBuild"
    assert [c["AccessKeyId"] for c in mine["Credentials"]] == [issued["AccessKeyId"]]
    assert "SecretAccessKey" not in listed.stdout
    again = iamd_cli(iamd_server, "service", "register", name, "--account", str(account.account_id))
    assert again.returncode == 1 and "already registered" in again.stderr
    bad = iamd_cli(iamd_server, "service", "register", "nosuch.amazonaws.com")
    assert bad.returncode == 1 and "amazonaws.com" in bad.stderr
    # The credentials work, and `resources set` reaches the deletion task.
    service = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"])
    iam_as_service = iamd_server.client("iam", service)
    iam_as_service.create_service_linked_role(AWSServiceName=name)
    done = iamd_cli(
        iamd_server,
        "service",
        "resources",
        "set",
        name,
        "--role",
        "AWSServiceRoleForBuild",
        "--account",
        str(account.account_id),
        "--resource",
        "arn:aws:codebuild:us-east-1:1:x",
    )
    assert done.returncode == 0, done.stderr
    iam = iamd_server.client("iam", account)
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForBuild")["DeletionTaskId"]
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "FAILED"
    assert status["Reason"]["RoleUsageList"] == [
        {"Region": "us-east-1", "Resources": ["arn:aws:codebuild:us-east-1:1:x"]}
    ]


def test_a_service_authenticates_as_itself(iamd_server: IamdServer, account: Credentials) -> None:
    service = register(iamd_server, JOBS, account)
    identity = iamd_server.client("sts", service).get_caller_identity()
    assert identity["Account"] == account.account_id
    assert identity["UserId"] == JOBS and identity["Arn"] == JOBS
    # A service has no identity policies of its own: IAM calls are denied.
    with pytest.raises(ClientError) as exc:
        iamd_server.client("iam", service).list_roles()
    assert code_of(exc) == "AccessDenied"


def test_a_service_assumes_a_role_that_trusts_it_with_source_guards(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    mine = str(account.account_id)
    other = str(iamd_server.create_account().account_id)
    arn = iam.create_role(
        RoleName="jobs-runner",
        AssumeRolePolicyDocument=service_trust(
            StringEquals={"aws:SourceAccount": mine},
            ArnLike={"aws:SourceArn": f"arn:aws:jobs:*:{mine}:queue/*"},
        ),
    )["Role"]["Arn"]
    sts = iamd_server.client("sts", register(iamd_server, JOBS, account))
    queue = f"arn:aws:jobs:us-east-1:{mine}:queue/nightly"
    got = sts.assume_role(
        RoleArn=arn, RoleSessionName="nightly", ProvidedContexts=source(SourceArn=queue)
    )
    assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{mine}:assumed-role/jobs-runner/nightly"
    session = iamd_server.client("sts", creds(got))
    assert session.get_caller_identity()["Arn"].endswith("assumed-role/jobs-runner/nightly")
    # The confused deputy: another account's resource, or no source at all, is refused.
    foreign = f"arn:aws:jobs:us-east-1:{other}:queue/evil"
    for contexts in (source(SourceArn=foreign), source(SourceAccount=other), None):
        extra = {"ProvidedContexts": contexts} if contexts else {}
        with pytest.raises(ClientError) as exc:
            sts.assume_role(RoleArn=arn, RoleSessionName="xx", **extra)
        assert code_of(exc) == "AccessDenied"
        assert f"User: {JOBS} is not authorized to perform: sts:AssumeRole" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(
            RoleArn=arn,
            RoleSessionName="xx",
            ProvidedContexts=source(SourceArn=queue, SourceAccount=other),
        )
    assert code_of(exc) == "InvalidParameterValue"


def test_trust_names_the_service_and_its_keys(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=service_trust("ci.example.internal"))
    iam.create_role(
        RoleName="any-service",
        AssumeRolePolicyDocument=policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": [JOBS, "ci.example.internal"]},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "Bool": {"aws:PrincipalIsAWSService": "true"},
                    "StringEquals": {"aws:PrincipalServiceName": JOBS},
                },
            }
        ),
    )
    sts = iamd_server.client("sts", register(iamd_server, JOBS, account))
    prefix = f"arn:aws:iam::{account.account_id}:role/"
    sts.assume_role(RoleArn=prefix + "any-service", RoleSessionName="ss")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=prefix + "other", RoleSessionName="ss")
    assert code_of(exc) == "AccessDenied"
    # Only a service may pass a source context.
    iam.create_role(
        RoleName="for-users",
        AssumeRolePolicyDocument=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": account.account_id},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    alice = user(iam, "alice", allow("sts:AssumeRole"), account=str(account.account_id))
    with pytest.raises(ClientError) as exc:
        iamd_server.client("sts", alice).assume_role(
            RoleArn=prefix + "for-users",
            RoleSessionName="ss",
            ProvidedContexts=source(SourceAccount=str(account.account_id)),
        )
    assert code_of(exc) == "InvalidParameterValue"


def test_a_service_creates_and_assumes_its_own_linked_role(
    iamd_server: IamdServer, account: Credentials
) -> None:
    name = f"queue-{account.account_id}.example.internal"
    document = policy(allow("sqs:SendMessage"))
    service = register(
        iamd_server,
        name,
        account,
        linked_role_name="AWSServiceRoleForQueue",
        custom_suffix=True,
        policy_document=document,
    )
    as_service = iamd_server.client("iam", service)
    role = as_service.create_service_linked_role(AWSServiceName=name)["Role"]
    assert role["Arn"] == (
        f"arn:aws:iam::{account.account_id}:role/aws-service-role/{name}/AWSServiceRoleForQueue"
    )
    iam = iamd_server.client("iam", account)
    assert iam.list_role_policies(RoleName="AWSServiceRoleForQueue")["PolicyNames"] == [
        "ServiceLinkedRolePolicy"
    ]
    # Customers may create it too, with a suffix where the service allows one.
    suffixed = iam.create_service_linked_role(AWSServiceName=name, CustomSuffix="b")["Role"]
    assert suffixed["RoleName"] == "AWSServiceRoleForQueue_b"
    # A service creates only its own linked role.
    with pytest.raises(ClientError) as exc:
        as_service.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    assert code_of(exc) == "AccessDenied"
    session = iamd_server.client("sts", service).assume_role(
        RoleArn=role["Arn"], RoleSessionName="work"
    )
    assert session["AssumedRoleUser"]["AssumedRoleId"].startswith(role["RoleId"])
    # Nobody else can assume a service-linked role.
    alice = user(iam, "alice", allow("sts:AssumeRole"), account=str(account.account_id))
    with pytest.raises(ClientError) as exc:
        iamd_server.client("sts", alice).assume_role(RoleArn=role["Arn"], RoleSessionName="ss")
    assert code_of(exc) == "AccessDenied"
    set_resources(iamd_server, name, account, "AWSServiceRoleForQueue", [])


def test_a_service_with_a_catalog_name_keeps_the_catalogs_role(
    iamd_server: IamdServer, account: Credentials
) -> None:
    service = register(iamd_server, "elasticloadbalancing.amazonaws.com", account)
    role = iamd_server.client("iam", service).create_service_linked_role(
        AWSServiceName="elasticloadbalancing.amazonaws.com"
    )["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"


def test_deleted_credentials_stop_working(iamd_server: IamdServer, account: Credentials) -> None:
    service = register(iamd_server, JOBS, account)
    sts = iamd_server.client("sts", service)
    sts.get_caller_identity()
    done = iamd_cli(iamd_server, "service", "credentials", "delete", service.access_key_id)
    assert done.returncode == 0, done.stderr
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert code_of(exc) == "InvalidClientTokenId"
