"""SAML IdP-initiated sign-in to the console: the identity provider's page posts a
SAMLResponse to /saml, the person picks one of the roles it offers, and AssumeRoleWithSAML
(which checks the signature, the provider and the trust policy) makes the session."""

from __future__ import annotations

import html
from typing import Any

from iamd.cli.idp import saml as idp_lib

from .browser import screenshot
from .conftest import Credentials, IamdServer
from .test_saml import federate, saml_trust


def _post_from_idp(page: Any, server: IamdServer, response: str) -> None:
    """What an IdP's page does: a form posting the response to the sign-in endpoint."""
    page.set_content(
        f'<form method="post" action="{server.endpoint}/saml">'
        f'<input type="hidden" name="SAMLResponse" value="{html.escape(response)}">'
        '<button type="submit">Continue</button></form>'
    )
    page.get_by_role("button", name="Continue").click()


def test_a_saml_response_offering_two_roles_lets_the_person_pick(
    page: Any, iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    idp = idp_lib.generate("https://idp.example.test/saml")
    fed = federate(iam, idp, account)
    second = iam.create_role(
        RoleName="saml-admin", AssumeRolePolicyDocument=saml_trust(fed.provider_arn)
    )["Role"]["Arn"]
    claims = fed.claims(roles=[(fed.role_arn, fed.provider_arn), (second, fed.provider_arn)])
    response = idp_lib.encode(idp_lib.response(idp, claims, sign="assertion"))
    _post_from_idp(page, iamd_server, response)
    page.wait_for_url("**/saml")
    assert page.get_by_role("heading", name="Select a role").is_visible()
    screenshot(page, "saml-roles")
    page.get_by_label("saml-admin").check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")
    assert page.locator("#identity-arn").inner_text() == (
        f"arn:aws:sts::{fed.account_id}:assumed-role/saml-admin/alice"
    )


def test_a_forged_saml_response_signs_nobody_in(
    page: Any, iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    idp = idp_lib.generate("https://idp.example.test/saml")
    fed = federate(iam, idp, account)
    other = idp_lib.generate("https://idp.example.test/saml")  # same issuer, other key
    response = idp_lib.encode(idp_lib.response(other, fed.claims(), sign="assertion"))
    _post_from_idp(page, iamd_server, response)
    page.wait_for_url("**/saml")
    assert page.locator("h1").inner_text() == "InvalidIdentityToken"
    assert not [c for c in page.context.cookies() if c["name"] == "iamd-console"]
