"""Session tags: what a new session carries, and what the trust policy sees of them.

Rules (IAM User Guide, "Passing session tags in AWS STS"):

- at most 50 tags per request, keys 1-128 and values 0-256 characters (the wire model
  checks these); keys are case-insensitive: two keys that differ only in case, or a key
  beginning ``aws:``, fail the request;
- a session tag overrides a role (or user) tag with the same key in any case; the
  authorizer merges them (``aws:PrincipalTag/*``), so a session only seals its own;
- ``TransitiveTagKeys`` must name tags passed in the same request; transitive tags pass
  to every later session of a role chain and stay transitive; a later hop may not pass a
  tag whose key an inherited transitive tag has (the operation fails);
- the caller's transitive tags replace the target role's tags with the same key before
  the trust policy is evaluated (``aws:ResourceTag/*``).

Passing tags needs ``sts:TagSession``; inherited transitive tags are not passed by the
request, so they do not (the guide's chaining example passes none on later hops).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamd.errors import InvalidParameterValue, ValidationError
from iamd.iam.tagging import RESERVED_PREFIX
from iamd.model.caller import Caller

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class SessionTags:
    """The tags of a new session: passed ones, inherited transitive ones, and which
    keys stay transitive."""

    passed: Pairs
    inherited: Pairs
    transitive_keys: tuple[str, ...]

    @property
    def all(self) -> Pairs:
        return self.inherited + self.passed


def passed_tags(tags: Sequence[Mapping[str, Any]] | None) -> Pairs:
    """The request's ``Tags``; ValidationError for reserved or duplicate keys."""
    pairs = tuple((str(t.get("Key", "")), str(t.get("Value", ""))) for t in tags or ())
    seen: set[str] = set()
    for key, _ in pairs:
        lower = key.lower()
        if lower.startswith(RESERVED_PREFIX):
            raise ValidationError(
                f"Tag key '{key}' is not valid: keys starting with 'aws:' are reserved for AWS use."
            )
        if lower in seen:
            raise InvalidParameterValue(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        seen.add(lower)
    return pairs


def inherited_tags(caller: Caller) -> Pairs:
    """The calling session's transitive tags (none for long-term credentials)."""
    session = caller.session
    if session is None or not session.transitive_tag_keys:
        return ()
    keys = {k.lower() for k in session.transitive_tag_keys}
    return tuple((k, v) for k, v in session.tags if k.lower() in keys)


def session_tags(
    caller: Caller, tags: Sequence[Mapping[str, Any]] | None, transitive: Iterable[str] | None
) -> SessionTags:
    """The new session's tags for AssumeRole, with AWS's checks."""
    passed = passed_tags(tags)
    passed_keys = {k.lower() for k, _ in passed}
    wanted = tuple(str(k) for k in transitive or ())
    for key in wanted:
        if key.lower() not in passed_keys:
            raise InvalidParameterValue(
                "The specified transitive tag key must be included in the requested tags."
            )
    inherited = inherited_tags(caller)
    for key, _ in inherited:
        if key.lower() in passed_keys:
            raise InvalidParameterValue(
                "One of the specified transitive tag keys can't be set because it conflicts "
                "with a transitive tag key from the calling session."
            )
    keys: dict[str, str] = {k.lower(): k for k, _ in inherited}
    keys.update({k.lower(): k for k in wanted})
    return SessionTags(passed, inherited, tuple(keys.values()))


def resource_tags(role_tags: Mapping[str, str], caller: Caller) -> dict[str, str]:
    """The role's tags with the caller's transitive tags over them (``aws:ResourceTag``)."""
    merged = {k.lower(): (k, v) for k, v in role_tags.items()}
    merged.update({k.lower(): (k, v) for k, v in inherited_tags(caller)})
    return dict(merged.values())


def request_context(passed: Pairs, transitive: Sequence[str]) -> dict[str, object]:
    """``aws:RequestTag/*``, ``aws:TagKeys`` and ``sts:TransitiveTagKeys`` of the request."""
    context: dict[str, object] = {f"aws:RequestTag/{k}": v for k, v in passed}
    if passed:
        context["aws:TagKeys"] = [k for k, _ in passed]
    if transitive:
        context["sts:TransitiveTagKeys"] = list(transitive)
    return context
