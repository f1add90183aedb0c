"""The principals a role's trust policy may let in, as the policy engine sees callers.

Each ``Candidate`` is a graph node-to-be with the engine's ``Principal`` for it and the
condition keys that follow from who it is (``policy.principal_context``: type, ARN,
account, user name, tags). The users and roles of the account come from the details;
everything else comes from the trust policy's ``Principal`` elements:

- ``AWS``: the account itself (its users and roles are asked one by one instead), another
  account, a user or role ARN that is not among the details (another account's, most
  often), a role session ARN, or ``*`` (anyone). Their policies are not visible, so they
  are asked with ``VISIBLE_ELSEWHERE``, an identity policy that allows assuming roles:
  the answer is "if its own policies allow";
- ``Service``: the service principal, asking ``sts:AssumeRole``;
- ``Federated``: the identity provider, asking ``sts:AssumeRoleWithSAML`` for a SAML
  provider and ``sts:AssumeRoleWithWebIdentity`` for any other (OIDC providers, and the
  public web identity providers).

A role session's name is not known in advance: the sessions are asked under a name no
policy can spell, so a trust policy that names one particular session does not count for
the role's sessions in general, and ``aws:userid`` (which carries the name) is left out
of the facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from iamd.console.assumers_details import ASSUME_ROLE, ROLE, USER, AccountDetails, Identity
from iamd.console.assumers_verdict import Question
from iamd.model.arn import is_account_id, parse_arn, root_arn
from iamd.policy import (
    ContextValue,
    Effect,
    PolicyKind,
    Principal,
    PrincipalKind,
    compile_policy,
    federated,
    parse_policy,
    principal_context,
    role_session,
    service,
    user,
)
from iamd.policy.request import Grant, Level

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
SAML = "sts:AssumeRoleWithSAML"
UNNAMED_SESSION = "\x00"  # no policy names a session so
_ACTION_VERB = {
    ASSUME_ROLE: "assume",
    WEB_IDENTITY: "assume with web identity",
    SAML: "assume with SAML",
}
# iamd's accounts belong to no organization (README, "IAM operations not served"): no
# request it serves carries these keys, so a condition on them is decided, not open.
NEVER_CARRIED = (
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
)
VISIBLE_ELSEWHERE = compile_policy(
    parse_policy(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "sts:AssumeRole", "Resource": "*"}]}',
        PolicyKind.IDENTITY,
    ),
    "its own account's policies (not visible here)",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A principal to ask about, and the node it becomes when allowed."""

    node_id: str
    kind: str  # a node kind: user, role, account, service, federated, anyone
    label: str
    arn: str | None
    principal: Principal
    context: Mapping[str, ContextValue]
    action: str = ASSUME_ROLE
    identity: Identity | None = None  # a user or role of the account
    external: bool = False  # its policies are not visible: VISIBLE_ELSEWHERE stands in
    chained: bool = False
    explanation: str = ""

    @property
    def verb(self) -> str:
        return _ACTION_VERB[self.action]

    def question(self, role: Identity, account_id: str) -> Question:
        assert role.trust is not None  # INVARIANT: only roles are asked about
        context = dict(self.context)
        for key, value in role.tags:
            context[f"aws:resourcetag/{key.lower()}"] = value
            context[f"iam:resourcetag/{key.lower()}"] = value
        if self.identity is not None:
            identity, boundary = self.identity.identity, self.identity.boundary
        else:
            identity, boundary = ((VISIBLE_ELSEWHERE,) if self.external else ()), None
        known: tuple[str, ...] = ("aws:resourcetag/", "iam:resourcetag/", *NEVER_CARRIED)
        if self.kind == USER and not self.external:
            known += ("aws:principaltag/",)
        return Question(
            self.principal,
            self.action,
            role.arn,
            account_id,
            context,
            role.trust,
            identity,
            boundary,
            known,
        )


@dataclass
class Named:
    """What one trust policy's Allow statements name."""

    everyone: bool = False  # "*": every identity of the account is asked
    own_account: bool = False  # the account: its sts:AssumeRole holders are asked
    identities: list[Identity] = field(default_factory=list)
    others: list[Candidate] = field(default_factory=list)


def _facts(principal: Principal, *, drop: tuple[str, ...] = ()) -> dict[str, ContextValue]:
    ctx = principal_context(principal)
    for key in drop:
        ctx.pop(key, None)
    if principal.kind is not PrincipalKind.SERVICE:
        ctx["aws:viaawsservice"] = "false"
    return ctx


def identity_candidate(identity: Identity) -> Candidate:
    """A user of the account, or the sessions of one of its roles."""
    if identity.kind == USER:
        principal = user(identity.arn, identity.unique_id, dict(identity.tags))
        return Candidate(
            identity.arn,
            USER,
            identity.name,
            identity.arn,
            principal,
            _facts(principal),
            identity=identity,
            explanation="IAM user of this account",
        )
    principal = role_session(identity.arn, identity.unique_id, UNNAMED_SESSION, dict(identity.tags))
    return Candidate(
        identity.arn,
        ROLE,
        identity.name,
        identity.arn,
        principal,
        _facts(principal, drop=("aws:userid",)),
        identity=identity,
        chained=True,
        explanation="IAM role of this account: its sessions can chain to the next role",
    )


def external_candidates(role: Identity, account: AccountDetails) -> Named:
    """The principals ``role``'s trust policy names in its Allow statements."""
    assert role.trust is not None  # INVARIANT: only roles are asked about
    named = Named()
    others: dict[str, Candidate] = {}
    for statement in role.trust.policy.statements:
        spec = statement.principal
        if statement.effect is not Effect.ALLOW or spec is None:
            continue
        if spec.wildcard:
            named.everyone = True
            others.setdefault("anyone", _anyone(account.account_id))
        for value in spec.values("AWS"):
            _aws_value(value, account, named, others)
        for name in spec.values("Service"):
            others.setdefault(f"service:{name}", _service(name))
        for provider in spec.values("Federated"):
            others.setdefault(f"federated:{provider}", _federated(provider))
    named.others = list(others.values())
    return named


def _aws_value(
    value: str, account: AccountDetails, named: Named, others: dict[str, Candidate]
) -> None:
    own = account.account_id
    if value == "*":
        named.everyone = True
        others.setdefault("anyone", _anyone(own))
        return
    found = account.lookup(value)
    if found is not None:
        named.identities.append(found)
        return
    arn = parse_arn(value)
    other = value if is_account_id(value) else None
    if arn is not None and arn.service == "iam" and arn.resource == "root":
        other = arn.account
    if other is not None:
        if other == own:
            named.own_account = True
        else:
            others.setdefault(f"account:{other}", _account(other))
        return
    if arn is None:
        return  # a unique id no longer in the account: a deleted principal
    candidate = _named_principal(value, arn.service, arn.account, arn.resource)
    if candidate is not None:
        others.setdefault(candidate.node_id, candidate)


def _named_principal(value: str, service_name: str, acct: str, resource: str) -> Candidate | None:
    kind, _, rest = resource.partition("/")
    elsewhere = "its own account's policies must allow it too"
    if service_name == "iam" and kind == USER:
        principal = user(value, value)
        return Candidate(
            value,
            USER,
            rest.rsplit("/", 1)[-1],
            value,
            principal,
            _facts(principal, drop=("aws:userid",)),
            external=True,
            explanation=f"IAM user of account {acct}; {elsewhere}",
        )
    if service_name == "iam" and kind == ROLE:
        principal = role_session(value, value, UNNAMED_SESSION)
        return Candidate(
            value,
            ROLE,
            rest.rsplit("/", 1)[-1],
            value,
            principal,
            _facts(principal, drop=("aws:userid",)),
            external=True,
            chained=True,
            explanation=f"IAM role of account {acct}; {elsewhere}",
        )
    if service_name == "sts" and kind == "assumed-role" and "/" in rest:
        role_name, session = rest.split("/", 1)
        principal = role_session(f"arn:aws:iam::{acct}:role/{role_name}", value, session)
        return Candidate(
            value,
            ROLE,
            f"{role_name} (session {session})",
            value,
            principal,
            _facts(principal, drop=("aws:userid",)),
            external=True,
            chained=True,
            explanation=f"one session of role {role_name} of account {acct}; {elsewhere}",
        )
    return None  # federated users and the rest cannot call AssumeRole


def _account(acct: str) -> Candidate:
    principal = Principal(
        kind=PrincipalKind.USER,
        arn=root_arn(acct),
        account=acct,
        user_id=acct,
        levels=(Level(frozenset({acct, root_arn(acct)}), Grant.ACCOUNT),),
    )
    ctx: dict[str, ContextValue] = {
        "aws:principalaccount": acct,
        "aws:principalisawsservice": "false",
        "aws:viaawsservice": "false",
    }
    return Candidate(
        f"account:{acct}",
        "account",
        f"account {acct}",
        root_arn(acct),
        principal,
        ctx,
        external=True,
        explanation=f"principals of account {acct} whose own policies allow it",
    )


def _anyone(own: str) -> Candidate:
    # A stand-in for "a principal of some other account": any account id but this one.
    elsewhere = "000000000000" if own != "000000000000" else "000000000001"
    principal = Principal(
        kind=PrincipalKind.USER,
        arn="*",
        account=elsewhere,
        user_id="*",
        levels=(Level(frozenset({elsewhere, root_arn(elsewhere)}), Grant.ACCOUNT),),
    )
    ctx: dict[str, ContextValue] = {
        "aws:principalisawsservice": "false",
        "aws:viaawsservice": "false",
    }
    return Candidate(
        "anyone",
        "anyone",
        "anyone (any AWS account)",
        None,
        principal,
        ctx,
        external=True,
        explanation="any AWS principal of any account whose own policies allow it",
    )


def _service(name: str) -> Candidate:
    principal = service(name)
    return Candidate(
        f"service:{name}",
        "service",
        name,
        None,
        principal,
        _facts(principal),
        explanation=f"the service {name}",
    )


def _federated(provider: str) -> Candidate:
    arn = parse_arn(provider)
    saml = arn is not None and arn.resource.startswith("saml-provider/")
    label = arn.resource.split("/", 1)[-1] if arn is not None else provider
    principal = federated(provider, "", saml=saml)
    how = "SAML" if saml else "web identity (OpenID Connect)"
    return Candidate(
        f"federated:{provider}",
        "federated",
        label,
        provider if arn else None,
        principal,
        {"aws:federatedprovider": provider},
        action=SAML if saml else WEB_IDENTITY,
        explanation=f"users signed in with the {how} provider {label}",
    )
