"""What the evaluator is asked: a principal, an action, a resource, a context.

A ``Principal`` is the engine's view of the caller: its kind and the identities it can
be named by in a resource policy, each with how far a grant naming it reaches (see
``Grant``). Build one with the constructors below; the authorization layer caches them.
The ``Request`` carries the time in its context (``aws:CurrentTime``, ``aws:EpochTime``):
the engine never reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import NamedTuple

from iamd.model.arn import assumed_role_arn, federated_user_arn, parse_arn, root_arn
from iamd.policy.context import Context, ContextValue


class PrincipalKind(StrEnum):
    ROOT = "root"
    USER = "user"
    ROLE_SESSION = "role-session"
    FEDERATED_USER = "federated-user"
    SERVICE = "service"
    WEB_IDENTITY = "web-identity"
    SAML = "saml"
    ANONYMOUS = "anonymous"


class Grant(IntEnum):
    """How far an Allow in a resource policy reaches, by the identity it names.

    AWS's table (spec 1.4): naming the user, the role session, the federated user or
    everyone (``*``) grants on its own, even past a boundary or session policy (FULL);
    naming the role of a session stands in for the identity policy but stays capped by
    the boundary and session policy (CAPPED), as does naming the IAM user behind a
    federated-user session; naming the account only delegates to the account, whose
    identity policies must allow too (ACCOUNT).
    """

    NONE = 0
    ACCOUNT = 1
    CAPPED = 2
    FULL = 3


@dataclass(frozen=True, slots=True)
class Level:
    """One identity of a principal: the ways a policy can name it, and its grant."""

    names: frozenset[str]
    grant: Grant


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    arn: str
    account: str | None
    user_id: str
    levels: tuple[Level, ...]
    tags: tuple[tuple[str, str], ...] = ()
    # Service and federated principals are named by ``Service``/``Federated`` entries.
    service: str | None = None
    provider: str | None = None
    role_arn: str | None = None
    has_identity_policies: bool = True

    @property
    def is_session(self) -> bool:
        return self.kind in (PrincipalKind.ROLE_SESSION, PrincipalKind.FEDERATED_USER)

    @property
    def partition(self) -> str:
        parsed = parse_arn(self.arn)
        return parsed.partition if parsed else "aws"


def _account_level(account: str, partition: str) -> Level:
    return Level(frozenset({account, root_arn(account, partition)}), Grant.ACCOUNT)


def root(account: str, partition: str = "aws") -> Principal:
    return Principal(
        kind=PrincipalKind.ROOT,
        arn=root_arn(account, partition),
        account=account,
        user_id=account,
        levels=(_account_level(account, partition),),
    )


def user(
    arn: str, user_id: str, tags: Mapping[str, str] | None = None, partition: str = "aws"
) -> Principal:
    parsed = parse_arn(arn)
    account = parsed.account if parsed else ""
    return Principal(
        kind=PrincipalKind.USER,
        arn=arn,
        account=account,
        user_id=user_id,
        levels=(
            _account_level(account, partition),
            Level(frozenset({arn, user_id}), Grant.FULL),
        ),
        tags=tuple((tags or {}).items()),
    )


def role_session(
    role_arn: str,
    role_id: str,
    session_name: str,
    tags: Mapping[str, str] | None = None,
) -> Principal:
    parsed = parse_arn(role_arn)
    account = parsed.account if parsed else ""
    partition = parsed.partition if parsed else "aws"
    role_name = role_arn.rsplit("/", 1)[-1]
    session_arn = assumed_role_arn(account, role_name, session_name, partition)
    return Principal(
        kind=PrincipalKind.ROLE_SESSION,
        arn=session_arn,
        account=account,
        user_id=f"{role_id}:{session_name}",
        levels=(
            _account_level(account, partition),
            Level(frozenset({role_arn, role_id}), Grant.CAPPED),
            Level(frozenset({session_arn}), Grant.FULL),
        ),
        tags=tuple((tags or {}).items()),
        role_arn=role_arn,
    )


def federated_user(
    account: str,
    name: str,
    source_user_arn: str,
    source_user_id: str,
    tags: Mapping[str, str] | None = None,
    partition: str = "aws",
) -> Principal:
    """A GetFederationToken session; its own ARN grants fully, its IAM user's is capped."""
    arn = federated_user_arn(account, name, partition)
    return Principal(
        kind=PrincipalKind.FEDERATED_USER,
        arn=arn,
        account=account,
        user_id=f"{account}:{name}",
        levels=(
            _account_level(account, partition),
            Level(frozenset({source_user_arn, source_user_id}), Grant.CAPPED),
            Level(frozenset({arn}), Grant.FULL),
        ),
        tags=tuple((tags or {}).items()),
    )


def service(name: str) -> Principal:
    """An AWS-style service principal such as ``ec2.amazonaws.com`` acting directly."""
    return Principal(
        kind=PrincipalKind.SERVICE,
        arn=name,
        account=None,
        user_id=name,
        levels=(),
        service=name,
        has_identity_policies=False,
    )


def federated(provider: str, subject: str, *, saml: bool = False) -> Principal:
    """The caller of AssumeRoleWithWebIdentity/SAML, named by its identity provider."""
    parsed = parse_arn(provider)
    return Principal(
        kind=PrincipalKind.SAML if saml else PrincipalKind.WEB_IDENTITY,
        arn=provider,
        account=parsed.account if parsed else None,
        user_id=subject,
        levels=(),
        provider=provider,
        has_identity_policies=False,
    )


def anonymous() -> Principal:
    return Principal(
        kind=PrincipalKind.ANONYMOUS,
        arn="*",
        account=None,
        user_id="anonymous",
        levels=(),
        has_identity_policies=False,
    )


_PRINCIPAL_TYPE = {
    PrincipalKind.ROOT: "Account",
    PrincipalKind.USER: "User",
    PrincipalKind.ROLE_SESSION: "AssumedRole",
    PrincipalKind.FEDERATED_USER: "FederatedUser",
    PrincipalKind.ANONYMOUS: "Anonymous",
}


def principal_context(principal: Principal) -> dict[str, ContextValue]:
    """The global condition keys AWS derives from the caller (spec 3.1, 3.2)."""
    ctx: dict[str, ContextValue] = {}
    if principal.kind in _PRINCIPAL_TYPE:
        ctx["aws:principaltype"] = _PRINCIPAL_TYPE[principal.kind]
        ctx["aws:userid"] = principal.user_id
        ctx["aws:principalaccount"] = principal.account or "anonymous"
    if principal.kind is PrincipalKind.ROLE_SESSION and principal.role_arn:
        ctx["aws:principalarn"] = principal.role_arn
    elif principal.kind not in (PrincipalKind.ANONYMOUS, PrincipalKind.SERVICE):
        ctx["aws:principalarn"] = principal.arn
    if principal.kind is PrincipalKind.USER:
        ctx["aws:username"] = principal.arn.rsplit("/", 1)[-1]
    if principal.kind is PrincipalKind.SERVICE:
        ctx["aws:principalisawsservice"] = "true"
        ctx["aws:principalservicename"] = principal.arn
    elif principal.kind is not PrincipalKind.ANONYMOUS:
        ctx["aws:principalisawsservice"] = "false"
    for key, value in principal.tags:
        ctx[f"aws:principaltag/{key.lower()}"] = value
    return ctx


EMPTY_CONTEXT: Context = MappingProxyType({})


class Request(NamedTuple):
    """One authorization question. ``context`` keys are lowercased (see ``context.py``).

    ``resource_account`` is the account that owns the resource; None means the
    principal's own account (or no owner, for ``*``). A named tuple, not a frozen
    dataclass: one is built per decision, and a tuple is built at a third of the cost.
    """

    principal: Principal
    action: str
    resource: str
    context: Context = EMPTY_CONTEXT
    resource_account: str | None = None
