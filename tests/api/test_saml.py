"""AssumeRoleWithSAML through boto3 (unsigned) and the AWS CLI, with real assertions.

Every assertion is made by the local IdP (``iamd.cli.idp.saml``) with a real RSA key and
signed by signxml; the tampered ones are edited after signing, as an attacker would.
Each failure asserts AWS's error code and HTTP status, and that the role was never used
(no session was issued: RoleLastUsed stays empty).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from lxml import etree

from iamd.cli.idp import saml as idp_lib

from .conftest import REGION, Credentials, IamdServer

SAML_ACTION = "sts:AssumeRoleWithSAML"
SAMLP = idp_lib.SAMLP
SAML = idp_lib.SAML
DS = idp_lib.DS


# --- helpers ---------------------------------------------------------------------------------


def unsigned_sts(server: IamdServer) -> Any:
    """An STS client that signs nothing, as a federated user's tools call it."""
    return boto3.session.Session(region_name=REGION).client(
        "sts",
        endpoint_url=server.endpoint,
        region_name=REGION,
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )


def saml_trust(provider_arn: str, actions: Any = SAML_ACTION, **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": actions}
    statement.update(extra)
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class Federation:
    """An IdP registered as a provider in an account, and a role that trusts it."""

    idp: idp_lib.Idp
    provider_arn: str
    role_arn: str
    account_id: str

    def claims(self, subject: str = "alice", **overrides: Any) -> idp_lib.Claims:
        values: dict[str, Any] = {
            "subject": subject,
            "roles": [(self.role_arn, self.provider_arn)],
            "session_name": subject,
        }
        values.update(overrides)
        return idp_lib.Claims(**values)

    def xml(self, subject: str = "alice", *, sign: str = "assertion", **overrides: Any) -> bytes:
        return idp_lib.response(self.idp, self.claims(subject, **overrides), sign=sign)

    def assertion(
        self, subject: str = "alice", *, sign: str = "assertion", **overrides: Any
    ) -> str:
        return idp_lib.encode(self.xml(subject, sign=sign, **overrides))

    def request(self, assertion: str, **extra: Any) -> dict[str, Any]:
        return {
            "RoleArn": self.role_arn,
            "PrincipalArn": self.provider_arn,
            "SAMLAssertion": assertion,
            **extra,
        }


def federate(
    iam: Any,
    idp: idp_lib.Idp,
    account: Credentials,
    *,
    trust: Callable[[str], str] = saml_trust,
    statements: list[dict[str, Any]] | None = None,
    role: str = "saml-role",
) -> Federation:
    provider_arn = iam.create_saml_provider(
        Name="dev-idp", SAMLMetadataDocument=idp_lib.metadata(idp)
    )["SAMLProviderArn"]
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(provider_arn))["Role"][
        "Arn"
    ]
    if statements:
        document = json.dumps({"Version": "2012-10-17", "Statement": statements})
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=document)
    assert account.account_id is not None
    return Federation(idp, provider_arn, role_arn, account.account_id)


def session(response: dict[str, Any]) -> Credentials:
    c = response["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def fails(call: Callable[[], Any], code: str, status: int) -> str:
    with pytest.raises(ClientError) as error:
        call()
    got = error.value.response
    assert (got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    return str(got["Error"]["Message"])


def never_used(iam: Any, name: str = "saml-role") -> None:
    assert "LastUsedDate" not in iam.get_role(RoleName=name)["Role"].get("RoleLastUsed", {})


@pytest.fixture(scope="module")
def idp() -> idp_lib.Idp:
    return idp_lib.generate("https://idp.example.test/saml")


@pytest.fixture
def fed(iam: Any, idp: idp_lib.Idp, account: Credentials) -> Federation:
    return federate(
        iam,
        idp,
        account,
        statements=[{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}],
    )


@pytest.fixture
def saml_sts(iamd_server: IamdServer) -> Any:
    return unsigned_sts(iamd_server)


# --- a valid assertion -------------------------------------------------------------------------


def test_a_valid_assertion_assumes_the_role(
    iamd_server: IamdServer, iam: Any, fed: Federation, saml_sts: Any
) -> None:
    got = saml_sts.assume_role_with_saml(**fed.request(fed.assertion("alice")))
    role_id = iam.get_role(RoleName="saml-role")["Role"]["RoleId"]
    assert got["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{fed.account_id}:assumed-role/saml-role/alice",
        "AssumedRoleId": f"{role_id}:alice",
    }
    assert got["Subject"] == "alice"
    assert got["SubjectType"] == "persistent"
    assert got["Issuer"] == "https://idp.example.test/saml"
    assert got["Audience"] == "https://signin.aws.amazon.com/saml"
    digest = hashlib.sha1(
        f"https://idp.example.test/saml{fed.account_id}/dev-idp".encode()
    ).digest()
    assert got["NameQualifier"] == base64.b64encode(digest).decode()
    assert "PackedPolicySize" not in got and "SourceIdentity" not in got
    c = got["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    lifetime = c["Expiration"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=55) < lifetime <= dt.timedelta(hours=1)

    creds = session(got)
    who = iamd_server.client("sts", creds).get_caller_identity()
    assert who["Arn"] == got["AssumedRoleUser"]["Arn"]
    assert iamd_server.client("iam", creds).get_role(RoleName="saml-role")["Role"]["Arn"]
    assert "LastUsedDate" in iam.get_role(RoleName="saml-role")["Role"]["RoleLastUsed"]


@pytest.mark.parametrize("sign", ["response", "both"])
def test_a_signed_response_works_too(fed: Federation, saml_sts: Any, sign: str) -> None:
    got = saml_sts.assume_role_with_saml(**fed.request(fed.assertion("bob", sign=sign)))
    assert got["Subject"] == "bob"


def test_the_aws_cli_assumes_the_role(
    iamd_server: IamdServer, fed: Federation, account: Credentials
) -> None:
    done = iamd_server.aws(
        "sts",
        "assume-role-with-saml",
        "--role-arn",
        fed.role_arn,
        "--principal-arn",
        fed.provider_arn,
        "--saml-assertion",
        fed.assertion("carol", name_format="transient"),
        credentials=account,
    )
    assert done.returncode == 0, done.stderr
    got = done.json()
    assert got["Subject"] == "carol" and got["SubjectType"] == "transient"
    assert got["AssumedRoleUser"]["Arn"].endswith(":assumed-role/saml-role/carol")


def test_a_role_pair_in_either_order_and_among_others(
    iam: Any, fed: Federation, saml_sts: Any
) -> None:
    other = f"arn:aws:iam::{fed.account_id}:role/other"
    roles = [(other, fed.provider_arn), (fed.provider_arn, fed.role_arn)]
    got = saml_sts.assume_role_with_saml(**fed.request(fed.assertion(roles=roles)))
    assert got["Subject"] == "alice"


def test_durations(iam: Any, fed: Federation, saml_sts: Any) -> None:
    def lifetime(response: dict[str, Any]) -> float:
        left = response["Credentials"]["Expiration"] - dt.datetime.now(dt.UTC)
        return left.total_seconds()

    got = saml_sts.assume_role_with_saml(**fed.request(fed.assertion(), DurationSeconds=900))
    assert 800 < lifetime(got) <= 900
    shortened = fed.assertion(session_duration=1200)
    got = saml_sts.assume_role_with_saml(**fed.request(shortened, DurationSeconds=3600))
    assert 1100 < lifetime(got) <= 1200
    session_end = fed.assertion(session_lifetime=dt.timedelta(seconds=1000))
    got = saml_sts.assume_role_with_saml(**fed.request(session_end))
    assert 900 < lifetime(got) <= 1000
    message = fails(
        lambda: saml_sts.assume_role_with_saml(
            **fed.request(fed.assertion(), DurationSeconds=7200)
        ),
        "ValidationError",
        400,
    )
    assert "MaxSessionDuration" in message


# --- what the session keeps --------------------------------------------------------------------


def test_saml_sub_reaches_later_requests(
    iamd_server: IamdServer, iam: Any, idp: idp_lib.Idp, account: Credentials, saml_sts: Any
) -> None:
    only_alice = {
        "Effect": "Allow",
        "Action": "iam:GetRole",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"saml:sub": "alice", "saml:sub_type": "persistent"},
            "StringLike": {"aws:FederatedProvider": "*:saml-provider/dev-idp"},
        },
    }
    fed = federate(iam, idp, account, statements=[only_alice])
    alice = session(saml_sts.assume_role_with_saml(**fed.request(fed.assertion("alice"))))
    bob = session(saml_sts.assume_role_with_saml(**fed.request(fed.assertion("bob"))))
    assert iamd_server.client("iam", alice).get_role(RoleName="saml-role")
    fails(
        lambda: iamd_server.client("iam", bob).get_role(RoleName="saml-role"),
        "AccessDenied",
        403,
    )


def test_tags_and_source_identity_with_their_permissions(
    iamd_server: IamdServer, iam: Any, idp: idp_lib.Idp, account: Credentials, saml_sts: Any
) -> None:
    actions = [SAML_ACTION, "sts:TagSession", "sts:SetSourceIdentity"]
    by_tag = {
        "Effect": "Allow",
        "Action": "iam:GetRole",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/Project": "apollo"}},
    }
    fed = federate(iam, idp, account, trust=lambda p: saml_trust(p, actions), statements=[by_tag])
    assertion = fed.assertion(
        tags={"Project": "apollo", "Team": "red"},
        transitive_tag_keys=["Project"],
        source_identity="alice@example.com",
    )
    got = saml_sts.assume_role_with_saml(**fed.request(assertion))
    assert got["SourceIdentity"] == "alice@example.com"
    assert 0 < got["PackedPolicySize"] <= 100
    assert iamd_server.client("iam", session(got)).get_role(RoleName="saml-role")


def test_the_usual_aws_trust_policy_with_saml_aud(
    iam: Any, idp: idp_lib.Idp, account: Credentials, saml_sts: Any
) -> None:
    def trust(provider: str) -> str:
        condition = {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
        return saml_trust(provider, Condition=condition)

    fed = federate(iam, idp, account, trust=trust)
    assert saml_sts.assume_role_with_saml(**fed.request(fed.assertion()))["Subject"] == "alice"


def test_attribute_keys_reach_the_trust_policy(
    iam: Any, idp: idp_lib.Idp, account: Credentials, saml_sts: Any
) -> None:
    def trust(provider: str) -> str:
        condition = {
            "ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "staff"},
            "StringEquals": {"saml:doc": f"{account.account_id}/dev-idp"},
        }
        return saml_trust(provider, Condition=condition)

    fed = federate(iam, idp, account, trust=trust)
    staff = {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["member", "staff"]}
    assert saml_sts.assume_role_with_saml(**fed.request(fed.assertion(attributes=staff)))
    students = {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["student"]}
    fails(
        lambda: saml_sts.assume_role_with_saml(**fed.request(fed.assertion(attributes=students))),
        "AccessDenied",
        403,
    )


# --- tampering ---------------------------------------------------------------------------------


def _parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _encode(root: etree._Element) -> str:
    return base64.b64encode(etree.tostring(root)).decode()


def _altered(fed: Federation) -> str:
    root = _parse(fed.xml("alice"))
    name_id = root.find(f".//{{{SAML}}}NameID")
    assert name_id is not None
    name_id.text = "admin"
    return _encode(root)


def _evil_assertion(fed: Federation, subject: str = "mallory") -> etree._Element:
    unsigned = idp_lib.response(fed.idp, fed.claims(subject), sign="none")
    found = _parse(unsigned).find(f"{{{SAML}}}Assertion")
    assert found is not None
    return found


def _wrapped_injected(fed: Federation) -> str:
    """The signed assertion kept, an evil unsigned one inserted before it."""
    root = _parse(fed.xml("alice"))
    signed = root.find(f"{{{SAML}}}Assertion")
    assert signed is not None
    signed.addprevious(_evil_assertion(fed))
    return _encode(root)


def _wrapped_moved(fed: Federation) -> str:
    """The signed assertion moved into Extensions; the evil one takes its place."""
    root = _parse(fed.xml("alice"))
    signed = root.find(f"{{{SAML}}}Assertion")
    assert signed is not None
    extensions = etree.Element(f"{{{SAMLP}}}Extensions")
    root.replace(signed, _evil_assertion(fed))
    extensions.append(signed)
    root.insert(1, extensions)
    return _encode(root)


def _wrapped_response(fed: Federation) -> str:
    """A signed Response nested in an evil one that carries its signature up front."""
    original = _parse(fed.xml("alice", sign="response"))
    evil = copy.deepcopy(original)
    signature = original.find(f"{{{DS}}}Signature")
    assert signature is not None
    for child in list(evil):
        if child.tag in (f"{{{DS}}}Signature", f"{{{SAML}}}Assertion"):
            evil.remove(child)
    evil.set("ID", "_evil")
    evil.insert(1, copy.deepcopy(signature))
    extensions = etree.SubElement(evil, f"{{{SAMLP}}}Extensions")
    original.remove(signature)
    extensions.append(original)
    evil.append(_evil_assertion(fed))
    return _encode(evil)


def _wrong_key(fed: Federation) -> str:
    other = idp_lib.generate(fed.idp.entity_id)
    return idp_lib.encode(idp_lib.response(other, fed.claims("alice")))


TAMPERED: dict[str, Callable[[Federation], str]] = {
    "wrong-key": _wrong_key,
    "altered-after-signing": _altered,
    "wrapping-injected-assertion": _wrapped_injected,
    "wrapping-moved-assertion": _wrapped_moved,
    "wrapping-nested-response": _wrapped_response,
    "unsigned": lambda fed: idp_lib.encode(fed.xml(sign="none")),
    "not-base64": lambda fed: "not*base64*at*all",
    "not-xml": lambda fed: base64.b64encode(b"hello, world").decode(),
}


@pytest.mark.parametrize("make", TAMPERED.values(), ids=TAMPERED.keys())
def test_forged_or_tampered_responses_are_invalid_identity_tokens(
    iam: Any, fed: Federation, saml_sts: Any, make: Callable[[Federation], str]
) -> None:
    fails(
        lambda: saml_sts.assume_role_with_saml(**fed.request(make(fed))),
        "InvalidIdentityToken",
        400,
    )
    never_used(iam)


# --- claims AWS rejects ------------------------------------------------------------------------


CLAIMS: dict[str, tuple[dict[str, Any], str, int]] = {
    "expired": ({"lifetime": dt.timedelta(minutes=-10)}, "ExpiredTokenException", 400),
    "session-ended": (
        {"session_lifetime": dt.timedelta(minutes=-1)},
        "ExpiredTokenException",
        400,
    ),
    "wrong-recipient": ({"recipient": "https://evil.example/saml"}, "IDPRejectedClaim", 403),
    "wrong-audience": ({"audience": "https://evil.example/sp"}, "IDPRejectedClaim", 403),
    "no-audience": ({"audience": None}, "IDPRejectedClaim", 403),
    "role-not-in-assertion": ({"roles": []}, "IDPRejectedClaim", 403),
    "bad-session-name": ({"session_name": "has space"}, "InvalidIdentityToken", 400),
    "no-session-name": ({"session_name": None}, "InvalidIdentityToken", 400),
    "tags-without-tag-session": ({"tags": {"Project": "x"}}, "AccessDenied", 403),
    "source-identity-without-permission": (
        {"source_identity": "alice"},
        "AccessDenied",
        403,
    ),
}


@pytest.mark.parametrize(("claims", "code", "status"), CLAIMS.values(), ids=CLAIMS.keys())
def test_rejected_claims(
    iam: Any, fed: Federation, saml_sts: Any, claims: dict[str, Any], code: str, status: int
) -> None:
    message = fails(
        lambda: saml_sts.assume_role_with_saml(**fed.request(fed.assertion(**claims))),
        code,
        status,
    )
    if code == "AccessDenied":
        assert message.startswith("Not authorized to perform sts:")
    never_used(iam)


def test_another_pair_in_the_assertion_is_not_enough(
    iam: Any, fed: Federation, saml_sts: Any
) -> None:
    other = f"arn:aws:iam::{fed.account_id}:role/other"
    assertion = fed.assertion(roles=[(other, fed.provider_arn)])
    fails(lambda: saml_sts.assume_role_with_saml(**fed.request(assertion)), "IDPRejectedClaim", 403)
    never_used(iam)


def test_unknown_provider(iam: Any, fed: Federation, saml_sts: Any) -> None:
    missing = f"arn:aws:iam::{fed.account_id}:saml-provider/nobody"
    request = fed.request(fed.assertion(roles=[(fed.role_arn, missing)]), PrincipalArn=missing)
    fails(lambda: saml_sts.assume_role_with_saml(**request), "InvalidIdentityToken", 400)
    never_used(iam)


def test_an_issuer_other_than_the_providers(iam: Any, fed: Federation, saml_sts: Any) -> None:
    impostor = idp_lib.Idp("https://impostor.example/saml", fed.idp.key, fed.idp.certificate)
    assertion = idp_lib.encode(idp_lib.response(impostor, fed.claims()))
    message = fails(
        lambda: saml_sts.assume_role_with_saml(**fed.request(assertion)),
        "InvalidIdentityToken",
        400,
    )
    assert message == "Issuer not present in specified provider"
    never_used(iam)


def test_a_trust_condition_on_saml_keys_rejects(
    iam: Any, idp: idp_lib.Idp, account: Credentials, saml_sts: Any
) -> None:
    def trust(provider: str) -> str:
        return saml_trust(provider, Condition={"StringEquals": {"saml:sub": "alice"}})

    fed = federate(iam, idp, account, trust=trust)
    message = fails(
        lambda: saml_sts.assume_role_with_saml(**fed.request(fed.assertion("bob"))),
        "AccessDenied",
        403,
    )
    assert message == "Not authorized to perform sts:AssumeRoleWithSAML"
    never_used(iam)
    assert saml_sts.assume_role_with_saml(**fed.request(fed.assertion("alice")))


def test_roles_that_do_not_trust_the_provider_or_do_not_exist(
    iam: Any, fed: Federation, saml_sts: Any
) -> None:
    iam.create_role(
        RoleName="AWSReservedSSO_admin",
        AssumeRolePolicyDocument=saml_trust(fed.provider_arn),
    )
    for name in ("AWSReservedSSO_admin", "missing"):
        arn = f"arn:aws:iam::{fed.account_id}:role/{name}"
        assertion = fed.assertion(roles=[(arn, fed.provider_arn)])
        request = fed.request(assertion, RoleArn=arn)
        fails(lambda r=request: saml_sts.assume_role_with_saml(**r), "AccessDenied", 403)
