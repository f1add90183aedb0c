"""Creating a role with a guided trust policy: who may assume it (this account, another
account, an AWS service, an OIDC or a SAML provider), "Require external ID" and "Require
MFA", then the role's name, path, description, maximum session, managed policies and tags.

"Preview" shows the trust policy the choices make (JSON and picture) without creating
anything; "Create role" calls CreateRole, then AttachRolePolicy per chosen policy, as the
signed-in person. What the API refuses (a name taken, a bad path, a principal that does
not exist, AccessDenied) comes back on the form in AWS's words, with the choices kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from iamd.console import role_trust, role_trust_svg
from iamd.console.role_calls import attachable_policies, attempt, role_url
from iamd.console.role_trust import TrustChoice, TrustFormError
from iamd.console.web import Visit, page
from iamd.errors import ServiceError

MAX_HOURS = 12


@dataclass(slots=True)
class CreateForm:
    """The form's fields as sent (or their defaults), to build from and to show again."""

    trust: str = role_trust.THIS_ACCOUNT
    other_account: str = ""
    service: str = role_trust.COMMON_SERVICES[0]
    service_other: str = ""
    oidc_provider: str = ""
    audience: str = ""
    saml_provider: str = ""
    external_id_on: bool = False
    external_id: str = ""
    require_mfa: bool = False
    name: str = ""
    path: str = "/"
    description: str = ""
    max_hours: int = 1
    policies: list[str] = field(default_factory=list)
    tags: str = ""

    @classmethod
    def of(cls, form: dict[str, list[str]]) -> CreateForm:
        def one(name: str) -> str:
            return form.get(name, [""])[0]

        hours = one("max_hours")
        return cls(
            trust=one("trust"),
            other_account=one("other_account").strip(),
            service=one("service"),
            service_other=one("service_other").strip(),
            oidc_provider=one("oidc_provider"),
            audience=one("audience"),
            saml_provider=one("saml_provider"),
            external_id_on=bool(one("external_id_on")),
            external_id=one("external_id"),
            require_mfa=bool(one("require_mfa")),
            name=one("name").strip(),
            path=one("path").strip() or "/",
            description=one("description"),
            max_hours=int(hours) if hours.isdigit() and 1 <= int(hours) <= MAX_HOURS else 1,
            policies=[arn for arn in form.get("policy", []) if arn],
            tags=one("tags"),
        )

    def choice(self) -> TrustChoice:
        provider = self.saml_provider if self.trust == role_trust.SAML else self.oidc_provider
        return TrustChoice(
            kind=self.trust,
            account_id=self.other_account,
            service=self.service_other or self.service,
            provider_arn=provider,
            audience=self.audience,
            external_id=self.external_id if self.external_id_on else None,
            require_mfa=self.require_mfa,
        )

    def tag_list(self) -> list[dict[str, str]]:
        """``Key=Value`` per line (a line without ``=`` is a key with an empty value)."""
        tags = []
        for line in self.tags.splitlines():
            if line.strip():
                key, _, value = line.partition("=")
                tags.append({"Key": key.strip(), "Value": value.strip()})
        return tags

    def create_params(self, document: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "RoleName": self.name,
            "Path": self.path,
            "AssumeRolePolicyDocument": document,
            "MaxSessionDuration": self.max_hours * 3600,
        }
        if self.description:
            params["Description"] = self.description
        if self.tag_list():
            params["Tags"] = self.tag_list()
        return params


def choices(visit: Visit) -> dict[str, Any]:
    """The providers and policies the form offers, or why they cannot be listed."""
    oidc, oidc_refused = attempt(visit, "ListOpenIDConnectProviders", {})
    saml, saml_refused = attempt(visit, "ListSAMLProviders", {})
    policies, policies_refused = attachable_policies(visit)
    return {
        "oidc_providers": [p["Arn"] for p in (oidc or {}).get("OpenIDConnectProviderList", [])],
        "saml_providers": [p["Arn"] for p in (saml or {}).get("SAMLProviderList", [])],
        "policy_choices": policies,
        "refused": [m for m in (oidc_refused, saml_refused, policies_refused) if m],
        "services": role_trust.COMMON_SERVICES,
        "max_hours": MAX_HOURS,
    }


def show(visit: Visit, form: CreateForm, status: int = 200, **values: Any) -> Response:
    account = visit.session.identity.account_id if visit.session and visit.session.identity else ""
    document, problem = "", ""
    trusted: list[role_trust.Trusted] = []
    try:
        built = role_trust.trust_policy(form.choice(), account)
        document = json.dumps(built, indent=2)
        trusted = role_trust.trusted_principals(built, account)
    except TrustFormError as exc:
        problem = str(exc)
    picture = role_trust_svg.render(trusted, form.name or "(new role)", "") if trusted else ""
    values.setdefault("error", problem)
    return visit.render(
        "role_create.html",
        status=status,
        form=form,
        document=document,
        picture=picture,
        **choices(visit),
        **values,
    )


@page("/console/roles/create")
async def create_form(visit: Visit) -> Response:
    return show(visit, CreateForm())


@page("/console/roles/create", ("POST",))
async def create_role(visit: Visit) -> Response:
    form = CreateForm.of(await visit.form())
    account = visit.session.identity.account_id if visit.session and visit.session.identity else ""
    try:
        document = json.dumps(role_trust.trust_policy(form.choice(), account), indent=2)
    except TrustFormError as exc:
        return show(visit, form, status=400, error=str(exc))
    if await visit.field("action") != "create":
        return show(visit, form)
    try:
        visit.call("iam", "CreateRole", form.create_params(document))
    except ServiceError as exc:
        return show(visit, form, status=exc.http_status, error=exc.message, error_code=exc.code)
    failed = []
    for arn in form.policies:
        try:
            visit.call("iam", "AttachRolePolicy", {"RoleName": form.name, "PolicyArn": arn})
        except ServiceError as exc:
            failed.append((arn, exc.code, exc.message))
    if failed:
        return visit.render(
            "role_created_partly.html", name=form.name, url=role_url(form.name), failed=failed
        )
    return visit.redirect(role_url(form.name) + "?done=created")
