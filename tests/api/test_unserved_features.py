"""Organizations-only and outbound-federation operations answer as AWS answers an account
outside any organization; the operations iamd does not serve are the README's list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from iamd import operations
from iamd.server.handlers import load_operations

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    ("call", "code", "status"),
    [
        ("list_organizations_features", "OrganizationNotFoundException", 400),
        ("enable_organizations_root_credentials_management", "OrganizationNotFoundException", 400),
        ("disable_organizations_root_sessions", "OrganizationNotFoundException", 400),
        ("get_outbound_web_identity_federation_info", "FeatureDisabled", 404),
        ("disable_outbound_web_identity_federation", "FeatureDisabled", 404),
    ],
)
def test_outside_an_organization(iam: Any, call: str, code: str, status: int) -> None:
    with pytest.raises(ClientError) as error:
        getattr(iam, call)()
    response = error.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        code,
        status,
    )


def test_the_readme_lists_every_operation_not_served() -> None:
    load_operations()
    model = botocore.session.get_session().get_service_model("iam")
    served = {op.name for op in operations.registered("iam")}
    text = README.read_text()
    section = text[text.index("## IAM operations not served") :]
    section = section[: section.index("\n## ", 3)]
    missing = sorted(set(model.operation_names) - served)
    assert missing, "every operation is served: drop the README's list"
    assert [name for name in missing if f"`{name}`" not in section] == []
    listed = {name for name in model.operation_names if f"`{name}`" in section}
    assert listed <= set(missing), f"served but listed as not: {sorted(listed - set(missing))}"
