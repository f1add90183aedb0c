"""What the wire says is what AWS says: one row per answer recorded from real AWS (the
AWS-validated snapshots LocalStack keeps, and issue #12's table), checked through boto3
for code, HTTP status and exact message. ``{account}`` stands for the test's account."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer

UNKNOWN_FIELD = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Bogus": 1}],
    }
)

Call = Callable[[Any, Any], Any]

INVALID_PATH = (
    "The specified value for path is invalid. It must begin and end with / and contain only "
    "alphanumeric characters and/or / characters."
)


def _fifty_one_tags(iam: Any, sts: Any) -> None:
    iam.tag_user(UserName="u", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    iam.tag_user(UserName="u", Tags=[{"Key": "one-more", "Value": "v"}])


def _same_device_twice(iam: Any, sts: Any) -> None:
    iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")


def _batch_role_twice(iam: Any, sts: Any) -> None:
    iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")


CASES: list[tuple[str, Call, str, int, str]] = [
    (
        "policy grammar errors are bare",
        lambda iam, sts: iam.create_policy(PolicyName="p", PolicyDocument=UNKNOWN_FIELD),
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    ),
    (
        "policy that is not JSON",
        lambda iam, sts: iam.create_policy(PolicyName="p", PolicyDocument="{not json"),
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    ),
    (
        "a managed policy's missing Version is reported first",
        lambda iam, sts: iam.create_policy(
            PolicyName="p",
            PolicyDocument='{"Statement":[{"Sid":"a","Effect":"Allow","Resource":"*"}]}',
        ),
        "MalformedPolicyDocument",
        400,
        "Policy document must be version 2012-10-17 or greater.",
    ),
    (
        "SID uniqueness before missing actions",
        lambda iam, sts: iam.create_policy(
            PolicyName="p",
            PolicyDocument=(
                '{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow",'
                '"Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
            ),
        ),
        "MalformedPolicyDocument",
        400,
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    (
        "legacy parsing before missing actions",
        lambda iam, sts: iam.create_policy(
            PolicyName="p",
            PolicyDocument=(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                '"Resource":"arn:aws:s3::example_bucket"}]}'
            ),
        ),
        "MalformedPolicyDocument",
        400,
        "The policy failed legacy parsing",
    ),
    (
        "deleting a policy that does not exist",
        lambda iam, sts: iam.delete_policy(
            PolicyArn="arn:aws:iam::{account}:policy/non-existent-policy"
        ),
        "NoSuchEntity",
        404,
        "Policy arn:aws:iam::{account}:policy/non-existent-policy was not found.",
    ),
    (
        "IAM names the member, not the value",
        lambda iam, sts: iam.update_service_specific_credential(
            UserName="u",
            ServiceSpecificCredentialId="totally-wrong-credential-id-with-hyphens",
            Status="Active",
        ),
        "ValidationError",
        400,
        "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w]+",
    ),
    (
        "IAM's enum message lists no members",
        lambda iam, sts: iam.update_service_specific_credential(
            UserName="u", ServiceSpecificCredentialId="ACCAEXAMPLE123EXAMPLE", Status="Sleeping"
        ),
        "ValidationError",
        400,
        "1 validation error detected: Value at 'status' failed to satisfy constraint: Member "
        "must satisfy enum value set",
    ),
    (
        "a credential that does not exist",
        lambda iam, sts: iam.update_service_specific_credential(
            UserName="u",
            ServiceSpecificCredentialId="satisfiesregexbutstillinvalid",
            Status="Active",
        ),
        "NoSuchEntity",
        404,
        "No such credential satisfiesregexbutstillinvalid exists",
    ),
    (
        "a service without service-specific credentials",
        lambda iam, sts: iam.create_service_specific_credential(
            UserName="u", ServiceName="o3on3n3onosneo"
        ),
        "NoSuchEntity",
        404,
        "No such service o3on3n3onosneo is supported for Service Specific Credentials",
    ),
    (
        "a user that does not exist",
        lambda iam, sts: iam.create_service_specific_credential(
            UserName="non-existent-user", ServiceName="codecommit.amazonaws.com"
        ),
        "NoSuchEntity",
        404,
        "The user with name non-existent-user cannot be found.",
    ),
    (
        "a marker iamd did not issue",
        lambda iam, sts: iam.list_users(Marker="not-a-marker"),
        "ValidationError",
        400,
        "Invalid Marker.",
    ),
    (
        "deleting an OIDC provider that does not exist",
        lambda iam, sts: iam.delete_open_id_connect_provider(
            OpenIDConnectProviderArn="arn:aws:iam::{account}:oidc-provider/nowhere.example.com"
        ),
        "NoSuchEntity",
        404,
        "OpenId connect Provider arn:aws:iam::{account}:oidc-provider/nowhere.example.com cannot "
        "be found.",
    ),
    (
        "an OIDC provider URL that is not https",
        lambda iam, sts: iam.create_open_id_connect_provider(Url="ftp://example.com"),
        "ValidationError",
        400,
        "Invalid Open ID Connect Provider URL",
    ),
    (
        "the 51st tag",
        _fifty_one_tags,
        "LimitExceeded",
        409,
        "The number of tags has reached the maximum limit.",
    ),
    (
        "a virtual MFA device that already exists",
        _same_device_twice,
        "EntityAlreadyExists",
        409,
        "MFA device already exists.",
    ),
    (
        "attaching a policy by something that is not an ARN",
        lambda iam, sts: iam.attach_user_policy(UserName="u", PolicyArn="longpolicynamebutnoarn"),
        "ValidationError",
        400,
        "Invalid ARN:  Could not be parsed!",
    ),
    (
        "a trust policy that is not JSON",
        lambda iam, sts: iam.create_role(
            RoleName="r",
            AssumeRolePolicyDocument=(
                '{"Version": "2012-10-17", "Statement": [{"Action": "sts:AssumeRole", '
                '"Principal": "*", "Effect": "Allow",}]}'
            ),
        ),
        "MalformedPolicyDocument",
        400,
        "This policy contains invalid Json",
    ),
    (
        "a custom suffix for a service that takes none",
        lambda iam, sts: iam.create_service_linked_role(
            AWSServiceName="ecs.amazonaws.com", CustomSuffix="testsuffix"
        ),
        "InvalidInput",
        400,
        "Custom suffix is not allowed for ecs.amazonaws.com",
    ),
    (
        "a resource with a partition and nothing else",
        lambda iam, sts: iam.create_policy(
            PolicyName="p",
            PolicyDocument=(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
                '"Resource":"arn:aws"}]}'
            ),
        ),
        "MalformedPolicyDocument",
        400,
        "Resource vendor must be fully qualified and cannot contain regexes.",
    ),
    (
        "a resource with colons that is no ARN",
        lambda iam, sts: iam.create_policy(
            PolicyName="p",
            PolicyDocument=(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
                '"Resource":"a:b:cadfsdf"}]}'
            ),
        ),
        "MalformedPolicyDocument",
        400,
        'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".',
    ),
    (
        "a virtual MFA device path without slashes",
        lambda iam, sts: iam.create_virtual_mfa_device(Path="test", VirtualMFADeviceName="d"),
        "ValidationError",
        400,
        INVALID_PATH,
    ),
    (
        "a virtual MFA device path with an empty segment",
        lambda iam, sts: iam.create_virtual_mfa_device(
            Path="/test//test/", VirtualMFADeviceName="d"
        ),
        "ValidationError",
        400,
        INVALID_PATH,
    ),
    (
        "an IAM resource that is no IAM resource type",
        lambda iam, sts: iam.put_user_policy(
            UserName="u",
            PolicyName="p",
            PolicyDocument=(
                '{"Version":"2012-10-17","Statement":{"Effect":"Allow",'
                '"Action":"s3:ListBucket","Resource":"arn:aws:iam:::example_bucket"}}'
            ),
        ),
        "MalformedPolicyDocument",
        400,
        'IAM resource path must either be "*", root, or start with user/, federated-user/, '
        "role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, "
        "saml-provider/, oidc-provider/, report/, access-report/.",
    ),
    (
        "a service-linked role that exists already",
        _batch_role_twice,
        "InvalidInput",
        400,
        "Service role name AWSServiceRoleForBatch has been taken in this account, please try a "
        "different suffix.",
    ),
    (
        "AssumeRole with the role ARN nothing-valid-in-here",
        lambda iam, sts: sts.assume_role(
            RoleArn="nothing-valid-in-here", RoleSessionName="Session1"
        ),
        "ValidationError",
        400,
        "nothing-valid-in-here is invalid",
    ),
    (
        "AssumeRole with the role ARN arn::b:::something/test-role",
        lambda iam, sts: sts.assume_role(
            RoleArn="arn::b:::something/test-role", RoleSessionName="Session1"
        ),
        "ValidationError",
        400,
        "arn::b:::something/test-role is invalid",
    ),
    (
        "AssumeRole with the role ARN arn:a::::something/test-role",
        lambda iam, sts: sts.assume_role(
            RoleArn="arn:a::::something/test-role", RoleSessionName="Session1"
        ),
        "ValidationError",
        400,
        "arn:a::::something/test-role is invalid",
    ),
    (
        "AssumeRole with the role ARN arn:a:::something/test-role",
        lambda iam, sts: sts.assume_role(
            RoleArn="arn:a:::something/test-role", RoleSessionName="Session1"
        ),
        "ValidationError",
        400,
        "arn:a:::something/test-role is invalid",
    ),
    (
        "AssumeRole with the role ARN arn:a:a::aaaaaaaaaa:",
        lambda iam, sts: sts.assume_role(
            RoleArn="arn:a:a::aaaaaaaaaa:", RoleSessionName="Session1"
        ),
        "ValidationError",
        400,
        "arn:a:a::aaaaaaaaaa: is invalid",
    ),
    (
        "STS still echoes the value",
        lambda iam, sts: sts.assume_role(
            RoleArn="arn:aws:iam::{account}:role/r", RoleSessionName="Session1:2"
        ),
        "ValidationError",
        400,
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    ),
]


def _filled(value: Any, account: str) -> Any:
    if isinstance(value, str):
        return value.replace("{account}", account)
    return value


class _Filling:
    """A boto3 client whose string arguments have ``{account}`` filled in."""

    def __init__(self, client: Any, account: str) -> None:
        self._client, self._account = client, account

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            return method(**{k: _filled(v, self._account) for k, v in kwargs.items()})

        return call


@pytest.mark.parametrize(
    ("name", "call", "code", "status", "message"), CASES, ids=[c[0] for c in CASES]
)
def test_the_wire_says_what_aws_says(
    iamd_server: IamdServer,
    account: Credentials,
    iam: Any,
    name: str,
    call: Call,
    code: str,
    status: int,
    message: str,
) -> None:
    iam.create_user(UserName="u")
    acct = str(account.account_id)
    raw_iam = _Filling(iamd_server.client("iam", account, validate=False), acct)
    key = iam.create_access_key(UserName="u")["AccessKey"]  # STS as a user, not the root
    u = Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=acct)
    raw_sts = _Filling(iamd_server.client("sts", u, validate=False), acct)
    with pytest.raises(ClientError) as error:
        call(raw_iam, raw_sts)
    got = error.value.response
    assert (
        got["Error"]["Code"],
        got["ResponseMetadata"]["HTTPStatusCode"],
        got["Error"]["Message"],
    ) == (code, status, message.replace("{account}", acct)), name


def test_an_instance_profile_without_tags_has_an_empty_list(iam: Any) -> None:
    iam.create_instance_profile(InstanceProfileName="bare")
    got = iam.get_instance_profile(InstanceProfileName="bare")["InstanceProfile"]
    assert got["Tags"] == []


def test_iam_resources_of_a_known_type_or_root_are_accepted(iam: Any, account: Credentials) -> None:
    resources = [
        f"arn:aws:iam::{account.account_id}:root",
        "arn:aws:iam::*:*",
        "arn:aws:iam::*:role/aws-service-role/*",
        "arn:aws:iam::*:access-report/*",
    ]
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": resources}],
        }
    )
    iam.create_policy(PolicyName="known-types", PolicyDocument=document)


def test_a_virtual_mfa_device_path_that_is_well_formed_is_kept(iam: Any) -> None:
    serial = iam.create_virtual_mfa_device(Path="/team/a/", VirtualMFADeviceName="d")[
        "VirtualMFADevice"
    ]["SerialNumber"]
    assert serial.endswith(":mfa/team/a/d")
    with pytest.raises(ClientError) as error:
        iam.create_virtual_mfa_device(Path="/" + "a" * 600 + "/", VirtualMFADeviceName="e")
    assert error.value.response["Error"]["Message"] == (
        "1 validation error detected: Value at 'path' failed to satisfy constraint: "
        "Member must have length less than or equal to 512"
    )


def test_get_policy_without_tags_has_an_empty_list(iam: Any) -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    created = iam.create_policy(PolicyName="bare", PolicyDocument=document)["Policy"]
    assert "Tags" not in created  # CreatePolicy shows tags only when given, as AWS does
    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert got["Tags"] == []
    assert sorted(got) == [
        "Arn",
        "AttachmentCount",
        "CreateDate",
        "DefaultVersionId",
        "IsAttachable",
        "Path",
        "PermissionsBoundaryUsageCount",
        "PolicyId",
        "PolicyName",
        "Tags",
        "UpdateDate",
    ]
