"""Trust anchors: the certificate authorities an account trusts for CreateSession.

Only ``CERTIFICATE_BUNDLE`` sources are served: the bundle is parsed when it is set
(``certificates.parse_bundle``) and must hold CA certificates only. ``AWS_ACM_PCA`` and
``SELF_SIGNED_REPOSITORY`` need AWS Private CA, which iamd does not have: they are
refused with a ValidationException and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from iamd.errors import ValidationError
from iamd.operations import OperationContext, Params, Result, operation
from iamd.rolesanywhere import certificates, resources
from iamd.rolesanywhere.resources import TRUST_ANCHOR
from iamd.store import rolesanywhere as store
from iamd.store import tags as tag_store
from iamd.store.pagination import InvalidMarker

BUNDLE = "CERTIFICATE_BUNDLE"

_target = resources.resource_target(TRUST_ANCHOR, "trustAnchorId")


def _source(source: Mapping[str, Any]) -> tuple[str, str]:
    """(source type, PEM bundle) of a ``Source``; ValidationException unless a good bundle."""
    kind = str(source.get("sourceType") or "")
    data = source.get("sourceData") or {}
    if kind != BUNDLE:
        raise ValidationError(
            f"Source type {kind or 'null'} is not supported by this server; use {BUNDLE}."
        )
    bundle = data.get("x509CertificateData")
    if not bundle or data.get("acmPcaArn") is not None:
        raise ValidationError(f"A {BUNDLE} source requires x509CertificateData only.")
    try:
        certificates.parse_bundle(str(bundle))
    except certificates.BundleError as exc:
        raise ValidationError(str(exc)) from None
    return kind, str(bundle)


def detail(ctx: OperationContext, anchor: store.TrustAnchor) -> dict[str, Any]:
    """The ``TrustAnchorDetail`` output shape."""
    return {
        "trustAnchorId": anchor.trust_anchor_id,
        "trustAnchorArn": resources.arn(ctx, TRUST_ANCHOR, anchor.trust_anchor_id),
        "name": anchor.name,
        "source": {
            "sourceType": anchor.source_type,
            "sourceData": {"x509CertificateData": anchor.certificate_data},
        },
        "enabled": anchor.enabled,
        "createdAt": anchor.created_at,
        "updatedAt": anchor.updated_at,
        "notificationSettings": [],
    }


def _create_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return resources.request_tag_context(resources.tag_pairs(params.get("tags")))


@operation("rolesanywhere", "CreateTrustAnchor", request_context=_create_context)
def create_trust_anchor(ctx: OperationContext, params: Params) -> Result:
    kind, bundle = _source(params["source"])
    pairs = resources.tag_pairs(params.get("tags"))
    anchor = store.TrustAnchor(
        trust_anchor_id=resources.new_id(ctx),
        account_id=ctx.account_id,
        name=str(params["name"]),
        source_type=kind,
        certificate_data=bundle,
        enabled=bool(params.get("enabled", False)),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    store.insert_trust_anchor(ctx.db, anchor)
    resources.put_tags(ctx, TRUST_ANCHOR, anchor.trust_anchor_id, pairs)
    return {"trustAnchor": detail(ctx, anchor)}


@operation("rolesanywhere", "GetTrustAnchor", target=_target)
def get_trust_anchor(ctx: OperationContext, params: Params) -> Result:
    return {"trustAnchor": detail(ctx, resources.find_anchor(ctx, params["trustAnchorId"]))}


@operation("rolesanywhere", "UpdateTrustAnchor", target=_target)
def update_trust_anchor(ctx: OperationContext, params: Params) -> Result:
    anchor = resources.find_anchor(ctx, params["trustAnchorId"])
    values: dict[str, object] = {}
    if params.get("name") is not None:
        values["name"] = str(params["name"])
    if params.get("source") is not None:
        values["source_type"], values["certificate_data"] = _source(params["source"])
    store.update_trust_anchor(ctx.db, anchor.trust_anchor_id, values, ctx.now)
    return {"trustAnchor": detail(ctx, resources.find_anchor(ctx, anchor.trust_anchor_id))}


def _set_enabled(ctx: OperationContext, params: Params, enabled: bool) -> Result:
    anchor = resources.find_anchor(ctx, params["trustAnchorId"])
    store.update_trust_anchor(ctx.db, anchor.trust_anchor_id, {"enabled": enabled}, ctx.now)
    return {"trustAnchor": detail(ctx, replace(anchor, enabled=enabled, updated_at=ctx.now))}


@operation("rolesanywhere", "EnableTrustAnchor", target=_target)
def enable_trust_anchor(ctx: OperationContext, params: Params) -> Result:
    return _set_enabled(ctx, params, True)


@operation("rolesanywhere", "DisableTrustAnchor", target=_target)
def disable_trust_anchor(ctx: OperationContext, params: Params) -> Result:
    return _set_enabled(ctx, params, False)


@operation("rolesanywhere", "DeleteTrustAnchor", target=_target)
def delete_trust_anchor(ctx: OperationContext, params: Params) -> Result:
    anchor = resources.find_anchor(ctx, params["trustAnchorId"])
    store.delete_trust_anchor(ctx.db, anchor.trust_anchor_id)
    tag_store.delete_all_tags(ctx.db, resources.TAG_TYPES[TRUST_ANCHOR], anchor.trust_anchor_id)
    for crl_id in store.delete_crls_of(ctx.db, anchor.trust_anchor_id):  # its CRLs go with it
        tag_store.delete_all_tags(ctx.db, resources.TAG_TYPES[resources.CRL], crl_id)
    return {"trustAnchor": detail(ctx, anchor)}


@operation("rolesanywhere", "ListTrustAnchors")
def list_trust_anchors(ctx: OperationContext, params: Params) -> Result:
    token, size = resources.page_args(params)
    try:
        page = store.list_trust_anchors(ctx.db, ctx.account_id, marker=token, max_items=size)
    except InvalidMarker:
        raise resources.invalid_token() from None
    result: Result = {"trustAnchors": [detail(ctx, anchor) for anchor in page.items]}
    if page.marker is not None:
        result["nextToken"] = page.marker
    return result
