"""TagResource, UntagResource and ListTagsForResource on trust anchors, profiles and CRLs.

The resource is named by its ARN; one of another account, of another kind or that does
not exist is ResourceNotFoundException. At most 50 tags per resource
(TooManyTagsException); keys are compared ignoring case, as the shared tag store does.
"""

from __future__ import annotations

from collections.abc import Mapping

from iamd.errors import NoSuchEntity
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.rolesanywhere import resources
from iamd.store import tags as tag_store


def _resource(ctx: OperationContext, arn: str) -> tuple[str, str] | None:
    """(kind, id) of the existing resource ``arn`` names in the caller's account."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "rolesanywhere" or parsed.account != ctx.account_id:
        return None
    kind, _, resource_id = parsed.resource.partition("/")
    if kind not in resources.TAG_TYPES:
        return None
    return (kind, resource_id) if resources.lookup(ctx, kind, resource_id) else None


def _found(ctx: OperationContext, arn: str) -> tuple[str, str]:
    found = _resource(ctx, arn)
    if found is None:
        raise NoSuchEntity("Resource not found")
    return found


def _target(ctx: OperationContext, params: Params) -> Target:
    arn = str(params["resourceArn"])
    found = _resource(ctx, arn)
    if found is None:
        return Target(arn)
    kind, resource_id = found
    return Target(arn, dict(tag_store.get_tags(ctx.db, resources.TAG_TYPES[kind], resource_id)))


def _tag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return resources.request_tag_context(resources.tag_pairs(params.get("tags")))


def _untag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    keys = [str(key) for key in params.get("tagKeys") or ()]
    return {"aws:TagKeys": keys} if keys else {}


@operation("rolesanywhere", "TagResource", target=_target, request_context=_tag_context)
def tag_resource(ctx: OperationContext, params: Params) -> Result:
    kind, resource_id = _found(ctx, str(params["resourceArn"]))
    resources.put_tags(ctx, kind, resource_id, resources.tag_pairs(params["tags"]))
    return {}


@operation("rolesanywhere", "UntagResource", target=_target, request_context=_untag_context)
def untag_resource(ctx: OperationContext, params: Params) -> Result:
    kind, resource_id = _found(ctx, str(params["resourceArn"]))
    keys = [str(key) for key in params["tagKeys"]]
    tag_store.remove_tags(ctx.db, resources.TAG_TYPES[kind], resource_id, keys)
    return {}


@operation("rolesanywhere", "ListTagsForResource", target=_target)
def list_tags_for_resource(ctx: OperationContext, params: Params) -> Result:
    kind, resource_id = _found(ctx, str(params["resourceArn"]))
    return {"tags": resources.tag_list(ctx, kind, resource_id)}
