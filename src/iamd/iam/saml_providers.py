"""SAML 2.0 identity providers: Create/Get/Update/List/DeleteSAMLProvider and their tags.

A provider is the IdP's metadata document under a name (``[\\w._-]+``, 1-128, unique
per account ignoring case), with the ARN ``arn:aws:iam::ACCOUNT:saml-provider/NAME``.
The document must be SAML 2.0 metadata describing one identity provider
(``md:EntityDescriptor`` with an ``md:IDPSSODescriptor``, or an ``md:EntitiesDescriptor``
holding exactly one such descriptor); ``parse_metadata`` reads from it:

- the entity id, which assertions must name as their ``Issuer``;
- the signing certificates: the ``X509Certificate`` of every ``KeyDescriptor`` of the
  IDPSSODescriptor whose ``use`` is ``signing`` or absent (``encryption`` keys never
  verify a signature);
- ``validUntil`` (the earliest of the entity's and the IDPSSODescriptor's). Without one,
  ValidUntil is the creation time plus 100 years [INF: what AWS shows for such metadata].

Anything else is InvalidInput ``Could not parse metadata`` [INF wording], and the
request changes nothing. The document is stored as uploaded; AssumeRoleWithSAML parses
it again (``iamd.sts.saml``), so an update takes effect on the next request of any node.

Encrypted assertions (``AssertionEncryptionMode=Required``, ``AddPrivateKey``) are not
supported: such requests are InvalidInput. Every operation is authorized like any IAM
call, on the provider's ARN with its tags (``aws:ResourceTag/*``).

The XML parser refuses DTDs and never resolves entities or fetches anything from the
network (``parse_xml``), since the documents come from outside; STS parses assertions
with it too.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from lxml import etree
from sqlalchemy import Connection

from iamd.errors import EntityAlreadyExists, InvalidInput, NoSuchEntity
from iamd.iam import naming, tagging
from iamd.iam.tagging import Taggable
from iamd.model.arn import iam_arn, parse_arn
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import saml_providers as store
from iamd.store import schema
from iamd.store.db import RowConflict, savepoint, touch_account

SAML_PROVIDER_TAGS = Taggable("saml-provider", "TagsPerSAMLProvider")
QUOTA_NAME = "SAMLProvidersPerAccount"
QUOTA = 100
NAME_PATTERN = r"[\w._-]+"
MAX_NAME_LENGTH = 128
DEFAULT_VALIDITY = dt.timedelta(days=36525)  # 100 years
UNPARSEABLE = "Could not parse metadata"

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"

_NAME = re.compile(NAME_PATTERN, re.ASCII)


class XmlRejected(Exception):
    """The text is not well-formed XML, or uses features refused for untrusted input."""


def parse_xml(data: bytes | str) -> etree._Element:
    """The root element of untrusted XML: no DTD, no entities, no network, no huge trees."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        tree = etree.fromstring(raw, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise XmlRejected(str(exc)) from None
    docinfo = tree.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlRejected("documents with a DTD are refused")
    return tree


# --- metadata ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metadata:
    """What iamd uses of an IdP's metadata document."""

    entity_id: str
    certificates: tuple[x509.Certificate, ...]
    valid_until: dt.datetime | None


def parse_instant(text: str) -> dt.datetime:
    """An ``xs:dateTime`` as SAML writes it (UTC, ``Z`` or an offset; fractions allowed)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d)?", value)
    if match is None:
        raise ValueError(f"not a dateTime: {text!r}")
    fraction = (match.group(2) or "")[:7]  # Python takes at most microseconds
    moment = dt.datetime.fromisoformat(match.group(1) + fraction[:7] + (match.group(3) or ""))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _certificate(text: str) -> x509.Certificate:
    der = base64.b64decode("".join(text.split()), validate=True)
    return x509.load_der_x509_certificate(der)


def _idp_descriptor(root: etree._Element) -> tuple[etree._Element, etree._Element]:
    """(EntityDescriptor, IDPSSODescriptor) of the one identity provider described."""
    if root.tag == f"{{{MD_NS}}}EntitiesDescriptor":
        entities = [
            e
            for e in root.iter(f"{{{MD_NS}}}EntityDescriptor")
            if e.find(f"{{{MD_NS}}}IDPSSODescriptor") is not None
        ]
        if len(entities) != 1:
            raise ValueError("exactly one identity provider must be described")
        entity = entities[0]
    elif root.tag == f"{{{MD_NS}}}EntityDescriptor":
        entity = root
    else:
        raise ValueError("not SAML 2.0 metadata")
    descriptors = entity.findall(f"{{{MD_NS}}}IDPSSODescriptor")
    if len(descriptors) != 1:
        raise ValueError("exactly one IDPSSODescriptor is required")
    descriptor = descriptors[0]
    if SAML2_PROTOCOL not in (descriptor.get("protocolSupportEnumeration") or "").split():
        raise ValueError("the IdP does not support SAML 2.0")
    return entity, descriptor


def parse_metadata(document: str) -> Metadata:
    """The entity id, signing certificates and validity of IdP metadata; ValueError
    (with the reason) when it is not usable SAML 2.0 IdP metadata."""
    try:
        root = parse_xml(document)
    except XmlRejected as exc:
        raise ValueError(str(exc)) from None
    entity, descriptor = _idp_descriptor(root)
    entity_id = (entity.get("entityID") or "").strip()
    if not entity_id:
        raise ValueError("the EntityDescriptor has no entityID")
    certificates: list[x509.Certificate] = []
    for key in descriptor.findall(f"{{{MD_NS}}}KeyDescriptor"):
        if key.get("use") not in (None, "signing"):
            continue
        for cert in key.iterfind(
            f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate"
        ):
            try:
                certificates.append(_certificate(cert.text or ""))
            except (ValueError, binascii.Error):
                raise ValueError("a signing certificate is not a valid X.509 certificate") from None
    if not certificates:
        raise ValueError("the IDPSSODescriptor has no signing certificate")
    instants = [e.get("validUntil") for e in (entity, descriptor) if e.get("validUntil")]
    try:
        valid_until = min(parse_instant(str(v)) for v in instants) if instants else None
    except ValueError:
        raise ValueError("validUntil is not a dateTime") from None
    return Metadata(entity_id, tuple(certificates), valid_until)


def checked_metadata(document: str) -> Metadata:
    """``parse_metadata`` with AWS's InvalidInput for a document it cannot use."""
    try:
        return parse_metadata(document)
    except ValueError:
        raise InvalidInput(UNPARSEABLE) from None


# --- names, ARNs, lookups ------------------------------------------------------------------


def provider_arn(account: str, name: str) -> str:
    return iam_arn(account, "saml-provider", "/", name)


def name_violations(name: str, member: str = "name") -> list[str]:
    return naming.pattern_violations(name, member, _NAME, NAME_PATTERN) + naming.length_violations(
        name, member, 1, MAX_NAME_LENGTH
    )


def _name_in(arn: str, account: str) -> str | None:
    """The provider name ``arn`` gives in ``account``, None if it names no provider there."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam" or parsed.account != account:
        return None
    kind, _, name = parsed.resource.partition("/")
    if kind != "saml-provider" or not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        return None
    return name


def find_provider(conn: Connection, arn: str) -> store.SamlProvider | None:
    """The provider ``arn`` names in the account it names (for STS), or None."""
    parsed = parse_arn(arn)
    if parsed is None:
        return None
    name = _name_in(arn, parsed.account)
    if name is None:
        return None
    found = store.get_by_name(conn, parsed.account, name)
    return found if found is not None and found.arn == arn else None


def get_provider(ctx: OperationContext, arn: str) -> store.SamlProvider:
    """The caller's provider named by ``arn``; InvalidInput or NoSuchEntity otherwise."""
    name = _name_in(arn, ctx.account_id)
    if name is None:
        raise InvalidInput(f"ARN {arn} is not valid.")
    found = store.get_by_name(ctx.db, ctx.account_id, name)
    if found is None or found.arn != arn:
        raise NoSuchEntity(f"SAMLProvider {arn} does not exist.")
    return found


def provider_target(ctx: OperationContext, params: Params) -> Target:
    arn = str(params.get("SAMLProviderArn", ""))
    name = _name_in(arn, ctx.account_id)
    found = store.get_by_name(ctx.db, ctx.account_id, name) if name is not None else None
    if found is None:
        return Target(arn, account=ctx.account_id)
    tags = tagging.tags_of(ctx.db, SAML_PROVIDER_TAGS.resource_type, found.provider_uuid)
    return Target(found.arn, tags=tags, account=ctx.account_id)


def create_target(ctx: OperationContext, params: Params) -> Target:
    return Target(provider_arn(ctx.account_id, str(params.get("Name", ""))), account=ctx.account_id)


def tag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def untag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


def _refuse_encryption(params: Params) -> None:
    if (
        params.get("AddPrivateKey") is not None
        or params.get("AssertionEncryptionMode") == "Required"
    ):
        raise InvalidInput("iamd does not support encrypted SAML assertions.")


def _new_uuid(ctx: OperationContext) -> str:
    return base64.b32encode(ctx.random(15)).decode("ascii")  # 24 characters of [A-Z2-7]


# --- operations ----------------------------------------------------------------------------


@operation("iam", "CreateSAMLProvider", target=create_target, request_context=tag_context)
def create_saml_provider(ctx: OperationContext, params: Params) -> Result:
    name = str(params["Name"])
    naming.raise_violations(name_violations(name))
    tags = tagging.parse_tags(params.get("Tags"))
    _refuse_encryption(params)
    document = str(params["SAMLMetadataDocument"])
    metadata = checked_metadata(document)
    touch_account(ctx.db, ctx.account_id)
    if store.get_by_name(ctx.db, ctx.account_id, name) is not None:
        raise EntityAlreadyExists(f"SAMLProvider {name} already exists.")
    if store.count(ctx.db, ctx.account_id) >= QUOTA:
        raise naming.quota_exceeded(QUOTA_NAME, QUOTA)
    provider = store.SamlProvider(
        provider_uuid=_new_uuid(ctx),
        account_id=ctx.account_id,
        name=name,
        arn=provider_arn(ctx.account_id, name),
        metadata_document=document,
        valid_until=metadata.valid_until or ctx.now + DEFAULT_VALIDITY,
        created_at=ctx.now,
    )
    try:
        with savepoint(ctx.db):
            ctx.db.execute(schema.saml_providers.insert().values(**store.row_values(provider)))
    except RowConflict as exc:
        if exc.kind == "unique":
            raise EntityAlreadyExists(f"SAMLProvider {name} already exists.") from None
        raise
    limit = ctx.settings.quotas.tags_per_entity
    tagging.apply_tags(ctx.db, SAML_PROVIDER_TAGS, provider.provider_uuid, tags, limit)
    result: Result = {"SAMLProviderArn": provider.arn}
    if tags:
        result["Tags"] = tagging.tag_list(tags)
    return result


@operation("iam", "GetSAMLProvider", target=provider_target)
def get_saml_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["SAMLProviderArn"]))
    result: Result = {
        "SAMLProviderUUID": provider.provider_uuid,
        "SAMLMetadataDocument": provider.metadata_document,
        "CreateDate": provider.created_at,
        "AssertionEncryptionMode": "Allowed",
    }
    if provider.valid_until is not None:
        result["ValidUntil"] = provider.valid_until
    tags = tagging.tags_of(ctx.db, SAML_PROVIDER_TAGS.resource_type, provider.provider_uuid)
    if tags:
        result["Tags"] = tagging.tag_list(tags.items())
    return result


@operation("iam", "UpdateSAMLProvider", target=provider_target)
def update_saml_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["SAMLProviderArn"]))
    _refuse_encryption(params)
    document = params.get("SAMLMetadataDocument")
    if document is not None:
        metadata = checked_metadata(str(document))
        touch_account(ctx.db, ctx.account_id)
        valid_until = metadata.valid_until or ctx.now + DEFAULT_VALIDITY
        store.update_metadata(ctx.db, provider.provider_uuid, str(document), valid_until)
    return {"SAMLProviderArn": provider.arn}


@operation("iam", "ListSAMLProviders")
def list_saml_providers(ctx: OperationContext, params: Params) -> Result:
    entries: list[Result] = []
    for provider in store.list_all(ctx.db, ctx.account_id):
        entry: Result = {"Arn": provider.arn, "CreateDate": provider.created_at}
        if provider.valid_until is not None:
            entry["ValidUntil"] = provider.valid_until
        entries.append(entry)
    return {"SAMLProviderList": entries}


@operation("iam", "DeleteSAMLProvider", target=provider_target)
def delete_saml_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["SAMLProviderArn"]))
    touch_account(ctx.db, ctx.account_id)
    tagging.delete_all_tags(ctx.db, SAML_PROVIDER_TAGS, provider.provider_uuid)
    store.delete_provider(ctx.db, provider.provider_uuid)
    return {}


@operation("iam", "TagSAMLProvider", target=provider_target, request_context=tag_context)
def tag_saml_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["SAMLProviderArn"]))
    tags = tagging.parse_tags(params.get("Tags"))
    touch_account(ctx.db, ctx.account_id)
    limit = ctx.settings.quotas.tags_per_entity
    tagging.apply_tags(ctx.db, SAML_PROVIDER_TAGS, provider.provider_uuid, tags, limit)
    return {}


@operation("iam", "UntagSAMLProvider", target=provider_target, request_context=untag_context)
def untag_saml_provider(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["SAMLProviderArn"]))
    keys = tagging.parse_tag_keys(params.get("TagKeys"))
    touch_account(ctx.db, ctx.account_id)
    tagging.untag(ctx.db, SAML_PROVIDER_TAGS, provider.provider_uuid, keys)
    return {}


@operation("iam", "ListSAMLProviderTags", target=provider_target)
def list_saml_provider_tags(ctx: OperationContext, params: Params) -> Result:
    provider = get_provider(ctx, str(params["SAMLProviderArn"]))
    return tagging.list_tags_result(ctx.db, SAML_PROVIDER_TAGS, provider.provider_uuid, params)
