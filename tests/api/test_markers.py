"""A Marker iamd did not issue is ``ValidationError``, ``Invalid Marker.`` (400), on every
paginated IAM operation iamd serves, and a marker it issued still pages."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from iamd import operations
from iamd.cli.idp import saml as idp_lib
from iamd.server.handlers import load_operations

from .conftest import Credentials, IamdServer
from .sts_support import policy, trust


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BAD_MARKERS = {
    "huge integer": _b64("[99999999999999999999999]"),
    "lone surrogate": _b64('["\\ud800"]'),
    "not base64": "not a marker!",
    "padded": _b64('["a"]') + "==",
    "standard alphabet": base64.b64encode(b'["~~~"]').decode().rstrip("="),
    "two keys": _b64('["a","b"]'),
    "deep": _b64("[" * 110 + "]" * 110),
}


NUMBERED = {
    "ListPolicyVersions",
    "SimulateCustomPolicy",
    "SimulatePrincipalPolicy",
    "GetServiceLastAccessedDetails",
    "GetServiceLastAccessedDetailsWithEntities",
    "ListPoliciesGrantingServiceAccess",
}


def _wrong_kind(name: str) -> str:
    """A marker of the other kind of key than the listing pages by (positions or names)."""
    return _b64('["x"]') if name in NUMBERED or name.endswith("Tags") else _b64("[7]")


def _paginated_operations() -> list[str]:
    load_operations()
    model = botocore.session.get_session().get_service_model("iam")
    served = {op.name for op in operations.registered("iam")}
    names = []
    for name in sorted(served & set(model.operation_names)):
        shape = model.operation_model(name).input_shape
        if shape is not None and "Marker" in shape.members:
            names.append(name)
    return names


@pytest.fixture
def entities(iam: Any, account: Credentials) -> dict[str, Any]:
    """One of each entity the paginated operations list something of."""
    acct = account.account_id
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{acct}:root"))
    document = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    arn = iam.create_policy(PolicyName="p", PolicyDocument=document)["Policy"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="ip")
    oidc = iam.create_open_id_connect_provider(
        Url="https://token.example.com", ThumbprintList=["a" * 40], ClientIDList=["c"]
    )["OpenIDConnectProviderArn"]
    saml = iam.create_saml_provider(
        Name="idp",
        SAMLMetadataDocument=idp_lib.metadata(idp_lib.generate("https://idp.example.test/saml")),
    )["SAMLProviderArn"]
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="m")["VirtualMFADevice"][
        "SerialNumber"
    ]
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "marker.example.com")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    iam.upload_server_certificate(
        ServerCertificateName="tls",
        CertificateBody=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )
    return {
        "UserName": "u",
        "ServerCertificateName": "tls",
        "GroupName": "g",
        "RoleName": "r",
        "PolicyArn": arn,
        "InstanceProfileName": "ip",
        "OpenIDConnectProviderArn": oidc,
        "PolicySourceArn": f"arn:aws:iam::{acct}:user/u",
        "PolicyInputList": [document],
        "ActionNames": ["s3:GetObject"],
        "SerialNumber": serial,
        "SAMLProviderArn": saml,
        "ServiceName": "none",
        "JobId": iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{acct}:user/u")[
            "JobId"
        ],
        "ServiceNamespace": "iam",
        "Arn": f"arn:aws:iam::{acct}:user/u",
        "ServiceNamespaces": ["iam"],
    }


def test_every_paginated_operation_refuses_markers_it_did_not_issue(
    iamd_server: IamdServer, account: Credentials, entities: dict[str, Any]
) -> None:
    client = iamd_server.client("iam", account, validate=False)
    model = botocore.session.get_session().get_service_model("iam")
    checked = []
    for name in _paginated_operations():
        required = model.operation_model(name).input_shape.required_members
        missing = [m for m in required if m not in entities]
        assert not missing, f"{name} needs {missing}: add them to the entities fixture"
        params = {m: entities[m] for m in required}
        for label, marker in [*BAD_MARKERS.items(), ("wrong kind", _wrong_kind(name))]:
            with pytest.raises(ClientError) as error:
                getattr(client, xform_name(name))(**params, Marker=marker)
            response = error.value.response
            got = (
                response["Error"]["Code"],
                response["Error"]["Message"],
                response["ResponseMetadata"]["HTTPStatusCode"],
            )
            assert got == ("ValidationError", "Invalid Marker.", 400), (name, label, got)
        checked.append(name)
    assert {"ListUsers", "ListGroups", "GetGroup", "ListRoles", "ListInstanceProfiles"} <= set(
        checked
    )


def test_an_issued_marker_still_pages(iam: Any) -> None:
    for i in range(5):
        iam.create_user(UserName=f"user-{i}")
    first = iam.list_users(MaxItems=2)
    assert first["IsTruncated"]
    second = iam.list_users(MaxItems=2, Marker=first["Marker"])
    names = [u["UserName"] for u in first["Users"] + second["Users"]]
    assert names == ["user-0", "user-1", "user-2", "user-3"]
