"""Tags of IAM entities: AWS's rules, and Tag/Untag/List*Tags for any taggable family.

Rules (IAM User Guide, "Tagging IAM resources"):

- at most 50 tags per entity (``tags_per_entity``); a request may carry at most 50;
- keys 1-128 and values 0-256 characters of ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``;
- keys are case-insensitive but keep the case written: tagging ``test`` on an entity
  that has ``Test`` replaces it, and the key then reads ``test``;
- two keys in one request that differ only in case: InvalidInput ``Duplicate tag keys
  found. Please note that Tag keys are case insensitive.``;
- keys beginning ``aws:`` (any case) are reserved: InvalidInput;
- any invalid tag fails the whole request, which then changes nothing.

Tags are stored in the ``tags`` table under ``(resource_type, resource_id)``: the entity's
unique id, so a re-created entity starts with no tags. The users/policies modules use the
same helpers with their own ``Taggable``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from iamd.errors import InvalidInput, LimitExceeded, ValidationError
from iamd.iam.naming import length_violations, raise_violations
from iamd.store import tags as tag_store
from iamd.store.pagination import InvalidMarker

TAG_KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
TAG_VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
MAX_TAGS_PER_REQUEST = 50
DUPLICATE_KEYS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
RESERVED_PREFIX = "aws:"
_EXTRA_CHARACTERS = frozenset("_.:/=+-@")

Tags = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Taggable:
    """A family of taggable entities: how its tags are filed, and its quota's name."""

    resource_type: str  # role | user | policy | instance-profile | oidc-provider | ...
    quota_name: str  # TagsPerRole, TagsPerUser, ...


ROLE_TAGS = Taggable("role", "TagsPerRole")
USER_TAGS = Taggable("user", "TagsPerUser")
POLICY_TAGS = Taggable("policy", "TagsPerPolicy")
INSTANCE_PROFILE_TAGS = Taggable("instance-profile", "TagsPerInstanceProfile")


# --- validation ---------------------------------------------------------------------------


def _allowed(text: str) -> bool:
    """``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``: letters, separators, numbers and ``_.:/=+-@``."""
    return all(ch in _EXTRA_CHARACTERS or unicodedata.category(ch)[0] in "LZN" for ch in text)


def _pattern(value: str, member: str, shown: str) -> list[str]:
    if _allowed(value):
        return []
    return [
        f"Value at '{member}' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {shown}"
    ]


def key_violations(key: str, member: str) -> list[str]:
    if not key:
        return length_violations(key, member, 1, 128)
    return _pattern(key, member, TAG_KEY_PATTERN) + length_violations(key, member, 1, 128)


def value_violations(value: str, member: str) -> list[str]:
    return _pattern(value, member, TAG_VALUE_PATTERN) + length_violations(value, member, 0, 256)


def _check_count(items: Sequence[object], member: str) -> None:
    if len(items) > MAX_TAGS_PER_REQUEST:
        raise_violations(
            [
                f"Value at '{member}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_TAGS_PER_REQUEST}"
            ]
        )


def _check_reserved_and_duplicates(keys: Iterable[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        lower = key.lower()
        if lower.startswith(RESERVED_PREFIX):
            raise InvalidInput(
                f"Tag key '{key}' is not valid: keys starting with 'aws:' are reserved for AWS use."
            )
        if lower in seen:
            raise InvalidInput(DUPLICATE_KEYS)
        seen.add(lower)


def parse_tags(tags: Sequence[Mapping[str, Any]] | None, member: str = "tags") -> Tags:
    """The request's ``Tags`` as (key, value) pairs, or the AWS error for the first problem.

    Shape violations (lengths, character set, count) are ValidationError, reported all
    together; reserved and duplicate keys are InvalidInput.
    """
    items = list(tags or [])
    _check_count(items, member)
    violations: list[str] = []
    pairs: Tags = []
    for n, tag in enumerate(items, start=1):
        key = str(tag.get("Key", ""))
        value = str(tag.get("Value", ""))
        violations += key_violations(key, f"{member}.{n}.member.key")
        violations += value_violations(value, f"{member}.{n}.member.value")
        pairs.append((key, value))
    raise_violations(violations)
    _check_reserved_and_duplicates(key for key, _ in pairs)
    return pairs


def parse_tag_keys(keys: Sequence[str] | None, member: str = "tagKeys") -> list[str]:
    """The request's ``TagKeys`` (UntagRole...), checked like the keys of ``parse_tags``."""
    items = [str(k) for k in keys or []]
    _check_count(items, member)
    violations: list[str] = []
    for n, key in enumerate(items, start=1):
        violations += key_violations(key, f"{member}.{n}.member")
    raise_violations(violations)
    for key in items:
        if key.lower().startswith(RESERVED_PREFIX):
            raise InvalidInput(
                f"Tag key '{key}' is not valid: keys starting with 'aws:' are reserved for AWS use."
            )
    return items


# --- request context ----------------------------------------------------------------------


def request_tag_context(tags: Sequence[Mapping[str, Any]] | None) -> dict[str, object]:
    """``aws:RequestTag/KEY`` for each tag of the request and ``aws:TagKeys``; empty if none.

    Built from the raw request so authorization sees what was asked for, even when the
    tags are invalid (AccessDenied comes before validation errors, as in AWS).
    """
    context: dict[str, object] = {}
    keys: list[str] = []
    for tag in tags or []:
        key = str(tag.get("Key", ""))
        context[f"aws:RequestTag/{key}"] = str(tag.get("Value", ""))
        keys.append(key)
    if keys:
        context["aws:TagKeys"] = keys
    return context


def tag_keys_context(keys: Sequence[str] | None) -> dict[str, object]:
    """``aws:TagKeys`` for UntagX requests."""
    return {"aws:TagKeys": [str(k) for k in keys]} if keys else {}


def resource_tag_context(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags as ``Target.tags``: the authorizer derives aws:/iam:ResourceTag/* from them."""
    return dict(tags)


# --- storage and operations ---------------------------------------------------------------


def tags_of(conn: Connection, resource_type: str, resource_id: str) -> dict[str, str]:
    """The entity's tags as a dict (``Target.tags``), in the order they were added."""
    return dict(tag_store.get_tags(conn, resource_type, resource_id))


def tag_list(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """``[{"Key": k, "Value": v}]`` as the output shapes spell tags."""
    return [{"Key": k, "Value": v} for k, v in pairs]


def apply_tags(
    conn: Connection, taggable: Taggable, resource_id: str, tags: Tags, limit: int
) -> None:
    """Add or replace ``tags`` (already parsed); LimitExceeded past ``limit`` in total."""
    if not tags:
        return
    existing = tag_store.get_tags(conn, taggable.resource_type, resource_id)
    if len(tag_store.merged_tags(existing, tags)) > limit:
        raise LimitExceeded("The number of tags has reached the maximum limit.")
    tag_store.put_tags(conn, taggable.resource_type, resource_id, tags)


def untag(conn: Connection, taggable: Taggable, resource_id: str, keys: Sequence[str]) -> None:
    """Remove the tags with these keys (ignoring case); absent keys are no error."""
    tag_store.remove_tags(conn, taggable.resource_type, resource_id, keys)


def delete_all_tags(conn: Connection, taggable: Taggable, resource_id: str) -> None:
    """Forget every tag of an entity that is being deleted."""
    tag_store.delete_all_tags(conn, taggable.resource_type, resource_id)


def list_tags_result(
    conn: Connection, taggable: Taggable, resource_id: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The List*Tags result: ``Tags``, ``IsTruncated`` and ``Marker`` when truncated."""
    try:
        page = tag_store.list_tags(
            conn,
            taggable.resource_type,
            resource_id,
            marker=params.get("Marker"),
            max_items=params.get("MaxItems"),
        )
    except (InvalidMarker, ValueError):
        raise ValidationError("Invalid Marker.") from None
    result: dict[str, Any] = {"Tags": tag_list(page.items), "IsTruncated": page.is_truncated}
    if page.marker is not None:
        result["Marker"] = page.marker
    return result
