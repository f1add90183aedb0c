"""Certificate revocation lists: ImportCrl, Get/List/Update/Enable/Disable/Delete.

A CRL belongs to one trust anchor of the caller's account; it is parsed when imported or
replaced (PEM or DER, kept as DER) and, while enabled, checked by every CreateSession
through that anchor (``certificates.check_revocation``): a certificate on the path that
a CRL signed by its issuer lists is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from iamd.errors import ValidationError
from iamd.operations import OperationContext, Params, Result, operation
from iamd.rolesanywhere import certificates, resources
from iamd.rolesanywhere.resources import CRL, TRUST_ANCHOR
from iamd.store import rolesanywhere as store
from iamd.store import tags as tag_store
from iamd.store.pagination import InvalidMarker

_target = resources.resource_target(CRL, "crlId")


def _der(data: bytes) -> bytes:
    try:
        return certificates.crl_der(certificates.parse_crl(data))
    except certificates.BundleError as exc:
        raise ValidationError(str(exc)) from None


def detail(ctx: OperationContext, crl: store.Crl) -> dict[str, Any]:
    """The ``CrlDetail`` output shape."""
    return {
        "crlId": crl.crl_id,
        "crlArn": resources.arn(ctx, CRL, crl.crl_id),
        "name": crl.name,
        "enabled": crl.enabled,
        "crlData": crl.crl_data,
        "trustAnchorArn": resources.arn(ctx, TRUST_ANCHOR, crl.trust_anchor_id),
        "createdAt": crl.created_at,
        "updatedAt": crl.updated_at,
    }


def _import_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return resources.request_tag_context(resources.tag_pairs(params.get("tags")))


@operation("rolesanywhere", "ImportCrl", request_context=_import_context)
def import_crl(ctx: OperationContext, params: Params) -> Result:
    anchor = resources.find_anchor(ctx, str(params["trustAnchorArn"]))
    pairs = resources.tag_pairs(params.get("tags"))
    crl = store.Crl(
        crl_id=resources.new_id(ctx),
        account_id=ctx.account_id,
        trust_anchor_id=anchor.trust_anchor_id,
        name=str(params["name"]),
        crl_data=_der(bytes(params["crlData"])),
        enabled=bool(params.get("enabled", False)),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    store.insert_crl(ctx.db, crl)
    resources.put_tags(ctx, CRL, crl.crl_id, pairs)
    return {"crl": detail(ctx, crl)}


@operation("rolesanywhere", "GetCrl", target=_target)
def get_crl(ctx: OperationContext, params: Params) -> Result:
    return {"crl": detail(ctx, resources.find_crl(ctx, params["crlId"]))}


@operation("rolesanywhere", "UpdateCrl", target=_target)
def update_crl(ctx: OperationContext, params: Params) -> Result:
    crl = resources.find_crl(ctx, params["crlId"])
    changes: dict[str, Any] = {"updated_at": ctx.now}
    if params.get("name") is not None:
        changes["name"] = str(params["name"])
    if params.get("crlData") is not None:
        changes["crl_data"] = _der(bytes(params["crlData"]))
    updated = replace(crl, **changes)
    store.save_crl(ctx.db, updated)
    return {"crl": detail(ctx, updated)}


def _set_enabled(ctx: OperationContext, params: Params, enabled: bool) -> Result:
    crl = resources.find_crl(ctx, params["crlId"])
    updated = replace(crl, enabled=enabled, updated_at=ctx.now)
    store.save_crl(ctx.db, updated)
    return {"crl": detail(ctx, updated)}


@operation("rolesanywhere", "EnableCrl", target=_target)
def enable_crl(ctx: OperationContext, params: Params) -> Result:
    return _set_enabled(ctx, params, True)


@operation("rolesanywhere", "DisableCrl", target=_target)
def disable_crl(ctx: OperationContext, params: Params) -> Result:
    return _set_enabled(ctx, params, False)


@operation("rolesanywhere", "DeleteCrl", target=_target)
def delete_crl(ctx: OperationContext, params: Params) -> Result:
    crl = resources.find_crl(ctx, params["crlId"])
    store.delete_crl(ctx.db, crl.crl_id)
    tag_store.delete_all_tags(ctx.db, resources.TAG_TYPES[CRL], crl.crl_id)
    return {"crl": detail(ctx, crl)}


@operation("rolesanywhere", "ListCrls")
def list_crls(ctx: OperationContext, params: Params) -> Result:
    token, size = resources.page_args(params)
    try:
        page = store.list_crls(ctx.db, ctx.account_id, marker=token, max_items=size)
    except InvalidMarker:
        raise resources.invalid_token() from None
    result: Result = {"crls": [detail(ctx, crl) for crl in page.items]}
    if page.marker is not None:
        result["nextToken"] = page.marker
    return result
