"""Policy documents on their way into the store: grammar, version and size rules.

Every operation that stores a policy document goes through here, so the wire sees one
wording: the engine's PolicyError becomes ``MalformedPolicyDocument`` with the engine's
(AWS's) message, and size quotas become ``LimitExceeded`` with AWS's text. Grammar is
checked before size, so a document that is both malformed and too large is reported
as malformed.

Sizes are AWS's: characters without whitespace (``policy.policy_size``).
"""

from __future__ import annotations

from collections.abc import Iterable

from iamd.errors import LimitExceeded, MalformedPolicyDocument
from iamd.model import json_text
from iamd.policy import Policy, PolicyError, PolicyKind, policy_size
from iamd.policy.document import VERSION_2012
from iamd.policy.parse import ParseCache

MANAGED_VERSION_MESSAGE = "Policy document must be version 2012-10-17 or greater."


# Documents are immutable values and the same ones are submitted again and again (one
# trust policy for every role an automation creates); failures are never remembered.
_parsed = ParseCache(maxsize=256)


def parse_document(text: str, kind: PolicyKind = PolicyKind.IDENTITY) -> Policy:
    """``text`` parsed as a policy of ``kind``, or MalformedPolicyDocument."""
    try:
        return _parsed(text, kind)
    except PolicyError as exc:
        raise MalformedPolicyDocument(exc.wire_message) from None


def quota_exceeded(quota: str, limit: int) -> LimitExceeded:
    """AWS's generic quota error: ``Cannot exceed quota for PoliciesPerRole: 10``."""
    return LimitExceeded(f"Cannot exceed quota for {quota}: {limit}")


def check_size(text: str, limit: int, quota: str) -> int:
    """The document's size; LimitExceeded (``Cannot exceed quota for QUOTA: N``) past it."""
    size = policy_size(text)
    if size > limit:
        raise quota_exceeded(quota, limit)
    return size


def managed_document(text: str, limit: int) -> Policy:
    """A managed policy version: an identity policy, version 2012-10-17, within ``limit``.

    A missing or older Version is what AWS reports first, before any other problem."""
    try:
        declared = json_text.loads(text)
    except ValueError:
        declared = None
    if isinstance(declared, dict) and declared.get("Version") != VERSION_2012:
        raise MalformedPolicyDocument(MANAGED_VERSION_MESSAGE)
    policy = parse_document(text, PolicyKind.IDENTITY)
    if policy.version != VERSION_2012:
        raise MalformedPolicyDocument(MANAGED_VERSION_MESSAGE)
    check_size(text, limit, "PolicySize")
    return policy


def inline_document(
    text: str,
    *,
    others: Iterable[str],
    limit: int,
    entity_type: str,
    entity_name: str,
    kind: PolicyKind = PolicyKind.IDENTITY,
) -> Policy:
    """An inline policy whose size, with the entity's ``others``, stays within ``limit``.

    AWS counts every inline policy of a user, group or role together:
    ``Maximum policy size of 2048 bytes exceeded for user NAME``.
    """
    policy = parse_document(text, kind)
    total = policy_size(text) + sum(policy_size(other) for other in others)
    if total > limit:
        raise LimitExceeded(
            f"Maximum policy size of {limit} bytes exceeded for {entity_type} {entity_name}"
        )
    return policy
