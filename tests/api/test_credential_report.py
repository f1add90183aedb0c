"""The credential report through boto3 and the AWS CLI: AWS's columns, rows and values."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.iam.credential_report import COLUMNS

from .conftest import Credentials


def test_report_not_present_then_generated(iam: Any, aws: Any, account: Credentials) -> None:
    with pytest.raises(ClientError) as error:
        iam.get_credential_report()
    response = error.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ReportNotPresent",
        410,
    )
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Corr3ct-Horse!")
    iam.create_access_key(UserName="alice")
    iam.create_user(UserName="bob")

    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert list(rows[0]) == COLUMNS
    by_user = {r["user"]: r for r in rows}
    assert set(by_user) == {"<root_account>", "alice", "bob"}
    root = by_user["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{account.account_id}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["access_key_1_active"] == "true"  # the test's own root key
    alice, bob = by_user["alice"], by_user["bob"]
    assert alice["password_enabled"] == "true"
    assert alice["password_last_used"] == "no_information"
    assert alice["password_next_rotation"] == "N/A"
    assert alice["access_key_1_active"] == "true"
    assert alice["access_key_1_last_used_date"] == "N/A"
    assert alice["access_key_2_active"] == "false"
    assert alice["mfa_active"] == "false"
    assert bob["password_enabled"] == "false" and bob["password_last_changed"] == "N/A"
    assert bob["cert_1_active"] == "false" and bob["cert_1_last_rotated"] == "N/A"

    done = aws("iam", "get-credential-report")
    assert done.returncode == 0, done.stderr
    text = base64.b64decode(done.json()["Content"]).decode()
    assert text.splitlines()[0] == ",".join(COLUMNS)
