"""The create form's fields, read into the choice and the CreateRole parameters."""

from __future__ import annotations

from iamd.console.role_create import CreateForm
from iamd.console.role_trust import TrustChoice


def test_fields_become_the_choice_and_the_parameters() -> None:
    form = CreateForm.of(
        {
            "trust": ["other-account"],
            "other_account": [" 111122223333 "],
            "external_id_on": ["1"],
            "external_id": ["x"],
            "name": [" r "],
            "path": [""],
            "max_hours": ["12"],
            "policy": ["arn:aws:iam::aws:policy/ReadOnlyAccess", ""],
            "tags": ["a=1\n\n b = 2 = 3 \nflag\n"],
        }
    )
    assert form.choice() == TrustChoice(
        "other-account",
        account_id="111122223333",
        external_id="x",
    )
    assert form.create_params("{}") == {
        "RoleName": "r",
        "Path": "/",
        "AssumeRolePolicyDocument": "{}",
        "MaxSessionDuration": 43200,
        "Tags": [
            {"Key": "a", "Value": "1"},
            {"Key": "b", "Value": "2 = 3"},
            {"Key": "flag", "Value": ""},
        ],
    }
    assert form.policies == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_a_duration_outside_one_to_twelve_hours_is_one_hour() -> None:
    for sent in ("0", "13", "-1", "x", ""):
        assert CreateForm.of({"max_hours": [sent]}).max_hours == 1


def test_a_typed_service_wins_over_the_list_and_the_provider_follows_the_kind() -> None:
    form = CreateForm.of(
        {"trust": ["service"], "service": ["ec2.amazonaws.com"], "service_other": ["x.test"]}
    )
    assert form.choice().service == "x.test"
    both = {"oidc_provider": ["arn:oidc"], "saml_provider": ["arn:saml"]}
    assert CreateForm.of({"trust": ["saml"], **both}).choice().provider_arn == "arn:saml"
    assert CreateForm.of({"trust": ["web-identity"], **both}).choice().provider_arn == "arn:oidc"
