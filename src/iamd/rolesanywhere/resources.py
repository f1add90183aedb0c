"""What the Roles Anywhere operations share: ARNs, ids, lookups, tags and pagination.

ARNs are ``arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID`` and ``.../profile/ID``;
an operation's identifier is the id or the whole ARN (the model's patterns allow both).
A resource that does not exist in the caller's account is ResourceNotFoundException.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from iamd.errors import NoSuchEntity, TooManyTagsException, ValidationError
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Target
from iamd.store import rolesanywhere as store
from iamd.store import tags as tag_store

TRUST_ANCHOR = "trust-anchor"
PROFILE = "profile"
CRL = "crl"
SUBJECT = "subject"
TAG_TYPES = {TRUST_ANCHOR: "ra-trust-anchor", PROFILE: "ra-profile", CRL: "ra-crl"}
_NOT_FOUND = {
    TRUST_ANCHOR: "Trust anchor not found",
    PROFILE: "Profile not found",
    CRL: "Crl not found",
    SUBJECT: "Subject not found",
}
MAX_TAGS = 50
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000  # the service documents no maximum; this one keeps a page bounded


def new_id(ctx: OperationContext) -> str:
    """A random (version 4) UUID from the request's source of randomness."""
    return str(uuid.UUID(bytes=ctx.random(16), version=4))


def arn(ctx: OperationContext, kind: str, resource_id: str, account: str | None = None) -> str:
    return (
        f"arn:aws:rolesanywhere:{ctx.request.region}:{account or ctx.account_id}:"
        f"{kind}/{resource_id}"
    )


def id_of(identifier: str, kind: str) -> str:
    """The id in an identifier that is an id or an ARN of ``kind``."""
    if not identifier.startswith("arn:"):
        return identifier
    parsed = parse_arn(identifier)
    if parsed is None or parsed.service != "rolesanywhere":
        return identifier
    resource = parsed.resource
    prefix = f"{kind}/"
    return resource[len(prefix) :] if resource.startswith(prefix) else identifier


def account_of(identifier: str, ctx: OperationContext) -> str:
    parsed = parse_arn(identifier) if identifier.startswith("arn:") else None
    return parsed.account if parsed is not None and parsed.account else ctx.account_id


def not_found(kind: str) -> NoSuchEntity:
    return NoSuchEntity(_NOT_FOUND[kind])


def find_anchor(ctx: OperationContext, identifier: str) -> store.TrustAnchor:
    anchor: store.TrustAnchor | None = ctx.recall((TRUST_ANCHOR, identifier))
    if anchor is None:
        anchor = store.get_trust_anchor(ctx.db, ctx.account_id, id_of(identifier, TRUST_ANCHOR))
    if anchor is None or account_of(identifier, ctx) != ctx.account_id:
        raise not_found(TRUST_ANCHOR)
    return anchor


def find_profile(ctx: OperationContext, identifier: str) -> store.Profile:
    profile: store.Profile | None = ctx.recall((PROFILE, identifier))
    if profile is None:
        profile = store.get_profile(ctx.db, ctx.account_id, id_of(identifier, PROFILE))
    if profile is None or account_of(identifier, ctx) != ctx.account_id:
        raise not_found(PROFILE)
    return profile


def find_crl(ctx: OperationContext, identifier: str) -> store.Crl:
    crl: store.Crl | None = ctx.recall((CRL, identifier))
    if crl is None:
        crl = store.get_crl(ctx.db, ctx.account_id, id_of(identifier, CRL))
    if crl is None or account_of(identifier, ctx) != ctx.account_id:
        raise not_found(CRL)
    return crl


def find_subject(ctx: OperationContext, identifier: str) -> store.Subject:
    subject: store.Subject | None = ctx.recall((SUBJECT, identifier))
    if subject is None:
        subject = store.get_subject(ctx.db, ctx.account_id, id_of(identifier, SUBJECT))
    if subject is None or account_of(identifier, ctx) != ctx.account_id:
        raise not_found(SUBJECT)
    return subject


def lookup(ctx: OperationContext, kind: str, resource_id: str) -> object | None:
    """The trust anchor, profile, CRL or subject ``resource_id`` of the caller's account."""
    if kind == TRUST_ANCHOR:
        return store.get_trust_anchor(ctx.db, ctx.account_id, resource_id)
    if kind == PROFILE:
        return store.get_profile(ctx.db, ctx.account_id, resource_id)
    if kind == SUBJECT:
        return store.get_subject(ctx.db, ctx.account_id, resource_id)
    return store.get_crl(ctx.db, ctx.account_id, resource_id)


def resource_target(kind: str, member: str) -> Callable[[OperationContext, Params], Target]:
    """The ``target`` of an operation on one trust anchor or profile named by ``member``:
    its ARN and tags (``aws:ResourceTag/*``); a missing one is authorized on its ARN."""

    def target(ctx: OperationContext, params: Params) -> Target:
        identifier = str(params[member])
        resource_id = id_of(identifier, kind)
        found = lookup(ctx, kind, resource_id)
        if found is None:
            return Target(arn(ctx, kind, resource_id, account_of(identifier, ctx)))
        ctx.remember((kind, identifier), found)
        taggable = TAG_TYPES.get(kind)
        tags = dict(tag_store.get_tags(ctx.db, taggable, resource_id)) if taggable else {}
        return Target(arn(ctx, kind, resource_id), tags)

    return target


# --- tags -------------------------------------------------------------------------------


def tag_pairs(tags: Sequence[Mapping[str, Any]] | None) -> list[tuple[str, str]]:
    """The request's tags as (key, value); a key given twice is a ValidationException."""
    pairs = [(str(t["key"]), str(t["value"])) for t in tags or ()]
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValidationError("Duplicate tag keys are not allowed.")
    if any(key.lower().startswith("aws:") for key in keys):
        raise ValidationError("Tag keys starting with 'aws:' are reserved for AWS use.")
    return pairs


def request_tag_context(pairs: Sequence[tuple[str, str]]) -> dict[str, object]:
    """``aws:RequestTag/KEY`` and ``aws:TagKeys`` for a request that passes tags."""
    if not pairs:
        return {}
    context: dict[str, object] = {f"aws:RequestTag/{key}": value for key, value in pairs}
    context["aws:TagKeys"] = [key for key, _ in pairs]
    return context


def put_tags(
    ctx: OperationContext, kind: str, resource_id: str, pairs: list[tuple[str, str]]
) -> None:
    """Add or replace tags, within the 50-tag quota (TooManyTagsException).

    The count holds against concurrent writers on every node: the server has locked the
    account's row before the handler runs (``Database.start_writing``)."""
    if not pairs:
        return
    existing = tag_store.get_tags(ctx.db, TAG_TYPES[kind], resource_id)
    if len(tag_store.merged_tags(existing, pairs)) > MAX_TAGS:
        raise TooManyTagsException(f"A resource can have at most {MAX_TAGS} tags.")
    tag_store.put_tags(ctx.db, TAG_TYPES[kind], resource_id, pairs)


def tag_list(ctx: OperationContext, kind: str, resource_id: str) -> list[dict[str, str]]:
    return [
        {"key": key, "value": value}
        for key, value in tag_store.get_tags(ctx.db, TAG_TYPES[kind], resource_id)
    ]


# --- pagination -------------------------------------------------------------------------


def page_args(params: Params) -> tuple[str | None, int]:
    """``nextToken`` and ``pageSize`` (default 50); ValidationException when out of range."""
    size = params.get("pageSize")
    if size is None:
        size = DEFAULT_PAGE_SIZE
    elif not 1 <= int(size) <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"1 validation error detected: Value '{size}' at 'pageSize' failed to satisfy "
            f"constraint: Member must have value between 1 and {MAX_PAGE_SIZE}"
        )
    return params.get("nextToken"), int(size)


def invalid_token() -> ValidationError:
    return ValidationError("Invalid pagination token")
