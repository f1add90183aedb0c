"""Policy documents entering the store: MalformedPolicyDocument and size quotas."""

from __future__ import annotations

import json

import pytest

from iamd.errors import LimitExceeded, MalformedPolicyDocument
from iamd.iam import documents
from iamd.policy import PolicyKind


def doc(*, version: str | None = "2012-10-17", pad: str = "", **extra: object) -> str:
    resource = f"arn:aws:s3:::bucket/{pad}"
    body: dict[str, object] = {
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}]
    }
    if version is not None:
        body["Version"] = version
    body.update(extra)
    return json.dumps(body)


def test_a_valid_identity_policy_parses() -> None:
    policy = documents.parse_document(doc())
    assert policy.kind is PolicyKind.IDENTITY
    assert len(policy.statements) == 1


def test_syntax_errors_carry_the_engines_message() -> None:
    with pytest.raises(MalformedPolicyDocument) as err:
        documents.parse_document("{not json")
    assert err.value.message == "Syntax errors in policy."


def test_grammar_errors_carry_the_engines_message() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]})
    with pytest.raises(MalformedPolicyDocument) as err:
        documents.parse_document(text)
    assert err.value.message  # the engine's wording, not ours
    assert err.value.code == "MalformedPolicyDocument" and err.value.http_status == 400


def test_identity_policies_may_not_name_a_principal() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
        }
    )
    with pytest.raises(MalformedPolicyDocument):
        documents.parse_document(text)


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_managed_policies_need_version_2012(version: str | None) -> None:
    with pytest.raises(MalformedPolicyDocument) as err:
        documents.managed_document(doc(version=version), 6144)
    assert err.value.message == "Policy document must be version 2012-10-17 or greater."


def test_inline_policies_may_omit_the_version() -> None:
    documents.inline_document(
        doc(version=None), others=[], limit=2048, entity_type="user", entity_name="bob"
    )


def test_managed_size_counts_characters_without_whitespace() -> None:
    base = doc()
    room = 6144 - len(base.replace(" ", ""))
    fits = doc(pad="a" * room)
    documents.managed_document(fits, 6144)
    spaced = fits.replace(",", ",    \n\t")
    documents.managed_document(spaced, 6144)
    with pytest.raises(LimitExceeded) as err:
        documents.managed_document(doc(pad="a" * (room + 1)), 6144)
    assert err.value.message == "Cannot exceed quota for PolicySize: 6144"
    assert err.value.http_status == 409


def test_malformed_wins_over_too_large() -> None:
    with pytest.raises(MalformedPolicyDocument):
        documents.managed_document("{" + "x" * 7000, 6144)


def test_inline_size_adds_the_entitys_other_policies() -> None:
    first = doc(pad="a" * 1000)
    documents.inline_document(first, others=[], limit=2048, entity_type="user", entity_name="bob")
    with pytest.raises(LimitExceeded) as err:
        documents.inline_document(
            first, others=[first], limit=2048, entity_type="user", entity_name="bob"
        )
    assert err.value.message == "Maximum policy size of 2048 bytes exceeded for user bob"


def test_quota_exceeded_wording() -> None:
    err = documents.quota_exceeded("PoliciesPerRole", 10)
    assert err.message == "Cannot exceed quota for PoliciesPerRole: 10"
    assert err.code == "LimitExceeded"
