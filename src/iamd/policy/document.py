"""A policy document as values: Policy, Statement, PrincipalSpec, ConditionClause.

These are what ``parse_policy`` produces from JSON once the document has passed
validation. They keep what was written (action and resource patterns as strings,
operators as named) plus where each statement stands in the text, so that decisions can
point at it. Compiling them for evaluation happens in ``compile.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
VERSIONS = (VERSION_2012, VERSION_2008)


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyKind(StrEnum):
    """What a document is for; it decides which elements it may and must have."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"


SYNTAX_ERRORS = "Syntax errors in policy."
_FIRST = (SYNTAX_ERRORS, "The policy failed legacy parsing", "Statement IDs (SID) in a single")


def _precedence(problem: str) -> int:
    """AWS's order among a document's problems; ``min`` keeps document order for ties."""
    for rank, start in enumerate(_FIRST):
        if problem.startswith(start):
            return rank
    return len(_FIRST)


class PolicyError(Exception):
    """A document that is not a valid policy of its kind; one message per problem found.

    ``str()`` gives the first problem, in AWS's wording where AWS has one: it is what
    MalformedPolicyDocument carries on the wire.
    """

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems = tuple(problems) or (SYNTAX_ERRORS,)
        super().__init__(self.problems[0])

    @property
    def wire_message(self) -> str:
        """What AWS's MalformedPolicyDocument says: the problem AWS reports first (syntax
        and legacy parsing, then SID uniqueness, then the rest in document order), and
        where AWS is terse (``Syntax errors in policy.``) the bare sentence; the detail
        stays in ``problems`` for ``iamd policy validate``."""
        first = min(self.problems, key=_precedence)
        return SYNTAX_ERRORS if first.startswith(SYNTAX_ERRORS) else first


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column in the document text, as the simulate API reports them."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A Principal or NotPrincipal element.

    ``wildcard`` is the bare ``"*"`` form; otherwise ``entries`` maps each principal type
    (``AWS``, ``Service``, ``Federated``, ``CanonicalUser``) to its values, in order.
    ``{"AWS": "*"}`` is an entry with value ``*`` and means the same as the bare form.
    """

    wildcard: bool
    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def values(self, principal_type: str) -> tuple[str, ...]:
        for kind, vals in self.entries:
            if kind == principal_type:
                return vals
        return ()


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One operator, one key and its values: ``{"StringEquals": {"aws:username": [...]}}``.

    Values are the strings written, with JSON numbers and booleans in their text form.
    """

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Effect
    action: tuple[str, ...] | None
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None
    not_resource: tuple[str, ...] | None
    principal: PrincipalSpec | None
    not_principal: PrincipalSpec | None
    conditions: tuple[ConditionClause, ...]
    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class Policy:
    kind: PolicyKind
    version: str
    id: str | None
    statements: tuple[Statement, ...]

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only in 2012-10-17 documents."""
        return self.version == VERSION_2012


def scalar_text(value: Any) -> str:
    """The text AWS compares for a JSON scalar: ``true``, ``3600``, or the string itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)
