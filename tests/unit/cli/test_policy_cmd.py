"""``iamd policy validate`` and ``iamd policy simulate``, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "policies" / "read-only-s3.json"


def iamd(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_accepts_a_valid_policy() -> None:
    done = iamd("policy", "validate", "--kind", "identity", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "valid identity policy" in done.stdout


def test_validate_reports_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "*",
                    },
                    {"Effect": "Allow", "Action": "s3:GetObject"},
                ],
            }
        )
    )
    done = iamd("policy", "validate", "--kind", "identity", str(bad))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any("Policy document should not specify a principal." in ln for ln in lines)
    assert any("Policy statement must contain resources." in ln for ln in lines)


def test_validate_reads_stdin_and_checks_the_kind() -> None:
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
        }
    )
    assert iamd("policy", "validate", "--kind", "trust", "-", stdin=trust).returncode == 0
    done = iamd("policy", "validate", "--kind", "identity", "-", stdin=trust)
    assert done.returncode == 1


def test_validate_measures_size_without_whitespace(tmp_path: Path) -> None:
    actions = [f"s3:Get{'X' * 20}{i}" for i in range(300)]
    doc = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": actions, "Resource": "*"},
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc, indent=8))
    done = iamd("policy", "validate", "--kind", "identity", str(path))
    assert done.returncode == 1
    assert "Cannot exceed quota for PolicySize: 6144" in done.stdout
    assert (
        iamd(
            "policy", "validate", "--kind", "identity", "--max-size", "20000", str(path)
        ).returncode
        == 0
    )


def _simulate(request: dict[str, Any]) -> dict[str, Any]:
    done = iamd("policy", "simulate", "--input", "-", stdin=json.dumps(request))
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_simulate_prints_aws_evaluation_results() -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
                {
                    "Sid": "NoSecrets",
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::secrets/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        },
        indent=2,
    )
    out = _simulate(
        {
            "PolicyInputList": [policy],
            "ActionNames": ["s3:GetObject", "s3:PutObject"],
            "ResourceArns": ["arn:aws:s3:::secrets/a"],
            "ContextEntries": [
                {
                    "ContextKeyName": "aws:SecureTransport",
                    "ContextKeyValues": ["false"],
                    "ContextKeyType": "boolean",
                }
            ],
        }
    )
    get, put = out["EvaluationResults"]
    assert get["EvalActionName"] == "s3:GetObject"
    assert get["EvalResourceName"] == "arn:aws:s3:::secrets/a"
    assert get["EvalDecision"] == "explicitDeny"
    assert get["MatchedStatements"] == [
        {
            "SourcePolicyId": "PolicyInputList.1",
            "SourcePolicyType": "IAM Policy",
            "StartPosition": {"Line": 10, "Column": 6},
            "EndPosition": {"Line": 20, "Column": 6},
        }
    ]
    assert put["EvalDecision"] == "implicitDeny"
    assert put["MatchedStatements"] == []
    assert out["IsTruncated"] is False


def test_simulate_reports_missing_context_keys_as_written() -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "ec2:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            },
        }
    )
    out = _simulate({"PolicyInputList": [policy], "ActionNames": ["ec2:RunInstances"]})
    (result,) = out["EvaluationResults"]
    assert result["EvalResourceName"] == "*"
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:RequestedRegion"]


def test_simulate_with_boundary_and_resource_policy() -> None:
    identity = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        }
    )
    boundary = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
        }
    )
    resource = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:user/alice"},
                "Action": "sqs:DeleteQueue",
                "Resource": "*",
            },
        }
    )
    out = _simulate(
        {
            "PolicyInputList": [identity],
            "PermissionsBoundaryPolicyInputList": [boundary],
            "ResourcePolicy": resource,
            "CallerArn": "arn:aws:iam::111111111111:user/alice",
            "ActionNames": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteQueue"],
            "ResourceArns": ["arn:aws:sqs:us-east-1:111111111111:q"],
        }
    )
    send, receive, delete = out["EvaluationResults"]
    assert send["EvalDecision"] == "allowed"
    assert send["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert receive["EvalDecision"] == "implicitDeny"
    assert receive["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # A same-account grant naming the user is not capped by the boundary.
    assert delete["EvalDecision"] == "allowed"
    assert delete["MatchedStatements"][-1]["SourcePolicyType"] == "resource"


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        (
            {"PolicyInputList": ["{not json"], "ActionNames": ["s3:GetObject"]},
            "MalformedPolicyDocument",
        ),
        ({"PolicyInputList": []}, "InvalidInput"),
        (
            {"PolicyInputList": [], "ResourcePolicy": "{}", "ActionNames": ["s3:GetObject"]},
            "MalformedPolicyDocument",
        ),
    ],
)
def test_simulate_rejects_bad_input(request_body: dict[str, Any], message: str) -> None:
    done = iamd("policy", "simulate", "--input", "-", stdin=json.dumps(request_body))
    assert done.returncode == 1
    assert message in done.stderr


def test_no_command_prints_help_and_exits_2() -> None:
    assert iamd().returncode == 2
