"""Identity providers: the OIDC and SAML providers of the account, a provider's details
(an OIDC provider's URL, audiences and thumbprints; a SAML provider's metadata, summed
up), creating either kind and deleting one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from iamd.console.calls import attempt, described, lines, text
from iamd.console.web import MAX_FORM_BYTES, Visit, page
from iamd.errors import ServiceError
from iamd.iam.saml_providers import parse_metadata

DONE = {"created": "Identity provider added.", "deleted": "Identity provider deleted."}


def provider_url(kind: str, arn: str) -> str:
    return f"/console/providers/{kind}?" + urlencode({"arn": arn})


def _arn(visit: Visit) -> str:
    return visit.request.query_params.get("arn", "")[:2048]


@page("/console/providers")
async def list_providers(visit: Visit) -> Response:
    return _list(visit)


def _list(visit: Visit, status: int = 200, **form: Any) -> Response:
    done = DONE.get(visit.request.query_params.get("done", ""))
    if done:
        visit.flashes.append(("ok", done))
    oidc, oidc_refused = attempt(visit, "ListOpenIDConnectProviders")
    saml, saml_refused = attempt(visit, "ListSAMLProviders")
    values = {"oidc_error": "", "saml_error": "", "url": "", "audience": "", "thumbprint": ""}
    values.update({"name": "", "metadata": "", **form})
    return visit.render(
        "providers.html",
        status=status,
        oidc=[_oidc_row(p["Arn"]) for p in (oidc or {}).get("OpenIDConnectProviderList", [])],
        saml=(saml or {}).get("SAMLProviderList", []),
        oidc_refused=oidc_refused,
        saml_refused=saml_refused,
        **values,
    )


def _oidc_row(arn: str) -> dict[str, str]:
    """An OIDC provider's ARN and the issuer its resource name spells (host and path)."""
    return {"Arn": arn, "Issuer": arn.partition(":oidc-provider/")[2]}


@page("/console/providers/oidc")
async def show_oidc(visit: Visit) -> Response:
    arn = _arn(visit)
    provider = visit.call("iam", "GetOpenIDConnectProvider", {"OpenIDConnectProviderArn": arn})
    return visit.render("providers_oidc.html", arn=arn, provider=provider)


@page("/console/providers/saml")
async def show_saml(visit: Visit) -> Response:
    arn = _arn(visit)
    provider = visit.call("iam", "GetSAMLProvider", {"SAMLProviderArn": arn})
    document = provider.get("SAMLMetadataDocument", "")
    try:
        metadata, unreadable = parse_metadata(document), ""
    except ValueError as exc:
        metadata, unreadable = None, str(exc)
    return visit.render(
        "providers_saml.html",
        arn=arn,
        provider=provider,
        metadata=metadata,
        unreadable=unreadable,
        document=document,
    )


@page("/console/providers/oidc", ("POST",))
async def create_oidc(visit: Visit) -> Response:
    url, audience = await text(visit, "url", 255), await text(visit, "audience", 255)
    thumbprint = await text(visit, "thumbprint", 1024)
    params: dict[str, Any] = {"Url": url, "ClientIDList": [audience] if audience else []}
    if thumbprint:
        params["ThumbprintList"] = lines(thumbprint.replace(",", "\n"))
    try:
        made = visit.call("iam", "CreateOpenIDConnectProvider", params)
    except ServiceError as exc:
        form = {"url": url, "audience": audience, "thumbprint": thumbprint}
        return _list(visit, exc.http_status, oidc_error=described(exc), **form)
    return visit.redirect(provider_url("oidc", made["OpenIDConnectProviderArn"]) + "&done=1")


@page("/console/providers/saml", ("POST",))
async def create_saml(visit: Visit) -> Response:
    name = await text(visit, "name", 128)
    metadata = (await visit.field("metadata"))[:MAX_FORM_BYTES]
    params = {"Name": name, "SAMLMetadataDocument": metadata}
    try:
        made = visit.call("iam", "CreateSAMLProvider", params)
    except ServiceError as exc:
        form = {"name": name, "metadata": metadata}
        return _list(visit, exc.http_status, saml_error=described(exc), **form)
    return visit.redirect(provider_url("saml", made["SAMLProviderArn"]) + "&done=1")


@page("/console/providers/delete", ("POST",))
async def delete_provider(visit: Visit) -> Response:
    arn = (await visit.field("arn"))[:2048]
    if (await visit.field("kind")) == "saml":
        visit.call("iam", "DeleteSAMLProvider", {"SAMLProviderArn": arn})
    else:
        visit.call("iam", "DeleteOpenIDConnectProvider", {"OpenIDConnectProviderArn": arn})
    return visit.redirect("/console/providers?done=deleted")
