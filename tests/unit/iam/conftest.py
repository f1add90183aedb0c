"""Fixtures for direct calls of the role-family handlers (see ``harness.py``)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from .harness import ACCOUNT, Harness, make_harness

for _module in ("roles", "role_policies", "instance_profiles", "users"):
    importlib.import_module(f"iamd.iam.{_module}")


def trust_doc(*aws: str, service: str | None = None) -> str:
    """A trust policy letting the ``aws`` principals (or a service) assume the role."""
    principal: dict[str, object] = {}
    if aws:
        principal["AWS"] = list(aws) if len(aws) > 1 else aws[0]
    if service:
        principal["Service"] = service
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


EC2_TRUST = trust_doc(service="ec2.amazonaws.com")
ACCOUNT_TRUST = trust_doc(ACCOUNT)


@pytest.fixture
def rh(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


def create_role(
    h: Harness, name: str, trust: str = EC2_TRUST, **params: object
) -> dict[str, object]:
    role: dict[str, object] = h.call(
        "CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": trust, **params}
    )["Role"]
    return role
