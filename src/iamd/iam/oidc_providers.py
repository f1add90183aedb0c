"""IAM OIDC identity providers: Create/Get/List/DeleteOpenIDConnectProvider, client ids,
thumbprints and the provider's tags (spec 5.7).

Rules, as AWS states and words them:

- the URL begins ``https://``, has a host and optionally a path, no query, fragment,
  user info or port; it is at most 255 characters and unique per account (``Provider
  with url URL already exists.``). For local development iamd also accepts ``http://``
  when the host is a loopback address (``127.0.0.1``, ``::1``, ``localhost``), port
  included: ``iamd idp oidc`` serves such an issuer. AWS would refuse it;
- the ARN is ``arn:aws:iam::ACCOUNT:oidc-provider/`` + the URL without its scheme, and
  GetOpenIDConnectProvider shows the URL that way too;
- at most 100 client ids (LimitExceeded ``Cannot exceed quota for
  ClientIdsPerOpenIdConnectProvider: 100``), each 1-255 characters; adding one that is
  there already is no error;
- thumbprints are optional (AWS no longer needs them to trust an IdP), at most 5
  (InvalidInput ``Thumbprint list must contain fewer than 5 entries.``, AWS's words),
  each 40 hexadecimal digits; UpdateOpenIDConnectProviderThumbprint replaces the list;
- at most 100 providers per account (``OpenIdConnectProvidersPerAccount``).

Each operation is authorized on the provider's ARN with its tags, as AWS does.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from iamd.errors import (
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from iamd.iam import naming, tagging
from iamd.iam.tagging import Taggable
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import oidc_providers as store
from iamd.store.db import RowConflict, savepoint, touch_account

OIDC_PROVIDER_TAGS = Taggable("oidc-provider", "TagsPerOpenIdConnectProvider")
PROVIDERS_PER_ACCOUNT = 100
PROVIDERS_QUOTA = "OpenIdConnectProvidersPerAccount"
MAX_CLIENT_IDS = 100
CLIENT_IDS_QUOTA = "ClientIdsPerOpenIdConnectProvider"
MAX_THUMBPRINTS = 5
MAX_URL_LENGTH = 255
MAX_CLIENT_ID_LENGTH = 255
THUMBPRINT_PATTERN = "[0-9a-fA-F]{40}"
INVALID_URL = "Invalid Open ID Connect Provider URL"
TOO_MANY_THUMBPRINTS = "Thumbprint list must contain fewer than 5 entries."
LOOPBACK_NAMES = frozenset({"localhost"})

_THUMBPRINT = re.compile(THUMBPRINT_PATTERN)


@dataclass(frozen=True, slots=True)
class ProviderUrl:
    """A checked provider URL: as written, and the part after the scheme (``HOST/PATH``)."""

    url: str
    name: str

    def arn(self, account: str) -> str:
        return f"arn:aws:iam::{account}:oidc-provider/{self.name}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (the only hosts plain http is allowed for)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_provider_url(url: str) -> ProviderUrl:
    """The URL's ``HOST/PATH``; InvalidInput with AWS's message if it is not a valid one."""
    naming.raise_violations(naming.length_violations(url, "url", 1, MAX_URL_LENGTH))
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(INVALID_URL) from None
    host = parts.hostname or ""
    scheme_ok = parts.scheme == "https" and port is None
    if parts.scheme == "http" and is_loopback(host):
        scheme_ok = True
    malformed = (
        not scheme_ok
        or not host
        or "?" in url
        or "#" in url
        or parts.username is not None
        or parts.password is not None
        or any(ch.isspace() for ch in url)
    )
    if malformed:
        raise ValidationError(INVALID_URL)
    return ProviderUrl(url, url.split("://", 1)[1])


def _client_ids(values: Iterable[object], member: str = "clientIDList") -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(str(v) for v in values))
    violations: list[str] = []
    for n, client_id in enumerate(ids, start=1):
        violations += naming.length_violations(
            client_id, f"{member}.{n}.member", 1, MAX_CLIENT_ID_LENGTH
        )
    naming.raise_violations(violations)
    if len(ids) > MAX_CLIENT_IDS:
        raise LimitExceeded(f"Cannot exceed quota for {CLIENT_IDS_QUOTA}: {MAX_CLIENT_IDS}")
    return ids


def _thumbprints(values: Iterable[object]) -> tuple[str, ...]:
    given = [str(v) for v in values]
    violations: list[str] = []
    for n, thumbprint in enumerate(given, start=1):
        member = f"thumbprintList.{n}.member"
        violations += naming.length_violations(thumbprint, member, 40, 40)
        if len(thumbprint) == 40 and _THUMBPRINT.fullmatch(thumbprint) is None:
            violations.append(
                f"Value at '{member}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {THUMBPRINT_PATTERN}"
            )
    naming.raise_violations(violations)
    unique = tuple({t.lower(): t for t in given}.values())
    if len(unique) > MAX_THUMBPRINTS:
        raise InvalidInput(TOO_MANY_THUMBPRINTS)
    return unique


def _not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")


def get_provider(ctx: OperationContext, arn: str) -> store.OidcProvider:
    """The caller's account's provider with this ARN, or NoSuchEntity."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam" or parsed.resource_type != "oidc-provider":
        raise InvalidInput(f"ARN {arn} is not valid.")
    provider = store.get_by_arn(ctx.db, arn) if parsed.account == ctx.account_id else None
    if provider is None:
        raise _not_found(arn)
    return provider


def provider_target(ctx: OperationContext, params: Params) -> Target:
    arn = str(params.get("OpenIDConnectProviderArn", ""))
    provider = store.get_by_arn(ctx.db, arn)
    if provider is None or provider.account_id != ctx.account_id:
        return Target(arn, account=ctx.account_id)
    tags = tagging.tags_of(ctx.db, OIDC_PROVIDER_TAGS.resource_type, arn)
    return Target(arn, tags=tags, account=ctx.account_id)


def create_target(ctx: OperationContext, params: Params) -> Target:
    url = str(params.get("Url", ""))
    name = url.split("://", 1)[-1]
    return Target(f"arn:aws:iam::{ctx.account_id}:oidc-provider/{name}", account=ctx.account_id)


def list_target(ctx: OperationContext, params: Params) -> Target:
    return Target(f"arn:aws:iam::{ctx.account_id}:oidc-provider/*", account=ctx.account_id)


def tag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def untag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


@operation("iam", "CreateOpenIDConnectProvider", target=create_target, request_context=tag_context)
def create_open_id_connect_provider(ctx: OperationContext, params: Params) -> Result:
    url = parse_provider_url(str(params["Url"]))
    client_ids = _client_ids(params.get("ClientIDList") or ())
    thumbprints = _thumbprints(params.get("ThumbprintList") or ())
    tags = tagging.parse_tags(params.get("Tags"))
    if len(tags) > ctx.settings.quotas.tags_per_entity:
        raise naming.quota_exceeded(
            OIDC_PROVIDER_TAGS.quota_name, ctx.settings.quotas.tags_per_entity
        )
    touch_account(ctx.db, ctx.account_id)
    exists = EntityAlreadyExists(f"Provider with url {url.url} already exists.")
    arn = url.arn(ctx.account_id)
    if store.get_by_arn(ctx.db, arn) is not None:
        raise exists
    if store.count_providers(ctx.db, ctx.account_id) >= PROVIDERS_PER_ACCOUNT:
        raise naming.quota_exceeded(PROVIDERS_QUOTA, PROVIDERS_PER_ACCOUNT)
    provider = store.OidcProvider(arn, ctx.account_id, url.url, client_ids, thumbprints, ctx.now)
    try:
        with savepoint(ctx.db):
            store.insert_provider(ctx.db, provider)
    except RowConflict as exc:
        if exc.kind == "unique":
            raise exists from None
        raise
    limit = ctx.settings.quotas.tags_per_entity
    tagging.apply_tags(ctx.db, OIDC_PROVIDER_TAGS, arn, tags, limit)
    result: Result = {"OpenIDConnectProviderArn": arn}
    if tags:
        result["Tags"] = tagging.tag_list(tags)
    return result


@operation("iam", "GetOpenIDConnectProvider", target=provider_target)
def get_open_id_connect_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["OpenIDConnectProviderArn"]))
    result: Result = {
        "Url": provider.url.split("://", 1)[1],
        "ClientIDList": list(provider.client_ids),
        "ThumbprintList": list(provider.thumbprints),
        "CreateDate": provider.created_at,
    }
    tags = tagging.tags_of(ctx.db, OIDC_PROVIDER_TAGS.resource_type, provider.arn)
    if tags:
        result["Tags"] = tagging.tag_list(tags.items())
    return result


@operation("iam", "ListOpenIDConnectProviders", target=list_target)
def list_open_id_connect_providers(ctx: OperationContext, params: Params) -> Result:
    providers = store.list_providers(ctx.db, ctx.account_id)
    return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in providers]}


@operation("iam", "DeleteOpenIDConnectProvider", target=provider_target)
def delete_open_id_connect_provider(ctx: OperationContext, params: Params) -> Result:
    arn = str(params["OpenIDConnectProviderArn"])
    try:
        provider = get_provider(ctx, arn)
    except NoSuchEntity:  # AWS words a delete's miss its own way
        raise NoSuchEntity(f"OpenId connect Provider {arn} cannot be found.") from None
    touch_account(ctx.db, ctx.account_id)
    tagging.delete_all_tags(ctx.db, OIDC_PROVIDER_TAGS, provider.arn)
    store.delete_provider(ctx.db, provider.arn)
    return {}


@operation("iam", "AddClientIDToOpenIDConnectProvider", target=provider_target)
def add_client_id_to_open_id_connect_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["OpenIDConnectProviderArn"]))
    client_id = str(params["ClientID"])
    naming.raise_violations(
        naming.length_violations(client_id, "clientID", 1, MAX_CLIENT_ID_LENGTH)
    )
    if client_id in provider.client_ids:
        return {}
    ids = _client_ids((*provider.client_ids, client_id))
    touch_account(ctx.db, ctx.account_id)
    store.set_client_ids(ctx.db, provider.arn, ids)
    return {}


@operation("iam", "RemoveClientIDFromOpenIDConnectProvider", target=provider_target)
def remove_client_id_from_open_id_connect_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["OpenIDConnectProviderArn"]))
    client_id = str(params["ClientID"])
    if client_id not in provider.client_ids:
        return {}  # AWS: removing a client id that is not there is no error
    touch_account(ctx.db, ctx.account_id)
    remaining = tuple(c for c in provider.client_ids if c != client_id)
    store.set_client_ids(ctx.db, provider.arn, remaining)
    return {}


@operation("iam", "UpdateOpenIDConnectProviderThumbprint", target=provider_target)
def update_open_id_connect_provider_thumbprint(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["OpenIDConnectProviderArn"]))
    thumbprints = _thumbprints(params.get("ThumbprintList") or ())
    touch_account(ctx.db, ctx.account_id)
    store.set_thumbprints(ctx.db, provider.arn, thumbprints)
    return {}


@operation("iam", "TagOpenIDConnectProvider", target=provider_target, request_context=tag_context)
def tag_open_id_connect_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["OpenIDConnectProviderArn"]))
    tags = tagging.parse_tags(params.get("Tags"))
    touch_account(ctx.db, ctx.account_id)
    limit = ctx.settings.quotas.tags_per_entity
    tagging.apply_tags(ctx.db, OIDC_PROVIDER_TAGS, provider.arn, tags, limit)
    return {}


@operation(
    "iam", "UntagOpenIDConnectProvider", target=provider_target, request_context=untag_context
)
def untag_open_id_connect_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["OpenIDConnectProviderArn"]))
    keys = tagging.parse_tag_keys(params.get("TagKeys"))
    touch_account(ctx.db, ctx.account_id)
    tagging.untag(ctx.db, OIDC_PROVIDER_TAGS, provider.arn, keys)
    return {}


@operation("iam", "ListOpenIDConnectProviderTags", target=provider_target)
def list_open_id_connect_provider_tags(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["OpenIDConnectProviderArn"]))
    return tagging.list_tags_result(ctx.db, OIDC_PROVIDER_TAGS, provider.arn, params)
