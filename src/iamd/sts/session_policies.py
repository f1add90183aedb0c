"""Session policies (inline ``Policy`` and up to ten ``PolicyArns``) and the packed size.

A session policy narrows a session: the session may do only what its role (or user)
allows *and* a session policy allows (spec 1.3 step 7). The inline policy is checked
like any session policy (MalformedPolicyDocument with the engine's message) and may have
at most 2,048 characters; each ARN must name a managed policy of the account that owns
the role (or of AWS). The texts are sealed into the session token, so the session keeps
the policies it was given even if a managed policy changes later.

Packed size: AWS compresses the passed policies and tags into a packed form with a limit
of its own and reports ``PackedPolicySize`` as the percentage used. iamd's model: the
zlib-compressed compact JSON of the inline policy, the managed policies' texts (iamd
seals texts, not ARNs) and the session tags, against ``PACKED_LIMIT`` bytes. Above 100%
the request fails with PackedPolicyTooLarge; this also keeps tokens well under 4 KB.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from iamd.errors import MalformedPolicyDocument, PackedPolicyTooLarge, ValidationError
from iamd.iam.documents import parse_document
from iamd.policy import PolicyKind
from iamd.store import policies as store

INLINE_LIMIT = 2048
MAX_POLICY_ARNS = 10
PACKED_LIMIT = 2048


@dataclass(frozen=True, slots=True)
class SessionPolicies:
    texts: tuple[str, ...]
    passed: bool  # any Policy or PolicyArns given: the session is limited by them


def _compact(text: str) -> str:
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def session_policies(
    conn: Connection,
    account_id: str,
    policy: str | None,
    arns: Sequence[Mapping[str, Any]] | None,
) -> SessionPolicies:
    """The texts of the request's session policies, in the order given (inline first)."""
    texts: list[str] = []
    if policy is not None:
        if len(policy) > INLINE_LIMIT:
            raise ValidationError(
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: "
                f"Member must have length less than or equal to {INLINE_LIMIT}"
            )
        parse_document(policy, PolicyKind.SESSION)
        texts.append(_compact(policy))
    wanted = [str(item.get("arn", "")) for item in arns or ()]
    if len(wanted) > MAX_POLICY_ARNS:
        raise ValidationError(
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_POLICY_ARNS}"
        )
    documents = store.default_documents(conn, wanted)
    visible = store.visible_accounts(account_id)
    found = store.policies_by_arn(conn, wanted)
    for arn in wanted:
        owner = found.get(arn)
        if owner is None or owner.account_id not in visible or arn not in documents:
            raise MalformedPolicyDocument(f"Policy {arn} does not exist or is not attachable.")
        texts.append(_compact(documents[arn]))
    return SessionPolicies(tuple(texts), policy is not None or bool(wanted))


def packed_percent(texts: Sequence[str], tags: Sequence[tuple[str, str]]) -> int:
    """``PackedPolicySize``: the share of ``PACKED_LIMIT`` that policies and tags take."""
    if not texts and not tags:
        return 0
    payload = json.dumps([list(texts), [list(t) for t in tags]], separators=(",", ":"))
    packed = len(zlib.compress(payload.encode("utf-8"), 9))
    return math.ceil(100 * packed / PACKED_LIMIT)


def check_packed(texts: Sequence[str], tags: Sequence[tuple[str, str]]) -> int:
    """The packed percentage; PackedPolicyTooLarge above 100 (AWS's wording)."""
    percent = packed_percent(texts, tags)
    if percent > 100:
        raise PackedPolicyTooLarge(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )
    return percent
