"""The guided form's trust policies, and trust policies read back for the roles pages."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from iamd.console import role_trust, role_trust_svg
from iamd.console.role_trust import TrustChoice, TrustFormError, trust_policy, trusted_principals

ME = "123456789012"
OIDC = f"arn:aws:iam::{ME}:oidc-provider/token.example.com/ci"
SAML = f"arn:aws:iam::{ME}:saml-provider/corp"


def only_statement(choice: TrustChoice) -> dict[str, object]:
    document = trust_policy(choice, ME)
    assert document["Version"] == "2012-10-17"
    (statement,) = document["Statement"]
    return dict(statement)


def test_this_account_with_external_id_and_mfa() -> None:
    choice = TrustChoice("account", external_id="x-1", require_mfa=True)
    assert only_statement(choice) == {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ME}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"sts:ExternalId": "x-1"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
        },
    }


def test_another_account_without_options_has_no_condition() -> None:
    assert only_statement(TrustChoice("other-account", account_id=" 111122223333 ")) == {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "sts:AssumeRole",
    }


def test_service_oidc_and_saml() -> None:
    assert only_statement(TrustChoice("service", service="ec2.amazonaws.com")) == {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    assert only_statement(TrustChoice("web-identity", provider_arn=OIDC, audience="ci")) == {
        "Effect": "Allow",
        "Principal": {"Federated": OIDC},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.example.com/ci:aud": "ci"}},
    }
    assert only_statement(TrustChoice("saml", provider_arn=SAML)) == {
        "Effect": "Allow",
        "Principal": {"Federated": SAML},
        "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    }


@pytest.mark.parametrize(
    ("choice", "words"),
    [
        (TrustChoice("nobody"), "Choose a trusted entity type."),
        (TrustChoice("other-account", account_id="12345"), "12-digit account ID"),
        (TrustChoice("other-account", account_id="*"), "12-digit account ID"),
        (TrustChoice("account", external_id=""), "Enter the external ID"),
        (TrustChoice("service", service="ec2.amazonaws.com", require_mfa=True), "only"),
        (TrustChoice("saml", provider_arn=SAML, external_id="x"), "only"),
        (TrustChoice("service"), "Choose or enter the AWS service"),
        (TrustChoice("saml"), "Choose an identity provider."),
        (TrustChoice("web-identity", provider_arn=SAML, audience="a"), "OpenID Connect"),
        (TrustChoice("web-identity", provider_arn=OIDC, audience=" "), "audience"),
    ],
)
def test_missing_or_wrong_choices_are_named(choice: TrustChoice, words: str) -> None:
    with pytest.raises(TrustFormError, match=words.replace("(", r"\(").replace(".", r"\.")):
        trust_policy(choice, ME)


def test_principals_of_allow_statements_with_their_conditions() -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": [
                            f"arn:aws:iam::{ME}:user/ann",
                            "111122223333",
                            f"arn:aws:sts::{ME}:assumed-role/ops/alice",
                        ]
                    },
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {"StringEquals": {"sts:ExternalId": ["a", "b"]}},
                },
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "NotPrincipal": {"Service": "ec2.amazonaws.com"}},
                {"Effect": "Allow", "Principal": {"Federated": SAML}},
                "not a statement",
            ],
        }
    )
    found = trusted_principals(document, ME)
    assert [(t.kind, t.label) for t in found] == [
        ("user", "User ann"),
        ("account", "Account 111122223333"),
        ("role", "Session alice of role ops"),
        ("anyone", "Anyone (any AWS principal)"),
        ("service", "Anyone except Service ec2.amazonaws.com"),
        ("federated", "SAML provider corp"),
    ]
    assert found[0].actions == ("sts:AssumeRole", "sts:TagSession")
    assert found[0].conditions == ("StringEquals sts:ExternalId = a, b",)
    assert found[4].excepted


@pytest.mark.parametrize("document", ["", "[]", "{", '{"Statement": 3}', None])
def test_unreadable_documents_trust_no_one(document: object) -> None:
    assert trusted_principals(document, ME) == []
    assert role_trust.summary(document, ME) == "No one"


def test_the_summary_names_three_and_counts_the_rest() -> None:
    accounts = [f"{n:012d}" for n in range(1, 6)]
    document = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": accounts}}]}
    assert role_trust.summary(document, ME) == (
        "Account 000000000001, Account 000000000002, Account 000000000003 and 2 more"
    )


def test_the_picture_escapes_every_text_and_is_well_formed() -> None:
    hostile = '<script>alert("x")</script>&'
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": hostile},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "</text><svg onload=x>"}},
            }
        ]
    }
    svg = role_trust_svg.render(trusted_principals(document, ME), "r<&>", "arn:r")
    assert "<script" not in svg and "<svg onload" not in svg
    tree = ET.fromstring(svg)
    assert tree.get("role") == "img"
    texts = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}text")]
    assert f"Service {hostile}" in texts
    assert "if StringEquals sts:ExternalId = </text><svg onload=x>" in texts
    title = tree.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text is not None and "r<&>" in title.text


def test_the_picture_draws_a_bounded_number_of_principals() -> None:
    accounts = [f"{n:012d}" for n in range(200)]
    document = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": accounts}}]}
    svg = role_trust_svg.render(trusted_principals(document, ME), "r", "arn:r")
    tree = ET.fromstring(svg)
    boxes = [g for g in tree.iter("{http://www.w3.org/2000/svg}g") if g.get("id")]
    assert len(boxes) == role_trust_svg.MAX_DRAWN
    assert f"and {200 - role_trust_svg.MAX_DRAWN} more principals" in svg
