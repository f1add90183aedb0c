"""CreateSession: an X.509 certificate (RSA or ECDSA, issued directly by the anchor's CA or
through an intermediate) buys a working role session; every untrusted, expired, mis-signed
or unauthorized request is refused with AccessDeniedException and nothing is minted."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki import DAY, NOW, Issued, make_ca, make_leaf, new_key

from .conftest import Credentials, IamdServer
from .rolesanywhere_support import Answer, Setup, create_session, make_setup, trust_policy


@pytest.fixture
def setup(iamd_server: IamdServer, account: Credentials) -> Setup:
    return make_setup(iamd_server, account)


def _works(setup: Setup, answer: Answer, leaf: Issued) -> None:
    assert answer.status == 201, answer.document
    entry = answer.document["credentialSet"][0]
    serial = format(leaf.certificate.serial_number, "x")
    assert entry["roleArn"] == setup.role_arn
    assert entry["assumedRoleUser"]["arn"] == (
        f"arn:aws:sts::{setup.account.account_id}:assumed-role/workload/{serial}"
    )
    assert entry["sourceIdentity"] == "workload.example.com"
    expiration = dt.datetime.fromisoformat(entry["credentials"]["expiration"])
    assert dt.timedelta(minutes=59) < expiration - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
    assert answer.document["subjectArn"].startswith(
        f"arn:aws:rolesanywhere:us-east-1:{setup.account.account_id}:subject/"
    )
    sts = setup.server.client("sts", answer.credentials)
    assert sts.get_caller_identity()["Arn"] == entry["assumedRoleUser"]["arn"]
    iam = setup.server.client("iam", answer.credentials)
    assert [r["Arn"] for r in iam.list_roles()["Roles"]] == [setup.role_arn]


def test_rsa_certificate_issued_by_the_anchor(setup: Setup) -> None:
    leaf = make_leaf(setup.ca)
    _works(setup, create_session(setup.server.endpoint, leaf, setup.body()), leaf)
    role = setup.iam.get_role(RoleName="workload")["Role"]
    assert "LastUsedDate" in role["RoleLastUsed"]


def test_ecdsa_certificate_through_an_intermediate(
    iamd_server: IamdServer, account: Credentials
) -> None:
    setup = make_setup(iamd_server, account, kind="ec")
    intermediate = make_ca("Test Intermediate", kind="ec", issuer=setup.ca)
    leaf = make_leaf(intermediate, kind="ec")
    answer = create_session(iamd_server.endpoint, leaf, setup.body(), chain=[intermediate])
    _works(setup, answer, leaf)
    missing_chain = create_session(iamd_server.endpoint, leaf, setup.body())
    assert (missing_chain.status, missing_chain.error_type) == (403, "AccessDeniedException")


def test_session_carries_certificate_tags_and_trust_conditions_see_them(
    iamd_server: IamdServer, account: Credentials
) -> None:
    condition = {
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "allowed.example.com"},
        "StringLike": {"aws:SourceArn": "arn:aws:rolesanywhere:*"},
    }
    setup = make_setup(iamd_server, account, trust=trust_policy(condition))
    denied = create_session(iamd_server.endpoint, make_leaf(setup.ca), setup.body())
    assert (denied.status, denied.error_type) == (403, "AccessDeniedException")
    assert denied.document["message"] == "Not authorized to perform sts:AssumeRole"
    allowed = make_leaf(setup.ca, "allowed.example.com")
    answer = create_session(iamd_server.endpoint, allowed, setup.body())
    assert answer.status == 201, answer.document
    # The session's principal tags reach the policies of later requests.
    setup.iam.put_role_policy(
        RoleName="workload",
        PolicyName="deny-other-cn",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "iam:ListUsers",
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "Test Root CA"}
                        },
                    }
                ],
            }
        ),
    )
    iam = iamd_server.client("iam", answer.credentials)
    iam.list_roles()
    with pytest.raises(Exception, match="AccessDenied"):
        iam.list_users()


def test_role_session_name_only_when_the_profile_accepts_one(setup: Setup) -> None:
    leaf = make_leaf(setup.ca)
    refused = create_session(setup.server.endpoint, leaf, setup.body(roleSessionName="mine"))
    assert (refused.status, refused.error_type) == (400, "ValidationException")
    profile_id = setup.profile_arn.rsplit("/", 1)[1]
    setup.ra.update_profile(profileId=profile_id, acceptRoleSessionName=True)
    answer = create_session(setup.server.endpoint, leaf, setup.body(roleSessionName="mine"))
    assert answer.document["credentialSet"][0]["assumedRoleUser"]["arn"].endswith("/mine")


def test_duration_is_bounded_by_the_profile(setup: Setup) -> None:
    leaf = make_leaf(setup.ca)
    short = create_session(setup.server.endpoint, leaf, setup.body(durationSeconds=900))
    expiration = dt.datetime.fromisoformat(
        short.document["credentialSet"][0]["credentials"]["expiration"]
    )
    assert expiration - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=900)
    too_long = create_session(setup.server.endpoint, leaf, setup.body(durationSeconds=7200))
    assert (too_long.status, too_long.error_type) == (400, "ValidationException")


def _other_ca(setup: Setup) -> tuple[Issued, dict[str, Any]]:
    return make_leaf(make_ca("Another CA")), {}


def _expired(setup: Setup) -> tuple[Issued, dict[str, Any]]:
    return make_leaf(setup.ca, not_before=NOW - 10 * DAY, not_after=NOW - DAY), {}


def _not_yet_valid(setup: Setup) -> tuple[Issued, dict[str, Any]]:
    return make_leaf(setup.ca, not_before=NOW + DAY, not_after=NOW + 10 * DAY), {}


def _other_key(setup: Setup) -> tuple[Issued, dict[str, Any]]:
    return make_leaf(setup.ca), {"signing_key": new_key("rsa")}


def _tampered_body(setup: Setup) -> tuple[Issued, dict[str, Any]]:
    def tamper(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
        changed = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return changed, body.replace(b'"profileArn"', b'"profileArn" ')

    return make_leaf(setup.ca), {"tamper": tamper}


def _tampered_date(setup: Setup) -> tuple[Issued, dict[str, Any]]:
    def tamper(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
        changed = dict(headers)
        date = changed["X-Amz-Date"]  # YYYYMMDDTHHMMSSZ: move the seconds
        changed["X-Amz-Date"] = date[:13] + ("00" if date[13:15] != "00" else "01") + "Z"
        return changed, body

    return make_leaf(setup.ca), {"tamper": tamper}


def _no_signing_usage(setup: Setup) -> tuple[Issued, dict[str, Any]]:
    return make_leaf(setup.ca, digital_signature=False), {}


REFUSALS: dict[str, Callable[[Setup], tuple[Issued, dict[str, Any]]]] = {
    "another-ca": _other_ca,
    "expired": _expired,
    "not-yet-valid": _not_yet_valid,
    "signed-by-another-key": _other_key,
    "tampered-body": _tampered_body,
    "tampered-date": _tampered_date,
    "key-usage-without-signature": _no_signing_usage,
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_untrusted_or_mis_signed_requests_are_refused(setup: Setup, case: str) -> None:
    leaf, options = REFUSALS[case](setup)
    answer = create_session(setup.server.endpoint, leaf, setup.body(), **options)
    assert (answer.status, answer.error_type) == (403, "AccessDeniedException"), answer.document
    assert "credentialSet" not in answer.document
    assert answer.document["message"]
    assert "LastUsedDate" not in setup.iam.get_role(RoleName="workload")["Role"]["RoleLastUsed"]


def test_disabled_anchor_or_profile_role_outside_profile_or_untrusting_role_are_refused(
    setup: Setup,
) -> None:
    leaf = make_leaf(setup.ca)
    endpoint = setup.server.endpoint
    anchor_id = setup.anchor_arn.rsplit("/", 1)[1]
    profile_id = setup.profile_arn.rsplit("/", 1)[1]

    def refused(body: dict[str, Any], message: str) -> None:
        answer = create_session(endpoint, leaf, body)
        assert (answer.status, answer.error_type) == (403, "AccessDeniedException")
        assert answer.document["message"] == message
        assert "credentialSet" not in answer.document

    setup.ra.disable_trust_anchor(trustAnchorId=anchor_id)
    refused(setup.body(), "Trust anchor is disabled")
    setup.ra.enable_trust_anchor(trustAnchorId=anchor_id)

    setup.ra.disable_profile(profileId=profile_id)
    refused(setup.body(), "Profile is disabled")
    setup.ra.enable_profile(profileId=profile_id)

    other = setup.iam.create_role(RoleName="other", AssumeRolePolicyDocument=trust_policy())
    refused(setup.body(roleArn=other["Role"]["Arn"]), "The role is not part of the profile")

    untrusting = setup.iam.create_role(
        RoleName="ec2-only", AssumeRolePolicyDocument=trust_policy(service="ec2")
    )
    setup.ra.update_profile(
        profileId=profile_id, roleArns=[setup.role_arn, untrusting["Role"]["Arn"]]
    )
    refused(
        setup.body(roleArn=untrusting["Role"]["Arn"]), "Not authorized to perform sts:AssumeRole"
    )
    assert "LastUsedDate" not in setup.iam.get_role(RoleName="workload")["Role"]["RoleLastUsed"]
    assert create_session(endpoint, leaf, setup.body()).status == 201


def test_arns_in_the_query_string_as_aws_signing_helper_sends_them(setup: Setup) -> None:
    leaf = make_leaf(setup.ca)
    query = urllib.parse.urlencode(setup.body())
    answer = create_session(setup.server.endpoint, leaf, {"durationSeconds": 900}, query=query)
    assert answer.status == 201, answer.document
    assert answer.document["credentialSet"][0]["roleArn"] == setup.role_arn


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_certificates_made_with_openssl_as_the_readme_shows(
    iamd_server: IamdServer, account: Credentials, tmp_path: Path
) -> None:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "365",
            "-subj", "/CN=My Root CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    openssl("req", *curve, "-keyout", "app.key", "-out", "app.csr", "-subj", "/CN=app")
    (tmp_path / "leaf.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
    )
    openssl("x509", "-req", "-in", "app.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "app.pem", "-days", "30",
            "-extfile", "leaf.ext")  # fmt: skip

    ca_pem = (tmp_path / "ca.pem").read_bytes()
    setup = make_setup(iamd_server, account)
    anchor = setup.ra.create_trust_anchor(
        name="openssl",
        source={
            "sourceType": "CERTIFICATE_BUNDLE",
            "sourceData": {"x509CertificateData": ca_pem.decode()},
        },
        enabled=True,
    )["trustAnchor"]
    leaf = Issued(
        x509.load_pem_x509_certificate((tmp_path / "app.pem").read_bytes()),
        serialization.load_pem_private_key((tmp_path / "app.key").read_bytes(), password=None),
    )
    body = setup.body(trustAnchorArn=anchor["trustAnchorArn"])
    answer = create_session(iamd_server.endpoint, leaf, body)
    assert answer.status == 201, answer.document
    assert answer.document["credentialSet"][0]["sourceIdentity"] == "app"


def test_subjects_record_who_obtained_sessions(setup: Setup) -> None:
    leaf = make_leaf(setup.ca)
    first = create_session(
        setup.server.endpoint, leaf, setup.body(instanceProperties={"host": "build-1"})
    )
    refused = create_session(setup.server.endpoint, make_leaf(make_ca("Other")), setup.body())
    assert refused.status == 403
    subjects = setup.ra.list_subjects()["subjects"]
    assert len(subjects) == 1
    assert subjects[0]["subjectArn"] == first.document["subjectArn"]
    assert subjects[0]["x509Subject"] == "O=iamd tests,CN=workload.example.com"
    detail = setup.ra.get_subject(subjectId=subjects[0]["subjectId"])["subject"]
    assert detail["credentials"][0]["serialNumber"] == str(leaf.certificate.serial_number)
    assert detail["credentials"][0]["x509CertificateData"] == leaf.pem.decode()
    assert detail["instanceProperties"][0]["properties"] == {"host": "build-1"}
    # A new certificate for the same name is the same subject, with its latest certificate.
    renewed = make_leaf(setup.ca)
    second = create_session(setup.server.endpoint, renewed, setup.body())
    assert second.document["subjectArn"] == first.document["subjectArn"]
    detail = setup.ra.get_subject(subjectId=subjects[0]["subjectId"])["subject"]
    assert detail["credentials"][0]["serialNumber"] == str(renewed.certificate.serial_number)


def test_the_profile_s_session_policy_and_managed_policies_limit_the_session(
    setup: Setup,
) -> None:
    profile_id = setup.profile_arn.rsplit("/", 1)[1]
    only_list_roles = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
        }
    )
    setup.ra.update_profile(profileId=profile_id, sessionPolicy=only_list_roles)
    leaf = make_leaf(setup.ca)
    answer = create_session(setup.server.endpoint, leaf, setup.body())
    assert answer.status == 201, answer.document
    assert answer.document["credentialSet"][0]["packedPolicySize"] > 0
    iam = setup.server.client("iam", answer.credentials)
    iam.list_roles()
    with pytest.raises(ClientError) as err:
        iam.list_users()
    assert err.value.response["Error"]["Code"] == "AccessDenied"

    policy = setup.iam.create_policy(
        PolicyName="users-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    setup.ra.update_profile(profileId=profile_id, managedPolicyArns=[policy])
    answer = create_session(setup.server.endpoint, leaf, setup.body())
    iam = setup.server.client("iam", answer.credentials)
    # Together the session policies allow what either allows, and nothing else.
    iam.list_users()
    iam.list_roles()
    with pytest.raises(ClientError) as err:
        iam.list_groups()
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_attribute_mappings_choose_the_session_tags(
    iamd_server: IamdServer, account: Credentials
) -> None:
    condition = {"Null": {"aws:PrincipalTag/x509Subject/O": "true"}}  # O must not be mapped
    setup = make_setup(iamd_server, account, trust=trust_policy(condition))
    profile_id = setup.profile_arn.rsplit("/", 1)[1]
    default = setup.ra.get_profile(profileId=profile_id)["profile"]["attributeMappings"]
    assert {m["certificateField"]: m["mappingRules"] for m in default} == {
        "x509Subject": [{"specifier": "*"}],
        "x509Issuer": [{"specifier": "*"}],
        "x509SAN": [{"specifier": "*"}],
    }
    leaf = make_leaf(setup.ca)
    denied = create_session(iamd_server.endpoint, leaf, setup.body())
    assert (denied.status, denied.error_type) == (403, "AccessDeniedException")

    put = setup.ra.put_attribute_mapping(
        profileId=profile_id, certificateField="x509Subject", mappingRules=[{"specifier": "CN"}]
    )["profile"]["attributeMappings"]
    assert {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]} in put
    answer = create_session(iamd_server.endpoint, leaf, setup.body())
    assert answer.status == 201, answer.document

    gone = setup.ra.delete_attribute_mapping(profileId=profile_id, certificateField="x509Issuer")
    fields = [m["certificateField"] for m in gone["profile"]["attributeMappings"]]
    assert fields == ["x509Subject", "x509SAN"]


def test_a_session_never_outlives_its_certificate(setup: Setup) -> None:
    not_after = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=20)
    leaf = make_leaf(setup.ca, not_after=not_after)
    answer = create_session(setup.server.endpoint, leaf, setup.body())
    assert answer.status == 201, answer.document
    expiration = answer.document["credentialSet"][0]["credentials"]["expiration"]
    assert dt.datetime.fromisoformat(expiration) == not_after


def test_a_profile_requiring_instance_properties_refuses_a_request_without_them(
    setup: Setup,
) -> None:
    profile = setup.ra.create_profile(
        name="strict", roleArns=[setup.role_arn], enabled=True, requireInstanceProperties=True
    )["profile"]
    assert profile["requireInstanceProperties"] is True
    leaf = make_leaf(setup.ca)
    body = setup.body(profileArn=profile["profileArn"])
    refused = create_session(setup.server.endpoint, leaf, body)
    assert (refused.status, refused.error_type) == (403, "AccessDeniedException")
    body["instanceProperties"] = {"hostname": "build-7"}
    assert create_session(setup.server.endpoint, leaf, body).status == 201


def test_trust_conditions_on_the_anchor_and_the_certificate_s_san_and_issuer(
    iamd_server: IamdServer, account: Credentials
) -> None:
    setup = make_setup(iamd_server, account, role_name="probe")
    condition = {
        "ArnEquals": {"aws:SourceArn": setup.anchor_arn},
        "StringEquals": {
            "aws:PrincipalTag/x509SAN/DNS": "workload.example.com",
            "aws:PrincipalTag/x509Issuer/CN": "Test Root CA",
            "aws:SourceAccount": account.account_id,
        },
    }
    setup.iam.update_assume_role_policy(RoleName="probe", PolicyDocument=trust_policy(condition))
    leaf = make_leaf(setup.ca)
    assert create_session(iamd_server.endpoint, leaf, setup.body()).status == 201
    other_san = make_leaf(setup.ca, san_dns="elsewhere.example.com")
    denied = create_session(iamd_server.endpoint, other_san, setup.body())
    assert (denied.status, denied.error_type) == (403, "AccessDeniedException")
    # The same CA behind a second anchor: the trust policy names the first one only.
    second = setup.ra.create_trust_anchor(
        name="second",
        source={
            "sourceType": "CERTIFICATE_BUNDLE",
            "sourceData": {"x509CertificateData": setup.ca.pem.decode()},
        },
        enabled=True,
    )["trustAnchor"]["trustAnchorArn"]
    denied = create_session(iamd_server.endpoint, leaf, setup.body(trustAnchorArn=second))
    assert (denied.status, denied.error_type) == (403, "AccessDeniedException")
    assert denied.document["message"] == "Not authorized to perform sts:AssumeRole"
