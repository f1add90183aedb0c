"""An account's GetAccountAuthorizationDetails, read into what the policy engine needs.

The console fetches the details with the signed-in person's credentials (every page,
unfiltered: ``all_pages``, or ``merge_pages`` of pages fetched otherwise) and hands them
here; nothing else is read, so the analysis
sees only what that person may read. From them this module builds, once per analysis:

- each user and role as an ``Identity``: ARN, unique id, tags, and its policies
  compiled the way ``authz.gather`` gathers them from the store (a user's inline and
  attached policies, then each group's; a role's; the permissions boundary, which
  allows nothing if its document is missing), plus a role's trust policy;
- an index of who holds an identity-policy Allow for ``sts:AssumeRole``: by exact role
  ARN, and the holders of any wildcard, ``NotResource`` or variable pattern, who may
  reach any role. A trust policy that trusts the account is then checked against those
  holders only, not against every identity.

Documents come as the IAM handlers return them (JSON text), URL-encoded as on the wire,
or decoded into dicts as boto3's ``json_decode_policies`` hands them out; all three read
the same.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamd.model.arn import parse_arn
from iamd.policy import (
    CompiledPolicy,
    Effect,
    Policy,
    PolicyKind,
    PolicySet,
    compile_policy,
    parse_policy,
)
from iamd.policy.document import VERSION_2012

ASSUME_ROLE = "sts:AssumeRole"
USER = "user"
ROLE = "role"
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def merge_pages(pages: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The pages of GetAccountAuthorizationDetails as one result (its four lists)."""
    merged: dict[str, list[Any]] = {name: [] for name in LISTS}
    for page in pages:
        for name in LISTS:
            merged[name].extend(page.get(name) or ())
    return merged


def all_pages(
    call: Callable[[dict[str, Any]], Mapping[str, Any]], page_size: int = 1000
) -> dict[str, list[Any]]:
    """Every page of GetAccountAuthorizationDetails, merged: ``call(params)`` performs
    the operation (the console's ``Client.call`` with the signed-in person's
    credentials), and is called with ``MaxItems`` and each ``Marker`` in turn."""
    pages = []
    params: dict[str, Any] = {"MaxItems": page_size}
    seen: set[str] = set()
    while True:
        page = call(dict(params))
        pages.append(page)
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker or marker in seen:
            return merge_pages(pages)
        seen.add(marker)
        params["Marker"] = marker


def document_text(document: object) -> str:
    """A policy document as JSON text, from text, URL-encoded text or a decoded dict."""
    if isinstance(document, Mapping):
        return json.dumps(document, ensure_ascii=False)
    if isinstance(document, str):
        return document if document.lstrip().startswith("{") else urllib.parse.unquote(document)
    raise ValueError("a policy document is neither text nor an object")


@dataclass(frozen=True, slots=True)
class Identity:
    """A user or role of the account, with its policies ready for the engine."""

    kind: str  # USER | ROLE
    name: str
    arn: str
    unique_id: str
    tags: tuple[tuple[str, str], ...]
    identity: tuple[CompiledPolicy, ...]
    boundary: CompiledPolicy | None
    trust: CompiledPolicy | None = None  # roles only


class Compiler:
    """Parses and compiles each document once per analysis (managed policies are shared)."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[PolicyKind, str], CompiledPolicy] = {}

    def compile(self, kind: PolicyKind, policy_id: str, document: object) -> CompiledPolicy:
        key = (kind, policy_id)
        found = self._compiled.get(key)
        if found is None:
            text = document_text(document)
            found = compile_policy(parse_policy(text, kind), policy_id)
            self._compiled[key] = found
        return found


def _tags(detail: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(t["Key"]), str(t["Value"])) for t in detail.get("Tags") or ())


class AccountDetails:
    """The users and roles of one account and the index of ``sts:AssumeRole`` holders."""

    def __init__(self, details: Mapping[str, Any], account_id: str) -> None:
        self.account_id = account_id
        self._compiler = Compiler()
        self._managed = {str(p["Arn"]): _default_document(p) for p in details.get("Policies") or ()}
        self._groups = {str(g["GroupName"]): g for g in details.get("GroupDetailList") or ()}
        self.identities: dict[str, Identity] = {}
        self._by_id: dict[str, Identity] = {}
        for user in details.get("UserDetailList") or ():
            self._add(self._user(user))
        for role in details.get("RoleDetailList") or ():
            self._add(self._role(role))
        self._exact: dict[str, list[Identity]] = {}
        self._wild: list[Identity] = []
        for identity in sorted(self.identities.values(), key=lambda i: i.arn):
            self._index(identity)

    def _add(self, identity: Identity) -> None:
        self.identities[identity.arn] = identity
        self._by_id[identity.unique_id] = identity

    def lookup(self, value: str) -> Identity | None:
        """The user or role a trust policy names by ARN or by unique id."""
        return self.identities.get(value) or self._by_id.get(value)

    def role(self, arn: str) -> Identity | None:
        found = self.identities.get(arn)
        return found if found is not None and found.kind == ROLE else None

    def exact_holders(self, role_arn: str) -> list[Identity]:
        """The identities with an ``sts:AssumeRole`` Allow naming exactly ``role_arn``.

        With ``wildcard_holders``, a superset of those whose identity policies allow
        assuming the role, for the engine to decide."""
        return self._exact.get(role_arn, [])

    @property
    def wildcard_holders(self) -> list[Identity]:
        """The identities with an ``sts:AssumeRole`` Allow on a pattern, by ARN."""
        return self._wild

    def everyone(self) -> list[Identity]:
        return sorted(self.identities.values(), key=lambda i: i.arn)

    # -- building -----------------------------------------------------------------------

    def _managed_policies(self, owner: Mapping[str, Any]) -> list[CompiledPolicy]:
        found = []
        for attached in owner.get("AttachedManagedPolicies") or ():
            arn = str(attached["PolicyArn"])
            document = self._managed.get(arn)
            if document is not None:  # a policy not in the details allows nothing
                found.append(self._compiler.compile(PolicyKind.IDENTITY, arn, document))
        return found

    def _inline(self, kind: str, name: str, entries: Sequence[Mapping[str, Any]]) -> list[Any]:
        return [
            self._compiler.compile(
                PolicyKind.IDENTITY, f"{kind}/{name}/{p['PolicyName']}", p["PolicyDocument"]
            )
            for p in entries
        ]

    def _boundary(self, owner: Mapping[str, Any]) -> CompiledPolicy | None:
        boundary = owner.get("PermissionsBoundary")
        if not boundary:
            return None
        arn = str(boundary["PermissionsBoundaryArn"])
        document = self._managed.get(arn)
        if document is None:
            # As authz.gather reads a vanished boundary: it allows nothing.
            return CompiledPolicy(arn, Policy(PolicyKind.IDENTITY, VERSION_2012, None, ()), ())
        return self._compiler.compile(PolicyKind.IDENTITY, arn, document)

    def _user(self, user: Mapping[str, Any]) -> Identity:
        name = str(user["UserName"])
        policies = self._inline(USER, name, user.get("UserPolicyList") or ())
        policies += self._managed_policies(user)
        for group_name in user.get("GroupList") or ():
            group = self._groups.get(str(group_name))
            if group is not None:
                inline = group.get("GroupPolicyList") or ()
                policies += self._inline("group", str(group_name), inline)
                policies += self._managed_policies(group)
        return Identity(
            USER,
            name,
            str(user["Arn"]),
            str(user["UserId"]),
            _tags(user),
            tuple(policies),
            self._boundary(user),
        )

    def _role(self, role: Mapping[str, Any]) -> Identity:
        name, arn = str(role["RoleName"]), str(role["Arn"])
        policies = self._inline(ROLE, name, role.get("RolePolicyList") or ())
        policies += self._managed_policies(role)
        trust = self._compiler.compile(
            PolicyKind.TRUST, f"{arn}#trust", role["AssumeRolePolicyDocument"]
        )
        return Identity(
            ROLE,
            name,
            arn,
            str(role["RoleId"]),
            _tags(role),
            tuple(policies),
            self._boundary(role),
            trust,
        )

    def _index(self, identity: Identity) -> None:
        """File the identity under each role ARN its identity policies allow assuming."""
        exact: set[str] = set()
        wild = False
        for entry in PolicySet(identity=identity.identity).candidates(ASSUME_ROLE):
            statement = entry.compiled.statement
            if statement.effect is not Effect.ALLOW:
                continue
            for pattern in statement.resource or ("*",):  # NotResource: ask every role
                if "*" in pattern or "?" in pattern or "${" in pattern:
                    wild = True
                elif _is_role_arn(pattern):
                    exact.add(pattern)
        if wild:
            self._wild.append(identity)
        for arn in sorted(exact) if not wild else ():
            self._exact.setdefault(arn, []).append(identity)


def _is_role_arn(text: str) -> bool:
    arn = parse_arn(text)
    return arn is not None and arn.service == "iam" and arn.resource_type == ROLE


def _default_document(policy: Mapping[str, Any]) -> object | None:
    for version in policy.get("PolicyVersionList") or ():
        if version.get("IsDefaultVersion"):
            document: object = version.get("Document")
            return document
    return None
