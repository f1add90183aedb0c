"""SAML providers through boto3 and the AWS CLI: metadata, ValidUntil, tags, errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.cli.idp import saml as idp_lib

from .conftest import Credentials, IamdServer


@pytest.fixture(scope="module")
def idp() -> idp_lib.Idp:
    return idp_lib.generate("https://idp.example.test/saml")


def _error(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as error:
        call()
    got = error.value.response
    return got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"], got["Error"]["Message"]


def _padded(document: str) -> str:
    """A document past the 1,000-character minimum, whatever it says."""
    return document + "<!--" + "x" * 1000 + "-->"


def test_create_get_list_update_delete(iam: Any, idp: idp_lib.Idp, account: Credentials) -> None:
    document = idp_lib.metadata(idp)
    created = iam.create_saml_provider(
        Name="Corp.IdP_1", SAMLMetadataDocument=document, Tags=[{"Key": "team", "Value": "id"}]
    )
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{account.account_id}:saml-provider/Corp.IdP_1"
    assert created["Tags"] == [{"Key": "team", "Value": "id"}]

    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == document
    assert abs(got["CreateDate"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert got["ValidUntil"].year >= dt.datetime.now(dt.UTC).year + 99
    assert got["Tags"] == [{"Key": "team", "Value": "id"}]

    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn]

    until = "2031-01-02T03:04:05Z"
    newer = document.replace("<md:EntityDescriptor ", f'<md:EntityDescriptor validUntil="{until}" ')
    updated = iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=newer)
    assert updated["SAMLProviderArn"] == arn
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == newer
    assert got["ValidUntil"] == dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)

    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert iam.list_saml_providers()["SAMLProviderList"] == []
    code, status, _ = _error(lambda: iam.get_saml_provider(SAMLProviderArn=arn))
    assert (code, status) == ("NoSuchEntity", 404)
    code, status, _ = _error(lambda: iam.delete_saml_provider(SAMLProviderArn=arn))
    assert (code, status) == ("NoSuchEntity", 404)


def test_names_are_unique_ignoring_case(iam: Any, idp: idp_lib.Idp) -> None:
    iam.create_saml_provider(Name="corp", SAMLMetadataDocument=idp_lib.metadata(idp))
    code, status, _ = _error(
        lambda: iam.create_saml_provider(Name="CORP", SAMLMetadataDocument=idp_lib.metadata(idp))
    )
    assert (code, status) == ("EntityAlreadyExists", 409)


def test_tags(iam: Any, idp: idp_lib.Idp) -> None:
    arn = iam.create_saml_provider(Name="tagged", SAMLMetadataDocument=idp_lib.metadata(idp))[
        "SAMLProviderArn"
    ]
    iam.tag_saml_provider(
        SAMLProviderArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["A"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    code, _, _ = _error(
        lambda: iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    )
    assert code == "InvalidInput"


def _no_idp_descriptor(document: str) -> str:
    return document.replace("IDPSSODescriptor", "SPSSODescriptor")


def _encryption_key_only(document: str) -> str:
    return document.replace('use="signing"', 'use="encryption"')


def _bad_certificate(document: str) -> str:
    start = document.index("<ds:X509Certificate>") + len("<ds:X509Certificate>")
    return document[:start] + "AAAA" + document[start + 4 :]


BAD_METADATA = {
    "not-xml": lambda d: "x" * 1200,
    "not-metadata": lambda d: _padded("<html><body>hello</body></html>"),
    "no-idp-descriptor": _no_idp_descriptor,
    "encryption-key-only": _encryption_key_only,
    "bad-certificate": _bad_certificate,
    "dtd": lambda d: _padded('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'),
}


@pytest.mark.parametrize("spoil", BAD_METADATA.values(), ids=BAD_METADATA.keys())
def test_unusable_metadata_is_invalid_input(iam: Any, idp: idp_lib.Idp, spoil: Any) -> None:
    document = spoil(idp_lib.metadata(idp))
    code, status, message = _error(
        lambda: iam.create_saml_provider(Name="bad", SAMLMetadataDocument=document)
    )
    assert (code, status, message) == ("InvalidInput", 400, "Could not parse metadata")
    assert iam.list_saml_providers()["SAMLProviderList"] == []


def test_update_with_unusable_metadata_changes_nothing(iam: Any, idp: idp_lib.Idp) -> None:
    document = idp_lib.metadata(idp)
    arn = iam.create_saml_provider(Name="keep", SAMLMetadataDocument=document)["SAMLProviderArn"]
    code, _, _ = _error(
        lambda: iam.update_saml_provider(
            SAMLProviderArn=arn, SAMLMetadataDocument=_no_idp_descriptor(document)
        )
    )
    assert code == "InvalidInput"
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == document


def test_shape_errors(iamd_server: IamdServer, account: Credentials, idp: idp_lib.Idp) -> None:
    raw = iamd_server.client("iam", account, validate=False)
    code, status, message = _error(
        lambda: raw.create_saml_provider(Name="a b", SAMLMetadataDocument=idp_lib.metadata(idp))
    )
    assert (code, status) == ("ValidationError", 400)
    assert "Member must satisfy regular expression pattern: [\\w._-]+" in message
    code, _, message = _error(
        lambda: raw.create_saml_provider(Name="short", SAMLMetadataDocument="<x/>")
    )
    assert code == "ValidationError"
    assert "Member must have length greater than or equal to 1000" in message
    code, _, _ = _error(
        lambda: raw.get_saml_provider(SAMLProviderArn="arn:aws:iam::123:role/x-but-long")
    )
    assert code == "InvalidInput"


def test_users_need_permission(
    iamd_server: IamdServer, iam: Any, idp: idp_lib.Idp, account: Credentials
) -> None:
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    dev = iamd_server.client(
        "iam",
        Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account.account_id),
    )
    code, status, _ = _error(
        lambda: dev.create_saml_provider(Name="p", SAMLMetadataDocument=idp_lib.metadata(idp))
    )
    assert (code, status) == ("AccessDenied", 403)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:CreateSAMLProvider", "iam:GetSAMLProvider"],
                "Resource": f"arn:aws:iam::{account.account_id}:saml-provider/p",
            }
        ],
    }
    iam.put_user_policy(UserName="dev", PolicyName="p", PolicyDocument=json.dumps(policy))
    arn = dev.create_saml_provider(Name="p", SAMLMetadataDocument=idp_lib.metadata(idp))[
        "SAMLProviderArn"
    ]
    assert dev.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"]
    code, _, _ = _error(lambda: dev.delete_saml_provider(SAMLProviderArn=arn))
    assert code == "AccessDenied"


def test_the_cli_and_the_local_idp(
    iamd_server: IamdServer, account: Credentials, tmp_path: Any
) -> None:
    import subprocess
    import sys

    metadata = subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "idp", "saml", "metadata", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = tmp_path / "metadata.xml"
    path.write_text(metadata)
    done = iamd_server.aws(
        "iam",
        "create-saml-provider",
        "--name",
        "local",
        "--saml-metadata-document",
        f"file://{path}",
        credentials=account,
    )
    assert done.returncode == 0, done.stderr
    provider_arn = done.json()["SAMLProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            }
        ],
    }
    iamd_server.client("iam", account).create_role(
        RoleName="dev", AssumeRolePolicyDocument=json.dumps(trust)
    )
    role_arn = f"arn:aws:iam::{account.account_id}:role/dev"
    assertion = subprocess.run(
        [
            sys.executable,
            "-m",
            "iamd.cli.main",
            "idp",
            "saml",
            "assertion",
            "--dir",
            str(tmp_path),
            "--sub",
            "alice",
            "--role",
            f"{role_arn},{provider_arn}",
            "--tag",
            "team=blue",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    done = iamd_server.aws(
        "sts",
        "assume-role-with-saml",
        "--role-arn",
        role_arn,
        "--principal-arn",
        provider_arn,
        "--saml-assertion",
        assertion,
        credentials=account,
    )
    assert done.returncode == 0, done.stderr
    assert done.json()["AssumedRoleUser"]["Arn"].endswith(":assumed-role/dev/alice")
