"""GetMFADevice and an MFA device's tags; GetAccountSummary's counts; the STS token
version preference."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.cli.idp import saml as idp_lib
from iamd.iam.mfa import totp

from .conftest import Credentials


def _code(seed: bytes, offset: int = 0) -> str:
    return totp(seed, int(dt.datetime.now(dt.UTC).timestamp()) // 30 + offset)


def test_get_mfa_device_and_its_tags(iam: Any, aws: Any) -> None:
    iam.create_user(UserName="ann")
    made = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="ann-phone", Tags=[{"Key": "owner", "Value": "ann"}]
    )["VirtualMFADevice"]
    serial, seed = made["SerialNumber"], base64.b32decode(made["Base32StringSeed"])
    unassigned = iam.get_mfa_device(SerialNumber=serial)
    assert unassigned["SerialNumber"] == serial and "UserName" not in unassigned
    iam.enable_mfa_device(
        UserName="ann",
        SerialNumber=serial,
        AuthenticationCode1=_code(seed, -2),
        AuthenticationCode2=_code(seed, -1),
    )
    got = iam.get_mfa_device(SerialNumber=serial, UserName="ann")
    assert got["UserName"] == "ann" and "EnableDate" in got

    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "team", "Value": "red"}])
    done = aws("iam", "list-mfa-device-tags", "--serial-number", serial)
    assert done.returncode == 0, done.stderr
    assert done.json()["Tags"] == [
        {"Key": "owner", "Value": "ann"},
        {"Key": "team", "Value": "red"},
    ]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["owner"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "team", "Value": "red"}
    ]
    with pytest.raises(ClientError) as error:
        iam.get_mfa_device(SerialNumber=serial + "-gone")
    assert error.value.response["Error"]["Code"] == "NoSuchEntity"


def test_account_summary_counts_providers_and_certificates(iam: Any, account: Credentials) -> None:
    before = iam.get_account_summary()["SummaryMap"]
    assert before["Providers"] == 0
    assert before["AccountSigningCertificatesPresent"] == 0
    assert before["GlobalEndpointTokenVersion"] == 1
    iam.create_open_id_connect_provider(
        Url="https://token.example.com", ClientIDList=["c"], ThumbprintList=["a" * 40]
    )
    iam.create_saml_provider(
        Name="idp",
        SAMLMetadataDocument=idp_lib.metadata(idp_lib.generate("https://idp.example.test/saml")),
    )
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    after = iam.get_account_summary()["SummaryMap"]
    assert after["Providers"] == 2
    assert after["GlobalEndpointTokenVersion"] == 2
    assert after["SigningCertificatesPerUserQuota"] == 2
