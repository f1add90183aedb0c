"""SAML 2.0 IdP-initiated sign-in: ``POST /saml`` with a SAMLResponse, as an identity
provider posts to AWS's ``https://signin.aws.amazon.com/saml``.

The roles the assertion's Role attribute offers are listed to pick from (read without
checking the signature: only for the list); picking one (or the only one) calls STS
AssumeRoleWithSAML through the pipeline, which verifies the assertion, its provider and
the role's trust policy, and the session it returns becomes the console session. The
IdP's own POST is cross-site by design; the picker's form is CSRF-checked like any other.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import Response

from iamd.console.session import Identity, signed_in
from iamd.console.web import MAX_FORM_BYTES, Visit, page, read_capped
from iamd.errors import ServiceError
from iamd.sts.saml import offered_roles
from iamd.sts.sessions import epoch


async def _saml_form(visit: Visit) -> dict[str, str]:
    """The IdP's form: read without the CSRF check (it comes from the IdP's page)."""
    body = await read_capped(visit.request, MAX_FORM_BYTES * 4)
    if body is None:
        return {}
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(pairs)


def _assume(visit: Visit, response: str, role: str, provider: str) -> Response:
    try:
        result = visit.console.client.call(
            visit.request,
            None,
            "sts",
            "AssumeRoleWithSAML",
            {"RoleArn": role, "PrincipalArn": provider, "SAMLAssertion": response},
        )
    except ServiceError as exc:
        return visit.render(
            "error.html", status=exc.http_status, title=exc.code, message=exc.message
        )
    creds = result["Credentials"]
    account = role.split(":")[4]
    identity = Identity(
        creds["AccessKeyId"],
        creds["SessionToken"],
        epoch(creds["Expiration"]),
        result["AssumedRoleUser"]["Arn"],
        account,
    )
    visit.set_session = signed_in(identity)
    return visit.redirect("/console")


@page("/saml", ("POST",), signed_in=False)
async def saml_post(visit: Visit) -> Response:
    form = await _saml_form(visit)
    response = form.get("SAMLResponse", "")
    roles = offered_roles(response) if response else []
    if not roles:
        return visit.render(
            "error.html",
            status=400,
            title="InvalidIdentityToken",
            message="The SAML response offers no role to sign in with.",
        )
    if len(roles) == 1:
        return _assume(visit, response, *roles[0])
    return visit.render("saml_roles.html", roles=roles, saml_response=response)


@page("/console/saml/choose", ("POST",), signed_in=False)
async def saml_choose(visit: Visit) -> Response:
    response = await visit.field("SAMLResponse")
    chosen = await visit.field("role")
    roles = offered_roles(response)
    pair = next((p for p in roles if p[0] == chosen), None)
    if pair is None:
        return visit.render(
            "error.html",
            status=400,
            title="InvalidIdentityToken",
            message="Choose one of the roles the SAML response offers.",
        )
    return _assume(visit, response, *pair)
