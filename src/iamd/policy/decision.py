"""Decisions and their reasons.

An ``Evaluation`` says allowed, explicitly denied or implicitly denied; names the
statements that decided it (the matching Deny statements, or the Allow statements that
granted); for an implicit deny names the policy type that failed to allow; and lists the
context keys the policies asked about that the request did not carry. AccessDenied
messages, the simulate APIs and the authorization API all read from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from iamd.policy.document import Effect, Position


class Decision(StrEnum):
    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


class PolicyType(StrEnum):
    """The place a policy has in evaluation, named as AWS's denial messages name it."""

    IDENTITY = "identity-based policy"
    RESOURCE = "resource-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    SCP = "service control policy"
    RCP = "resource control policy"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """One statement of one policy: where it is and what it said."""

    policy_id: str
    policy_type: PolicyType
    index: int
    sid: str | None
    effect: Effect
    start: Position
    end: Position


class Evaluation(NamedTuple):
    """The decision with its reasons. A named tuple rather than a frozen dataclass: it is
    built once per decision on the hot path, and a tuple is built at a third of the cost.
    """

    decision: Decision
    matched: tuple[StatementRef, ...] = ()
    denied_by: PolicyType | None = None
    missing_context_keys: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


def _article(policy_type: PolicyType) -> str:
    return "an" if policy_type.value[0] in "aeiou" else "a"


def denial_reason(evaluation: Evaluation, action: str) -> str:
    """AWS's tail of an AccessDenied message: why the request was denied."""
    kind = evaluation.denied_by
    if kind is None:
        return ""
    if evaluation.decision is Decision.EXPLICIT_DENY:
        return f"with an explicit deny in {_article(kind)} {kind.value}"
    return f"because no {kind.value} allows the {action} action"


def access_denied_message(
    principal_arn: str, action: str, resource: str, evaluation: Evaluation
) -> str:
    """``User: ARN is not authorized to perform: ACTION on resource: RES because ...``."""
    message = (
        f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"
    )
    reason = denial_reason(evaluation, action)
    return f"{message} {reason}" if reason else message
