"""Role trust policies: validation, principal resolution, display and evaluation text.

AWS resolves the IAM users and roles a trust policy names to their unique ids when the
policy is saved (spec 1.8), and iamd does the same:

- ``AWS`` principals that are user or role ARNs must name an existing entity, else
  MalformedPolicyDocument ``Invalid principal in policy: "AWS":"ARN"``. The ARN must be
  the entity's ARN exactly (its path included). The mapping ARN -> unique id is saved
  with the role (``roles.trust_principal_ids``).
- A bare unique id (``AROA...``/``AIDA...``, as GetRole shows a deleted principal) must
  still exist; a deleted one is an invalid principal, so a document copied from GetRole
  cannot bring back trust in a deleted entity.
- Account principals (``123456789012``, ``...:root``), ``*``, session ARNs
  (``assumed-role``, ``federated-user``), services and federated providers are not
  resolved.
- Cross-account ARNs are resolved when the other account is hosted by this server, with
  the same rule. For an account this server does not host iamd cannot know what exists,
  so the ARN is accepted unresolved and matched by ARN (AWS, which knows every account,
  would check it). This is a documented divergence.

Display (GetRole, ListRoles): the document as submitted while every resolved entity
still exists with that ARN; otherwise the document with each stale ARN replaced by the
unique id it was resolved to, which is what AWS shows. A re-created entity with the same
name has a new unique id, so it is not trusted.

Evaluation: ``trust_policy_for_evaluation`` gives the text with every resolved ARN
replaced by its unique id; principals match on unique ids, so trust ends with the
entity.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from iamd.errors import MalformedPolicyDocument
from iamd.iam.documents import check_size, parse_document
from iamd.model import json_text
from iamd.model.arn import is_account_id, parse_arn
from iamd.policy import Policy, PolicyKind
from iamd.policy.principals_grammar import invalid_principal
from iamd.store import roles as store

TRUST_QUOTA_NAME = "ACLSizePerRole"
_UNIQUE_ID_PREFIXES = ("AIDA", "AROA")


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """A validated trust policy and its resolved principals (ARN -> unique id)."""

    text: str
    principal_ids: dict[str, str]


# Seen: an account and the change counter read in the same snapshot as the lookups.
Seen = tuple[str, int]

# Users and roles found by ARN, per (account, change counter, ARN): deleting or renaming
# one moves the counter (``touch_account``), creating one does not but a new entity was
# never found before. Only lookups made in the snapshot the counter was read in may use
# it (CreateRole resolves before it starts writing).
_FOUND: dict[tuple[str, int, str], str] = {}
_FOUND_MAX = 4096


def _is_json(text: str) -> bool:
    try:
        json_text.loads(text)
    except ValueError:
        return False
    return True


def validate_trust_policy(
    conn: Connection, text: str, size_limit: int, *, seen: Seen | None = None
) -> TrustPolicy:
    """Grammar (MalformedPolicyDocument), size (LimitExceeded), then principal resolution.

    ``seen``: the account and change counter read in the same snapshot, when known; ARNs
    of that account found before at that counter are not looked up again."""
    try:
        policy = parse_document(text, PolicyKind.TRUST)
    except MalformedPolicyDocument:
        if not _is_json(text):  # AWS words a trust policy's bad JSON its own way
            raise MalformedPolicyDocument("This policy contains invalid Json") from None
        raise
    check_size(text, size_limit, TRUST_QUOTA_NAME)
    return TrustPolicy(text, resolve_principals(conn, policy, seen))


def _aws_principals(policy: Policy) -> Iterator[str]:
    for statement in policy.statements:
        for spec in (statement.principal, statement.not_principal):
            if spec is not None:
                yield from spec.values("AWS")


def resolve_principals(
    conn: Connection, policy: Policy, seen: Seen | None = None
) -> dict[str, str]:
    """``{ARN: unique id}`` of the users and roles the policy names; Invalid principal
    (MalformedPolicyDocument) for one that does not exist."""
    resolved: dict[str, str] = {}
    bare_ids: set[str] = set()
    for value in _aws_principals(policy):
        if value.startswith(_UNIQUE_ID_PREFIXES) and parse_arn(value) is None:
            bare_ids.add(value)
            continue
        found = _resolve_arn(conn, value, seen)
        if found is not None:
            resolved[value] = found
    if bare_ids:
        existing = store.arns_by_id(conn, bare_ids)
        for value in sorted(bare_ids - existing.keys()):
            raise MalformedPolicyDocument(invalid_principal("AWS", value))
    return resolved


def _resolve_arn(conn: Connection, value: str, seen: Seen | None) -> str | None:
    """The unique id ``value`` names, None if it is not resolved; raises if it is missing."""
    if value == "*" or is_account_id(value):
        return None
    arn = parse_arn(value)
    if arn is None or arn.service != "iam" or arn.resource_type not in ("user", "role"):
        return None
    key = (seen[0], seen[1], value) if seen is not None and seen[0] == arn.account else None
    if key is not None and (known := _FOUND.get(key)) is not None:
        return known
    name = arn.resource.rsplit("/", 1)[-1]
    found = store.entity_id_by_arn(conn, arn.account, arn.resource_type, name)
    if found is not None and found[1] == value:
        if key is not None:
            if len(_FOUND) >= _FOUND_MAX:
                _FOUND.clear()
            _FOUND[key] = found[0]
        return found[0]
    if found is None and not store.account_exists(conn, arn.account):
        return None  # an account this server does not host: accepted unresolved
    raise MalformedPolicyDocument(invalid_principal("AWS", value))


def _replace_principals(text: str, replacements: dict[str, str]) -> str:
    """The document with ``AWS`` principal values replaced; other elements untouched."""
    return _replaced(text, tuple(sorted(replacements.items())))


@functools.lru_cache(maxsize=4096)
def _replaced(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """Cached: every AssumeRole of a role rewrites the same document the same way."""
    replacements = dict(pairs)
    doc = json.loads(text)
    statements = doc.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element) if isinstance(statement, dict) else None
            if isinstance(principal, dict) and "AWS" in principal:
                principal["AWS"] = _swap(principal["AWS"], replacements)
    return json.dumps(doc, ensure_ascii=False)


def _swap(value: Any, replacements: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [replacements.get(v, v) if isinstance(v, str) else v for v in value]
    return replacements.get(value, value) if isinstance(value, str) else value


def display_trust_policy(conn: Connection, role: store.Role) -> str:
    """The trust policy as GetRole shows it: stale principals as their unique ids."""
    return display_trust_policies(conn, [role])[role.role_id]


def display_trust_policies(conn: Connection, roles: Sequence[store.Role]) -> dict[str, str]:
    """``{role id: displayed trust policy}`` for a page of roles, in one lookup."""
    ids = {uid for role in roles for uid in role.trust_principal_ids.values()}
    current = store.arns_by_id(conn, ids) if ids else {}
    shown: dict[str, str] = {}
    for role in roles:
        stale = {
            arn: uid for arn, uid in role.trust_principal_ids.items() if current.get(uid) != arn
        }
        text = role.assume_role_policy
        shown[role.role_id] = _replace_principals(text, stale) if stale else text
    return shown


def trust_policy_for_evaluation(conn: Connection, role: store.Role) -> str:
    """The trust policy to evaluate: every resolved ARN replaced by its unique id."""
    if not role.trust_principal_ids:
        return role.assume_role_policy
    return _replace_principals(role.assume_role_policy, role.trust_principal_ids)
