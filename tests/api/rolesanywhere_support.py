"""Helpers for IAM Roles Anywhere API tests: a trust anchor, a role and a profile in a
fresh account, and CreateSession requests signed by ``iam-rolesanywhere-session``'s own
signer (written by others against AWS's documented algorithm)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSRequest
from iam_rolesanywhere_session import IAMRolesAnywhereSigner

from pki import Issued, make_ca

from .conftest import Credentials, IamdServer

ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def trust_policy(condition: dict[str, Any] | None = None, service: str = "rolesanywhere") -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": f"{service}.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class Setup:
    server: IamdServer
    account: Credentials
    ca: Issued
    anchor_arn: str
    profile_arn: str
    role_arn: str

    @property
    def iam(self) -> Any:
        return self.server.client("iam", self.account)

    @property
    def ra(self) -> Any:
        return self.server.client("rolesanywhere", self.account)

    def body(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "profileArn": self.profile_arn,
            "roleArn": self.role_arn,
            "trustAnchorArn": self.anchor_arn,
        }
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}


def make_setup(
    server: IamdServer,
    account: Credentials,
    *,
    kind: str = "rsa",
    trust: str | None = None,
    role_name: str = "workload",
) -> Setup:
    ca = make_ca(kind=kind)
    iam = server.client("iam", account)
    ra = server.client("rolesanywhere", account)
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust or trust_policy())
    iam.put_role_policy(RoleName=role_name, PolicyName="all", PolicyDocument=ALLOW_ALL)
    anchor = ra.create_trust_anchor(
        name="anchor",
        source={
            "sourceType": "CERTIFICATE_BUNDLE",
            "sourceData": {"x509CertificateData": ca.pem.decode()},
        },
        enabled=True,
    )["trustAnchor"]
    profile = ra.create_profile(
        name="profile", roleArns=[role["Role"]["Arn"]], enabled=True, durationSeconds=3600
    )["profile"]
    return Setup(
        server, account, ca, anchor["trustAnchorArn"], profile["profileArn"], role["Role"]["Arn"]
    )


@dataclass
class Answer:
    status: int
    error_type: str | None
    document: dict[str, Any]

    @property
    def credentials(self) -> Credentials:
        creds = self.document["credentialSet"][0]["credentials"]
        return Credentials(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"])


def create_session(
    endpoint: str,
    leaf: Issued,
    body: dict[str, Any],
    *,
    chain: list[Issued] | None = None,
    query: str | None = None,
    signing_key: Any = None,
    tamper: Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]] | None = None,
) -> Answer:
    """POST /sessions signed by the package's signer (``query``: a query string signed
    with it); ``tamper`` edits the signed request's headers and body before it is sent."""
    key_pem = leaf.key_pem if signing_key is None else Issued(leaf.certificate, signing_key).key_pem
    signer = IAMRolesAnywhereSigner(
        certificate=leaf.pem,
        private_key=key_pem,
        certificate_chain=b"".join(c.pem for c in chain) if chain else None,
        region="us-east-1",
    )
    url = f"{endpoint}/sessions" + (f"?{query}" if query else "")
    request = AWSRequest(method="POST", url=url, data=json.dumps(body))
    signer.add_auth(request)
    prepared = request.prepare()
    headers = dict(prepared.headers.items())
    raw = prepared.body
    data = raw if isinstance(raw, bytes) else str(raw or "").encode()
    if tamper is not None:
        headers, data = tamper(headers, data)
    sent = urllib.request.Request(prepared.url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(sent, timeout=30) as response:
            return Answer(response.status, None, json.loads(response.read()))
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.headers.get("x-amzn-ErrorType"), json.loads(err.read()))
