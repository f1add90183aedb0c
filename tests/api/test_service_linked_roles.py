"""Service-linked roles through boto3: create, protect, delete with a task, poll."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .service_support import set_resources
from .sts_support import allow, code_of, user

ECS = "ecs.amazonaws.com"
ECS_ROLE = "AWSServiceRoleForECS"
SCALING = "autoscaling.amazonaws.com"
PROTECTED = (
    "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS"
)
TASK = re.compile(r"task/aws-service-role/([^/]+)/([^/]+)/[0-9a-f-]{36}")


def error(exc: Any) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_without_suffix(iam: Any, account: Credentials) -> None:
    role = iam.create_service_linked_role(AWSServiceName=ECS)["Role"]
    assert role["RoleName"] == ECS_ROLE
    assert role["Path"] == f"/aws-service-role/{ECS}/"
    assert (
        role["Arn"] == f"arn:aws:iam::{account.account_id}:role/aws-service-role/{ECS}/{ECS_ROLE}"
    )
    assert role["RoleId"].startswith("AROA")
    assert "Description" not in role  # AWS sets none unless asked (recorded answers)
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": ECS}, "Action": "sts:AssumeRole"}
    ]
    got = iam.get_role(RoleName=ECS_ROLE)["Role"]
    assert got["Arn"] == role["Arn"] and "PermissionsBoundary" not in got
    attached = iam.list_attached_role_policies(RoleName=ECS_ROLE)["AttachedPolicies"]
    arn = "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"
    assert attached == [{"PolicyName": "AmazonECSServiceRolePolicy", "PolicyArn": arn}]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Path"] == "/aws-service-role/"
    listed = iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert [r["RoleName"] for r in listed] == [ECS_ROLE]


def test_create_with_custom_suffix_and_description(iam: Any) -> None:
    default = iam.create_service_linked_role(AWSServiceName=SCALING)["Role"]
    assert default["RoleName"] == "AWSServiceRoleForAutoScaling"
    blue = iam.create_service_linked_role(
        AWSServiceName=SCALING, CustomSuffix="blue", Description="for the blue fleet"
    )["Role"]
    assert blue["RoleName"] == "AWSServiceRoleForAutoScaling_blue"
    assert blue["Path"] == f"/aws-service-role/{SCALING}/"
    assert blue["Description"] == "for the blue fleet"
    names = [
        r["RoleName"] for r in iam.list_roles(PathPrefix=f"/aws-service-role/{SCALING}/")["Roles"]
    ]
    assert names == ["AWSServiceRoleForAutoScaling", "AWSServiceRoleForAutoScaling_blue"]


def test_duplicate_names_are_taken(iam: Any) -> None:
    iam.create_service_linked_role(AWSServiceName=ECS)
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName=ECS)
    assert error(exc) == (
        "InvalidInput",
        400,
        f"Service role name {ECS_ROLE} has been taken in this account, "
        "please try a different suffix.",
    )
    iam.create_service_linked_role(AWSServiceName=SCALING, CustomSuffix="a")
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName=SCALING, CustomSuffix="a")
    assert "AWSServiceRoleForAutoScaling_a has been taken" in error(exc)[2]


def test_custom_suffix_not_allowed(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(
            AWSServiceName="elasticloadbalancing.amazonaws.com", CustomSuffix="x"
        )
    assert error(exc) == (
        "InvalidInput",
        400,
        "Custom suffix is not allowed for elasticloadbalancing.amazonaws.com",
    )
    assert iam.list_roles()["Roles"] == []


@pytest.mark.parametrize(
    "name", ["nosuch.amazonaws.com", "ECS.amazonaws.com", "ec2.amazonaws.com", "jobs.unregistered"]
)
def test_unknown_services_and_services_without_a_linked_role(iam: Any, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName=name)
    assert error(exc)[:2] == ("InvalidInput", 400)
    assert name in error(exc)[2]


def test_customers_cannot_change_the_role(iam: Any) -> None:
    iam.create_service_linked_role(AWSServiceName=ECS)
    mine = iam.create_policy(
        PolicyName="mine",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow("s3:GetObject")]}),
    )["Policy"]["Arn"]
    document = json.dumps({"Version": "2012-10-17", "Statement": [allow("s3:*")]})
    ecs_policy = "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"
    edits: list[Callable[[], Any]] = [
        lambda: iam.update_assume_role_policy(
            RoleName=ECS_ROLE, PolicyDocument=document.replace("s3:*", "x:y")
        ),
        lambda: iam.put_role_policy(RoleName=ECS_ROLE, PolicyName="p", PolicyDocument=document),
        lambda: iam.delete_role_policy(RoleName=ECS_ROLE, PolicyName="p"),
        lambda: iam.attach_role_policy(RoleName=ECS_ROLE, PolicyArn=mine),
        lambda: iam.detach_role_policy(RoleName=ECS_ROLE, PolicyArn=ecs_policy),
        lambda: iam.put_role_permissions_boundary(RoleName=ECS_ROLE, PermissionsBoundary=mine),
        lambda: iam.delete_role_permissions_boundary(RoleName=ECS_ROLE),
        lambda: iam.update_role(RoleName=ECS_ROLE, MaxSessionDuration=7200),
        lambda: iam.delete_role(RoleName=ECS_ROLE),
    ]
    for edit in edits:
        with pytest.raises(ClientError) as exc:
            edit()
        assert error(exc) == ("UnmodifiableEntity", 400, PROTECTED.format(ECS_ROLE))
    role = iam.get_role(RoleName=ECS_ROLE)["Role"]
    assert role["MaxSessionDuration"] == 3600 and "PermissionsBoundary" not in role
    assert iam.list_role_policies(RoleName=ECS_ROLE)["PolicyNames"] == []
    assert len(iam.list_attached_role_policies(RoleName=ECS_ROLE)["AttachedPolicies"]) == 1


def test_description_and_tags_can_change(iam: Any) -> None:
    iam.create_service_linked_role(AWSServiceName=ECS)
    updated = iam.update_role_description(RoleName=ECS_ROLE, Description="ours now")["Role"]
    assert updated["Description"] == "ours now"
    iam.update_role(RoleName=ECS_ROLE, Description="again")
    iam.tag_role(RoleName=ECS_ROLE, Tags=[{"Key": "team", "Value": "infra"}])
    role = iam.get_role(RoleName=ECS_ROLE)["Role"]
    assert role["Description"] == "again"
    assert role["Tags"] == [{"Key": "team", "Value": "infra"}]


def test_deletion_task_succeeds(iam: Any) -> None:
    iam.create_service_linked_role(AWSServiceName=ECS)
    iam.tag_role(RoleName=ECS_ROLE, Tags=[{"Key": "k", "Value": "v"}])
    task_id = iam.delete_service_linked_role(RoleName=ECS_ROLE)["DeletionTaskId"]
    match = TASK.fullmatch(task_id)
    assert match is not None and match.groups() == (ECS, ECS_ROLE)
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task_id)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=ECS_ROLE)
    assert error(exc)[0] == "NoSuchEntity"
    # The AWS managed policy stays; the role can be created again, with a new id.
    iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy")
    again = iam.create_service_linked_role(AWSServiceName=ECS)["Role"]
    assert "Tags" not in iam.get_role(RoleName=ECS_ROLE)["Role"]
    assert again["RoleName"] == ECS_ROLE


def test_deletion_task_fails_while_resources_use_the_role(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    iam.create_service_linked_role(AWSServiceName=ECS)
    cluster = f"arn:aws:ecs:us-east-1:{account.account_id}:cluster/prod"
    other = f"arn:aws:ecs:eu-west-1:{account.account_id}:cluster/eu"
    set_resources(iamd_server, ECS, account, ECS_ROLE, [cluster])
    set_resources(iamd_server, ECS, account, ECS_ROLE, [other], region="eu-west-1")
    task_id = iam.delete_service_linked_role(RoleName=ECS_ROLE)["DeletionTaskId"]
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task_id)
    assert status["Status"] == "FAILED"
    assert ECS_ROLE in status["Reason"]["Reason"] and ECS in status["Reason"]["Reason"]
    assert status["Reason"]["RoleUsageList"] == [
        {"Region": "eu-west-1", "Resources": [other]},
        {"Region": "us-east-1", "Resources": [cluster]},
    ]
    assert iam.get_role(RoleName=ECS_ROLE)["Role"]["RoleName"] == ECS_ROLE
    # The service lets go of the role: a new task deletes it.
    set_resources(iamd_server, ECS, account, ECS_ROLE, [])
    set_resources(iamd_server, ECS, account, ECS_ROLE, [], region="eu-west-1")
    second = iam.delete_service_linked_role(RoleName=ECS_ROLE)["DeletionTaskId"]
    assert second != task_id
    assert (
        iam.get_service_linked_role_deletion_status(DeletionTaskId=second)["Status"] == "SUCCEEDED"
    )
    # The failed task keeps its answer.
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task_id)["Status"] == "FAILED"


def test_deletion_status_errors(iamd_server: IamdServer, iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_service_linked_role_deletion_status(DeletionTaskId="not-a-task")
    assert error(exc)[:2] == ("InvalidInput", 400)
    missing = f"task/aws-service-role/{ECS}/{ECS_ROLE}/00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as exc:
        iam.get_service_linked_role_deletion_status(DeletionTaskId=missing)
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    iam.create_service_linked_role(AWSServiceName=ECS)
    task_id = iam.delete_service_linked_role(RoleName=ECS_ROLE)["DeletionTaskId"]
    stranger = iamd_server.client("iam", iamd_server.create_account())
    with pytest.raises(ClientError) as exc:
        stranger.get_service_linked_role_deletion_status(DeletionTaskId=task_id)
    assert error(exc)[0] == "NoSuchEntity"


def test_delete_service_linked_role_needs_one(iam: Any) -> None:
    iam.create_role(
        RoleName="mine",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": ECS}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    for name in ("mine", "absent"):
        with pytest.raises(ClientError) as exc:
            iam.delete_service_linked_role(RoleName=name)
        assert error(exc)[:2] == ("NoSuchEntity", 404)
    iam.get_role(RoleName="mine")


def test_create_is_authorized_with_the_service_name(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    statement = allow(
        "iam:CreateServiceLinkedRole",
        f"arn:aws:iam::*:role/aws-service-role/{ECS}/*",
        Condition={"StringEquals": {"iam:AWSServiceName": ECS}},
    )
    creds = user(iam, "ops", statement, account=str(account.account_id))
    ops = iamd_server.client("iam", creds)
    assert ops.create_service_linked_role(AWSServiceName=ECS)["Role"]["RoleName"] == ECS_ROLE
    with pytest.raises(ClientError) as exc:
        ops.create_service_linked_role(AWSServiceName=SCALING)
    assert code_of(exc) == "AccessDenied"
    assert "iam:CreateServiceLinkedRole" in error(exc)[2]
    with pytest.raises(ClientError) as exc:
        ops.delete_service_linked_role(RoleName=ECS_ROLE)
    assert code_of(exc) == "AccessDenied"


def test_aws_cli(aws: Any) -> None:
    created = aws("iam", "create-service-linked-role", "--aws-service-name", "rds.amazonaws.com")
    assert created.returncode == 0, created.stderr
    assert created.json()["Role"]["RoleName"] == "AWSServiceRoleForRDS"
    deleted = aws("iam", "delete-service-linked-role", "--role-name", "AWSServiceRoleForRDS")
    assert deleted.returncode == 0, deleted.stderr
    task_id = deleted.json()["DeletionTaskId"]
    status = aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task_id)
    assert status.json()["Status"] == "SUCCEEDED"


TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def test_service_role_policies_attach_to_no_customer_entity(iam: Any) -> None:
    arn = "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"
    iam.create_role(RoleName="customer", AssumeRolePolicyDocument=TRUST_EC2)
    iam.create_user(UserName="someone")
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(RoleName="customer", PolicyArn=arn)
    assert error(exc) == (
        "PolicyNotAttachable",
        400,
        "Cannot attach a Service Role Policy to a Customer Role.",
    )
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName="someone", PolicyArn=arn)
    assert error(exc)[0] == "PolicyNotAttachable"
    assert iam.list_attached_role_policies(RoleName="customer")["AttachedPolicies"] == []


def test_a_service_linked_role_joins_no_instance_profile(iam: Any) -> None:
    iam.create_service_linked_role(AWSServiceName=ECS)
    iam.create_instance_profile(InstanceProfileName="web")
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName=ECS_ROLE)
    assert error(exc) == ("UnmodifiableEntity", 400, PROTECTED.format(ECS_ROLE))
    assert iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Roles"] == []


# Application Auto Scaling: one linked role per scalable resource type, each trusting its own
# principal, with its AWS managed policy (AWS's "Service-linked roles for Application Auto
# Scaling" and "AWS managed policies for Application Auto Scaling" pages).
APPLICATION_AUTO_SCALING = [
    ("appstream", "AppStreamFleet", "AWSApplicationAutoscalingAppStreamFleetPolicy"),
    ("cassandra", "CassandraTable", "AWSApplicationAutoscalingCassandraTablePolicy"),
    ("comprehend", "ComprehendEndpoint", "AWSApplicationAutoscalingComprehendEndpointPolicy"),
    ("custom-resource", "CustomResource", "AWSApplicationAutoScalingCustomResourcePolicy"),
    ("dynamodb", "DynamoDBTable", "AWSApplicationAutoscalingDynamoDBTablePolicy"),
    ("ec2", "EC2SpotFleetRequest", "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy"),
    ("ecs", "ECSService", "AWSApplicationAutoscalingECSServicePolicy"),
    ("elasticache", "ElastiCacheRG", "AWSApplicationAutoscalingElastiCacheRGPolicy"),
    ("kafka", "KafkaCluster", "AWSApplicationAutoscalingKafkaClusterPolicy"),
    ("lambda", "LambdaConcurrency", "AWSApplicationAutoscalingLambdaConcurrencyPolicy"),
    ("neptune", "NeptuneCluster", "AWSApplicationAutoscalingNeptuneClusterPolicy"),
    ("rds", "RDSCluster", "AWSApplicationAutoscalingRDSClusterPolicy"),
    ("sagemaker", "SageMakerEndpoint", "AWSApplicationAutoscalingSageMakerEndpointPolicy"),
    ("workspaces", "WorkSpacesPool", "AWSApplicationAutoscalingWorkSpacesPoolPolicy"),
]


@pytest.mark.parametrize(
    ("resource", "suffix", "policy_name"),
    APPLICATION_AUTO_SCALING,
    ids=[row[0] for row in APPLICATION_AUTO_SCALING],
)
def test_application_auto_scaling_linked_roles(
    iam: Any, account: Credentials, resource: str, suffix: str, policy_name: str
) -> None:
    principal = f"{resource}.application-autoscaling.amazonaws.com"
    name = f"AWSServiceRoleForApplicationAutoScaling_{suffix}"
    created = iam.create_service_linked_role(AWSServiceName=principal)["Role"]
    role = iam.get_role(RoleName=name)["Role"]
    assert created["RoleName"] == role["RoleName"] == name
    assert role["Path"] == f"/aws-service-role/{principal}/"
    assert role["Arn"] == (
        f"arn:aws:iam::{account.account_id}:role/aws-service-role/{principal}/{name}"
    )
    assert role["MaxSessionDuration"] == 3600
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
        ],
    }
    policy_arn = f"arn:aws:iam::aws:policy/aws-service-role/{policy_name}"
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [
        {"PolicyName": policy_name, "PolicyArn": policy_arn}
    ]
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["Path"] == "/aws-service-role/"
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName=principal, CustomSuffix="testsuffix")
    assert error(exc) == ("InvalidInput", 400, f"Custom suffix is not allowed for {principal}")


RECORDED = json.loads(
    (Path(__file__).parent.parent / "cases" / "wire" / "service_linked_roles.json").read_text()
)["roles"]


@pytest.mark.parametrize("row", RECORDED, ids=[row["service"] for row in RECORDED])
def test_linked_roles_as_aws_answered(iam: Any, account: Credentials, row: dict[str, Any]) -> None:
    principal, name, policy_name = row["service"], row["role_name"], row["policy"]
    iam.create_service_linked_role(AWSServiceName=principal)
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Arn"] == (
        f"arn:aws:iam::{account.account_id}:role/aws-service-role/{principal}/{name}"
    )
    assert (role["Path"], role["MaxSessionDuration"], role.get("Description")) == (
        f"/aws-service-role/{principal}/",
        3600,
        row["description"],
    )
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
    ]
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [
        {
            "PolicyName": policy_name,
            "PolicyArn": f"arn:aws:iam::aws:policy/aws-service-role/{policy_name}",
        }
    ]
    if row["custom_suffix"]:
        suffixed = iam.create_service_linked_role(AWSServiceName=principal, CustomSuffix="blue")
        assert suffixed["Role"]["RoleName"] == f"{name}_blue"
        assert "Description" not in suffixed["Role"]
    else:
        with pytest.raises(ClientError) as exc:
            iam.create_service_linked_role(AWSServiceName=principal, CustomSuffix="testsuffix")
        assert error(exc) == ("InvalidInput", 400, f"Custom suffix is not allowed for {principal}")
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName=principal)
    assert error(exc) == (
        "InvalidInput",
        400,
        f"Service role name {name} has been taken in this account, please try a different suffix.",
    )
