"""The policy simulator over the wire, compared with ``iamd policy simulate`` offline.

SimulateCustomPolicy must return exactly what the CLI prints for the same input;
SimulatePrincipalPolicy must decide as the CLI does for the entity's policies, naming
where each matched statement came from.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .sts_support import role, trust, user

ACCOUNT_B = "210987654321"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def offline(params: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "policy", "simulate", "--input", "-"],
        input=json.dumps(params),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def entries(*items: tuple[str, str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"ContextKeyName": name, "ContextKeyType": kind, "ContextKeyValues": values}
        for name, kind, values in items
    ]


S3_READ = {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}
CUSTOM_CASES: dict[str, dict[str, Any]] = {
    "allow-and-implicit-deny": {
        "PolicyInputList": [doc(S3_READ)],
        "ActionNames": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "ResourceArns": ["arn:aws:s3:::bucket/key", "arn:aws:s3:::bucket"],
    },
    "explicit-deny-across-policies": {
        "PolicyInputList": [
            doc(S3_READ),
            doc({"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*"}),
        ],
        "ActionNames": ["s3:GetObject"],
        "ResourceArns": ["arn:aws:s3:::secret/a", "arn:aws:s3:::public/a"],
    },
    "typed-context-and-missing-keys": {
        "PolicyInputList": [
            doc(
                {
                    "Effect": "Allow",
                    "Action": "ec2:*",
                    "Resource": "*",
                    "Condition": {
                        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                        "NumericLessThan": {"ec2:Count": "5"},
                        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    },
                }
            )
        ],
        "ActionNames": ["ec2:RunInstances"],
        "ContextEntries": entries(
            ("aws:SourceIp", "ip", ["10.1.2.3"]),
            ("ec2:Count", "numeric", ["3"]),
            ("aws:CurrentTime", "date", ["2024-05-01T00:00:00Z"]),
            ("aws:TagKeys", "stringList", ["team"]),
        ),
    },
    "permissions-boundary": {
        "PolicyInputList": [doc({"Effect": "Allow", "Action": "*", "Resource": "*"})],
        "PermissionsBoundaryPolicyInputList": [doc(S3_READ)],
        "ActionNames": ["s3:GetObject", "iam:CreateUser"],
    },
    "resource-policy-same-account": {
        "PolicyInputList": [doc({"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"})],
        "ResourcePolicy": doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
                "Action": "sqs:SendMessage",
                "Resource": "arn:aws:sqs:us-east-1:123456789012:q",
            }
        ),
        "CallerArn": "arn:aws:iam::123456789012:user/alice",
        "ActionNames": ["sqs:SendMessage", "sqs:DeleteQueue"],
        "ResourceArns": ["arn:aws:sqs:us-east-1:123456789012:q"],
    },
    "resource-policy-cross-account": {
        "PolicyInputList": [doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})],
        "ResourcePolicy": doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "123456789012"},
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::theirs/*",
            }
        ),
        "CallerArn": "arn:aws:iam::123456789012:user/alice",
        "ResourceOwner": f"arn:aws:iam::{ACCOUNT_B}:root",
        "ActionNames": ["s3:GetObject", "s3:PutObject"],
        "ResourceArns": ["arn:aws:s3:::theirs/k"],
    },
    "assume-role-needs-the-trust-policy": {
        "PolicyInputList": [doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})],
        "ResourcePolicy": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        "CallerArn": "arn:aws:iam::123456789012:user/alice",
        "ActionNames": ["sts:AssumeRole"],
        "ResourceArns": ["arn:aws:iam::123456789012:role/admin"],
    },
}


@pytest.mark.parametrize("case", sorted(CUSTOM_CASES))
def test_simulate_custom_policy_is_what_the_cli_prints(iam: Any, case: str) -> None:
    params = CUSTOM_CASES[case]
    online = iam.simulate_custom_policy(**params)
    assert online["IsTruncated"] is False
    assert online["EvaluationResults"] == offline(params)["EvaluationResults"]


def test_custom_decisions_are_as_expected(iam: Any) -> None:
    """A few decisions spelled out, so the comparison above is not of two wrong answers."""

    def decisions(case: str) -> list[str]:
        results = iam.simulate_custom_policy(**CUSTOM_CASES[case])["EvaluationResults"]
        return [r["EvalDecision"] for r in results]

    assert decisions("explicit-deny-across-policies") == ["explicitDeny", "allowed"]
    assert decisions("permissions-boundary") == ["allowed", "implicitDeny"]
    assert decisions("resource-policy-cross-account") == ["allowed", "implicitDeny"]
    assert decisions("assume-role-needs-the-trust-policy") == ["implicitDeny"]
    (typed,) = iam.simulate_custom_policy(**CUSTOM_CASES["typed-context-and-missing-keys"])[
        "EvaluationResults"
    ]
    assert typed["MissingContextValues"] == ["aws:MultiFactorAuthPresent"]


def test_simulate_custom_policy_pages(iam: Any) -> None:
    params = {**CUSTOM_CASES["allow-and-implicit-deny"]}
    everything = offline(params)["EvaluationResults"]
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        **params, PaginationConfig={"PageSize": 4}
    )
    seen = [list(p["EvaluationResults"]) for p in pages]
    assert [len(p) for p in seen] == [4, 2]
    assert [r for p in seen for r in p] == everything


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"PolicyInputList": ["{"], "ActionNames": ["s3:GetObject"]}, "MalformedPolicyDocument"),
        (
            {
                "PolicyInputList": [doc(S3_READ)],
                "ResourcePolicy": doc(
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                ),
                "ActionNames": ["s3:GetObject"],
            },
            "InvalidInput",
        ),
        (
            {"PolicyInputList": [doc(S3_READ)], "ActionNames": ["s3:GetObject"], "Marker": "x"},
            "ValidationError",
        ),
    ],
)
def test_simulate_custom_policy_errors(iam: Any, params: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as raised:
        iam.simulate_custom_policy(**params)
    assert raised.value.response["Error"]["Code"] == code


# -- SimulatePrincipalPolicy ----------------------------------------------------------------


def _setup_alice(iam: Any, account: str) -> str:
    """alice: an inline policy, a group with an AWS managed and a customer managed policy,
    and a boundary."""
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(
        UserName="alice",
        PolicyName="own",
        PolicyDocument=doc(
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        ),
    )
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    iam.attach_group_policy(
        GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    custom = iam.create_policy(
        PolicyName="sqs-send",
        PolicyDocument=doc({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}),
    )["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=custom)
    boundary = iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=doc({"Effect": "Allow", "Action": ["s3:*", "sts:*"], "Resource": "*"}),
    )["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=boundary)
    return f"arn:aws:iam::{account}:user/alice"


def test_simulate_principal_policy_names_where_statements_come_from(
    iam: Any, account: Credentials
) -> None:
    arn = _setup_alice(iam, str(account.account_id))
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["s3:PutObject", "s3:GetObject", "s3:DeleteBucket", "sqs:SendMessage"],
    )["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}

    def sources(action: str) -> list[tuple[str, str]]:
        return [
            (m["SourcePolicyId"], m["SourcePolicyType"])
            for m in by_action[action]["MatchedStatements"]
        ]

    assert by_action["s3:PutObject"]["EvalDecision"] == "allowed"
    assert ("user_alice_own", "IAM Policy") in sources("s3:PutObject")
    assert by_action["s3:GetObject"]["EvalDecision"] == "allowed"
    assert ("AmazonS3ReadOnlyAccess", "IAM Policy") in sources("s3:GetObject")
    assert by_action["s3:DeleteBucket"]["EvalDecision"] == "explicitDeny"
    assert sources("s3:DeleteBucket") == [("user_alice_own", "IAM Policy")]
    # Allowed by the group's customer managed policy, but outside the boundary.
    send = by_action["sqs:SendMessage"]
    assert send["EvalDecision"] == "implicitDeny"
    assert send["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    # A boundary passed in replaces the user's own.
    wider = iam.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["sqs:SendMessage"],
        PermissionsBoundaryPolicyInputList=[
            doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
        ],
    )["EvaluationResults"][0]
    assert wider["EvalDecision"] == "allowed"
    assert ("sqs-send", "IAM Policy") in [
        (m["SourcePolicyId"], m["SourcePolicyType"]) for m in wider["MatchedStatements"]
    ]


def test_simulate_principal_policy_decides_as_the_cli_does(iam: Any, account: Credentials) -> None:
    """The same policies given to the CLI decide the same, with the same missing keys."""
    statements = [
        {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"dynamodb:LeadingKeys": "x"}},
        },
        {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"},
    ]
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=doc(*statements))
    extra = doc({"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"})
    actions = ["dynamodb:GetItem", "dynamodb:DeleteTable", "sns:Publish", "sqs:SendMessage"]
    online = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{account.account_id}:user/bob",
        PolicyInputList=[extra],
        ActionNames=actions,
    )["EvaluationResults"]
    cli = offline(
        {
            "PolicyInputList": [doc(*statements), extra],
            "ActionNames": actions,
            "CallerArn": f"arn:aws:iam::{account.account_id}:user/bob",
        }
    )["EvaluationResults"]

    def essence(results: list[dict[str, Any]]) -> list[tuple[str, str, list[str]]]:
        return [
            (r["EvalActionName"], r["EvalDecision"], r["MissingContextValues"]) for r in results
        ]

    assert essence(online) == essence(cli)
    publish = next(r for r in online if r["EvalActionName"] == "sns:Publish")
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in publish["MatchedStatements"]] == [
        ("PolicyInputList.1", "IAM Policy")
    ]


def test_assume_role_is_simulated_with_the_roles_trust_policy(
    iam: Any, account: Credentials
) -> None:
    owner = str(account.account_id)
    assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    user(iam, "carol", assume, account=owner)
    user(iam, "dave", assume, account=owner)
    target = role(iam, "deploy", trust(f"arn:aws:iam::{owner}:user/carol"))
    trusting_account = role(iam, "shared", trust(owner))

    def decide(who: str, role_arn: str) -> str:
        (result,) = iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{owner}:user/{who}",
            ActionNames=["sts:AssumeRole"],
            ResourceArns=[role_arn],
        )["EvaluationResults"]
        return str(result["EvalDecision"])

    assert decide("carol", target) == "allowed"
    assert decide("dave", target) == "implicitDeny"
    assert decide("dave", trusting_account) == "allowed"
    # A role that does not exist has no trust policy: identity policies alone decide.
    assert decide("dave", f"arn:aws:iam::{owner}:role/nope") == "allowed"


def test_roles_and_groups_as_policy_sources(iam: Any, account: Credentials) -> None:
    owner = str(account.account_id)
    arn = role(iam, "worker", trust(owner), {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})
    (result,) = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["sqs:SendMessage"])[
        "EvaluationResults"
    ]
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"][0]["SourcePolicyType"] == "IAM Policy"
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "role_worker_p"

    iam.create_group(GroupName="ops")
    iam.put_group_policy(
        GroupName="ops",
        PolicyName="ops-policy",
        PolicyDocument=doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}),
    )
    group_arn = iam.get_group(GroupName="ops")["Group"]["Arn"]
    (result,) = iam.simulate_principal_policy(
        PolicySourceArn=group_arn, ActionNames=["ec2:StopInstances"]
    )["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"][0]["SourcePolicyType"] == "IAM Policy"
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "group_ops_ops-policy"

    public = doc({"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "*"})
    with pytest.raises(ClientError) as raised:
        iam.simulate_principal_policy(
            PolicySourceArn=group_arn, ActionNames=["ec2:StopInstances"], ResourcePolicy=public
        )
    assert raised.value.response["Error"]["Code"] == "InvalidInput"
    allowed = iam.simulate_principal_policy(
        PolicySourceArn=group_arn,
        ActionNames=["ec2:StopInstances"],
        ResourcePolicy=public,
        CallerArn=f"arn:aws:iam::{owner}:user/someone",
    )["EvaluationResults"][0]
    assert allowed["EvalDecision"] == "allowed"


def test_caller_arn_simulates_another_user_with_these_policies(
    iam: Any, account: Credentials
) -> None:
    owner = str(account.account_id)
    iam.create_user(UserName="david")
    bob = f"arn:aws:iam::{owner}:user/bob"
    grant = doc(
        {"Effect": "Allow", "Principal": {"AWS": bob}, "Action": "s3:GetObject", "Resource": "*"}
    )
    results = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{owner}:user/david",
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::b/k"],
        ResourcePolicy=grant,
        CallerArn=bob,
    )["EvaluationResults"]
    assert results[0]["EvalDecision"] == "allowed"
    assert results[0]["MatchedStatements"][0]["SourcePolicyType"] == "resource"
    with pytest.raises(ClientError) as raised:
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{owner}:user/david",
            ActionNames=["s3:GetObject"],
            CallerArn=f"arn:aws:iam::{owner}:role/r",
        )
    assert raised.value.response["Error"]["Code"] == "InvalidInput"


@pytest.mark.parametrize(
    "source",
    [
        "arn:aws:iam::{owner}:user/nobody",
        "arn:aws:iam::210987654321:user/alice",
        "arn:aws:iam::{owner}:user/other/alice",
    ],
)
def test_an_unknown_source_is_no_such_entity(iam: Any, account: Credentials, source: str) -> None:
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as raised:
        iam.simulate_principal_policy(
            PolicySourceArn=source.format(owner=account.account_id), ActionNames=["s3:GetObject"]
        )
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"


def test_simulate_principal_policy_pages(iam: Any, account: Credentials) -> None:
    iam.create_user(UserName="erin")
    actions = [f"svc:Action{i}" for i in range(5)]
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=f"arn:aws:iam::{account.account_id}:user/erin",
        ActionNames=actions,
        PaginationConfig={"PageSize": 2},
    )
    names = [[r["EvalActionName"] for r in p["EvaluationResults"]] for p in pages]
    assert names == [actions[0:2], actions[2:4], actions[4:]]


def test_the_simulator_is_authorized(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    owner = str(account.account_id)
    iam.create_user(UserName="target")
    frank = user(
        iam,
        "frank",
        {"Effect": "Allow", "Action": "iam:SimulateCustomPolicy", "Resource": "*"},
        account=owner,
    )
    as_frank = iamd_server.client("iam", frank)
    with pytest.raises(ClientError) as raised:
        as_frank.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{owner}:user/target", ActionNames=["s3:GetObject"]
        )
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert (
        f"on resource: arn:aws:iam::{owner}:user/target"
        in raised.value.response["Error"]["Message"]
    )
    assert as_frank.simulate_custom_policy(
        PolicyInputList=[doc(S3_READ)], ActionNames=["s3:GetObject"]
    )["EvaluationResults"]


# -- context keys -----------------------------------------------------------------------------


def test_get_context_keys_for_custom_policy(iam: Any) -> None:
    first = doc(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:RequestTag/Team": "x", "s3:prefix": "home/"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        }
    )
    second = doc(
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"AWS:SECURETRANSPORT": "true", "aws:PrincipalTag/Dept": "d"}
            },
        }
    )
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[first, second])[
        "ContextKeyNames"
    ]
    assert keys == [
        "aws:RequestTag/Team",
        "s3:prefix",
        "aws:SecureTransport",
        "aws:PrincipalTag/Dept",
    ]
    assert (
        iam.get_context_keys_for_custom_policy(PolicyInputList=[doc(S3_READ)]).get(
            "ContextKeyNames", []
        )
        == []
    )
    with pytest.raises(ClientError) as raised:
        iam.get_context_keys_for_custom_policy(PolicyInputList=["{"])
    assert raised.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_get_context_keys_for_principal_policy(iam: Any, account: Credentials) -> None:
    arn = _setup_alice(iam, str(account.account_id))
    iam.put_user_policy(
        UserName="alice",
        PolicyName="mfa",
        PolicyDocument=doc(
            {
                "Effect": "Allow",
                "Action": "ec2:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ),
    )
    extra = doc(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {
                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                "Bool": {"aws:multifactorauthpresent": "true"},
            },
        }
    )
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn, PolicyInputList=[extra])[
        "ContextKeyNames"
    ]
    assert keys == ["aws:MultiFactorAuthPresent", "aws:SourceIp"]
    with pytest.raises(ClientError) as raised:
        iam.get_context_keys_for_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{account.account_id}:role/none"
        )
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_simulate_principal_policy_answers_as_aws_recorded(iam: Any, kind: str) -> None:
    # The call and the answer AWS gave for it (LocalStack's AWS-validated snapshot of
    # test_simulate_principle_policy): positions, the policy type, the empty details.
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Sid": "", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        }
    )
    arn = iam.create_policy(PolicyName="put", PolicyDocument=text)["Policy"]["Arn"]
    if kind == "user":
        source = iam.create_user(UserName="someone")["User"]["Arn"]
        iam.attach_user_policy(UserName="someone", PolicyArn=arn)
    elif kind == "group":
        source = iam.create_group(GroupName="team")["Group"]["Arn"]
        iam.attach_group_policy(GroupName="team", PolicyArn=arn)
    else:
        source = iam.create_role(
            RoleName="worker",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": {
                        "Sid": "",
                        "Effect": "Allow",
                        "Principal": {"Service": "apigateway.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    },
                }
            ),
        )["Role"]["Arn"]
        iam.attach_role_policy(RoleName="worker", PolicyArn=arn)
    results = iam.simulate_principal_policy(
        PolicySourceArn=source,
        ActionNames=["s3:PutObject", "s3:GetObjectVersion"],
        ResourceArns=["arn:aws:s3:::bucket"],
    )["EvaluationResults"]
    matched = [
        {
            "SourcePolicyId": "put",
            "SourcePolicyType": "IAM Policy",
            "StartPosition": {"Line": 1, "Column": 41},
            "EndPosition": {"Line": 1, "Column": 113},
        }
    ]
    expected = []
    for action, decision, statements in [
        ("s3:PutObject", "allowed", matched),
        ("s3:GetObjectVersion", "implicitDeny", []),
    ]:
        expected.append(
            {
                "EvalActionName": action,
                "EvalDecision": decision,
                "EvalDecisionDetails": {},
                "EvalResourceName": "arn:aws:s3:::bucket",
                "MatchedStatements": statements,
                "MissingContextValues": [],
                "OrganizationsDecisionDetail": {"AllowedByOrganizations": True},
                "ResourceSpecificResults": [
                    {
                        "EvalResourceDecision": decision,
                        "EvalResourceName": "arn:aws:s3:::bucket",
                        "MatchedStatements": statements,
                        "MissingContextValues": [],
                    }
                ],
            }
        )
    assert results == expected
