"""Shared steps of the STS API tests: users with keys, roles with trust, session credentials."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Credentials

ASSUME = "sts:AssumeRole"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: str | list[str], actions: Any = ASSUME, **extra: Any) -> str:
    return policy({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, **extra})


def user(iam: Any, name: str, *statements: dict[str, Any], account: str) -> Credentials:
    """An IAM user with an access key and, if given, an inline policy of ``statements``."""
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account)


def role(
    iam: Any,
    name: str,
    trust_policy: str,
    *statements: dict[str, Any],
    tags: dict[str, str] | None = None,
    **extra: Any,
) -> str:
    """A role trusting ``trust_policy`` with an inline policy of ``statements``; its ARN."""
    if tags:
        extra["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy, **extra)[
        "Role"
    ]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy(*statements))
    return arn


def creds(response: dict[str, Any], account: str | None = None) -> Credentials:
    c = response["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], account)


def code_of(error: Any) -> str:
    return str(error.value.response["Error"]["Code"])


def message_of(error: Any) -> str:
    return str(error.value.response["Error"]["Message"])
