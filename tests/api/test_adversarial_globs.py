"""A pattern written to make a backtracking matcher take hours costs a server nothing.

The issue's attack: any role session passes a session policy whose Resource has many
``*`` that almost match, then calls GetRole of a long name; on a backtracking matcher
one request held a worker for minutes (12 stars here would be years). Clients here time
out after 60 seconds, so a matcher that backtracks fails these tests.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .sts_support import allow, code_of, creds, policy, role, trust, user

STARS = "*a" * 12 + "*b"


def test_a_session_policy_with_many_stars_denies_at_once(
    iamd_server: IamdServer, account: Credentials, iam: Any, make_client: Any
) -> None:
    root = f"arn:aws:iam::{account.account_id}:root"
    dev = user(iam, "dev", allow("sts:AssumeRole"), account=account.account_id)
    arn = role(iam, "app", trust(root), allow("iam:GetRole"))
    session_policy = policy(allow("iam:GetRole", f"arn:aws:iam::{account.account_id}:role/{STARS}"))
    session = creds(
        make_client("sts", dev).assume_role(
            RoleArn=arn, RoleSessionName="s1", Policy=session_policy
        ),
        account.account_id,
    )
    name = "a" * 64
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(root))
    with pytest.raises(ClientError) as error:
        make_client("iam", session).get_role(RoleName=name)
    assert code_of(error) == "AccessDenied"
    iam.create_role(RoleName="a" * 63 + "b", AssumeRolePolicyDocument=trust(root))
    found = make_client("iam", session).get_role(RoleName="a" * 63 + "b")
    assert found["Role"]["RoleName"] == "a" * 63 + "b"
    with urllib.request.urlopen(f"{iamd_server.endpoint}/healthz", timeout=10) as health:
        assert health.status == 200


def test_simulate_custom_policy_with_many_stars_answers(iam: Any) -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                allow("s3:GetObject", f"arn:aws:s3:::{STARS}"),
                allow(
                    "s3:PutObject",
                    "*",
                    Condition={"StringLike": {"s3:prefix": STARS}},
                ),
            ],
        }
    )
    long_arn = "arn:aws:s3:::" + "a" * 300
    results = iam.simulate_custom_policy(
        PolicyInputList=[document],
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=[long_arn, long_arn + "b"],
        ContextEntries=[
            {
                "ContextKeyName": "s3:prefix",
                "ContextKeyValues": ["a" * 300],
                "ContextKeyType": "string",
            }
        ],
    )["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in results}
    assert decisions == {
        ("s3:GetObject", long_arn): "implicitDeny",
        ("s3:GetObject", long_arn + "b"): "allowed",
        ("s3:PutObject", long_arn): "implicitDeny",
        ("s3:PutObject", long_arn + "b"): "implicitDeny",
    }
