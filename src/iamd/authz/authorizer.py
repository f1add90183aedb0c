"""The Authorizer: (caller, action, target, request context) -> Decision, with caches.

::

    Caller ──subject()──> Subject: policy.Principal + PolicySet + principal keys
       │    cached by (caller, account change counter, session)
       │        gather.py reads documents ──> compiled() cached by (kind, id, text)
       v
    evaluate(): Request(principal, action, target ARN, keys) ──policy.evaluate──> Evaluation
    authorize(): the same, raising AccessDenied with AWS's message on a denial

A write that changes or removes anything in an account bumps its change counter
(``store.db.touch_account``; creating a new entity does not, as no Subject refers to
it), and every Subject of that account is keyed on the counter, so the next request on
any node rebuilds it: no cache is ever stale past the write's commit. The account root has no
identity policies and is allowed unless an explicit Deny (in a resource policy) says no;
its Subject needs no database read at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from iamd import metrics, policy
from iamd.authz import context as keys
from iamd.authz import gather
from iamd.authz.cache import LRU
from iamd.errors import AccessDenied, InvalidClientTokenId
from iamd.model.caller import Caller, CallerKind
from iamd.operations import RequestInfo, Target
from iamd.policy import CompiledPolicy, Evaluation, PolicyKind, PolicySet
from iamd.store.db import change_counter

log = logging.getLogger("iamd.authz")

_EMPTY_SET = PolicySet()


@dataclass(frozen=True, slots=True)
class Subject:
    """One caller as the engine sees it, ready for any number of decisions."""

    principal: policy.Principal
    identity: tuple[CompiledPolicy, ...]
    boundary: CompiledPolicy | None
    session: tuple[CompiledPolicy, ...] | None
    policies: PolicySet
    context: keys.Context  # the principal's condition keys

    def with_resource_policy(
        self, resource: CompiledPolicy, *, must_allow: bool = False
    ) -> PolicySet:
        """This subject's policies plus a resource policy (a trust policy, say)."""
        return PolicySet(
            identity=self.identity,
            resource=resource,
            boundary=self.boundary,
            session=self.session,
            resource_must_allow=must_allow,
        )


class Authorizer:
    """Shared by every request of a server process; thread-safe."""

    def __init__(self, *, policy_cache_size: int = 4096, subject_cache_size: int = 4096) -> None:
        self.compiled_cache: LRU[tuple[str, str, str | None], CompiledPolicy] = LRU(
            policy_cache_size
        )
        self.subject_cache: LRU[tuple[Any, ...], Subject] = LRU(subject_cache_size)

    # -- policies -------------------------------------------------------------------------

    def compiled(self, kind: PolicyKind, policy_id: str, text: str | None) -> CompiledPolicy:
        """``text`` parsed and compiled, once per (kind, id, text); None allows nothing.

        Stored documents were validated when saved; one that no longer parses raises
        ``PolicyError``, which the server reports as an internal failure rather than
        silently dropping a statement that might have been a Deny.
        """

        def make() -> CompiledPolicy:
            if text is None:
                return CompiledPolicy(policy_id, policy.Policy(kind, "2012-10-17", None, ()), ())
            return policy.compile_policy(policy.parse_policy(text, kind), policy_id)

        return self.compiled_cache.get_or_make((kind.value, policy_id, text), make)

    # -- subjects -------------------------------------------------------------------------

    def subject(self, conn: Connection, caller: Caller, counter: int | None = None) -> Subject:
        """The caller's principal, policies and keys, cached until its account changes.

        ``counter`` is the account's change counter if the request has read it already.
        """
        if caller.kind is CallerKind.ROOT and caller.session is None:
            return self.subject_cache.get_or_make(
                ("root", caller.account_id), lambda: self._root_subject(caller)
            )
        if counter is None:
            counter = change_counter(conn, caller.account_id)
        session = caller.session
        # The principal's keys include the session's issue time and source identity
        # (aws:TokenIssueTime, aws:SourceIdentity), so they are part of the key too.
        session_key = (
            (
                session.session_policies,
                session.has_session_policy,
                session.tags,
                caller.mfa,
                session.issued_at,
                session.source_identity,
                session.extra_context,
            )
            if session is not None
            else None
        )
        # A federated user's name is chosen by its broker: the IAM user behind it is part
        # of who it is.
        key = (
            caller.kind,
            caller.arn,
            caller.user_id,
            caller.entity_id,
            caller.source_user_id,
            counter,
            session_key,
        )
        return self.subject_cache.get_or_make(key, lambda: self._build_subject(conn, caller))

    def _root_subject(self, caller: Caller) -> Subject:
        principal = policy.root(caller.account_id)
        return Subject(
            principal, (), None, None, _EMPTY_SET, keys.principal_keys(caller, principal)
        )

    def _build_subject(self, conn: Connection, caller: Caller) -> Subject:
        found = self._gather(conn, caller)
        tags = _merge_tags(found.tags, caller.session.tags if caller.session else ())
        principal = _principal(caller, tags)
        identity = tuple(
            self.compiled(PolicyKind.IDENTITY, d.policy_id, d.text) for d in found.identity
        )
        boundary = (
            self.compiled(PolicyKind.IDENTITY, found.boundary.policy_id, found.boundary.text)
            if found.boundary is not None
            else None
        )
        session = _session_policies(self, caller)
        policies = PolicySet(identity=identity, boundary=boundary, session=session)
        return Subject(
            principal, identity, boundary, session, policies, keys.principal_keys(caller, principal)
        )

    @staticmethod
    def _gather(conn: Connection, caller: Caller) -> gather.Gathered:
        if caller.kind is CallerKind.USER and caller.entity_id:
            return gather.gather_user(conn, caller.entity_id)
        if caller.kind is CallerKind.ROLE_SESSION and caller.entity_id:
            return gather.gather_role(conn, caller.entity_id)
        if caller.kind is CallerKind.FEDERATED_USER and caller.source_user_id:
            return gather.gather_user(conn, caller.source_user_id)
        return gather.NOTHING

    # -- decisions ------------------------------------------------------------------------

    def evaluate(
        self,
        conn: Connection,
        caller: Caller,
        action: str,
        target: Target,
        context: Mapping[str, object] | None = None,
        *,
        request: RequestInfo,
        now: dt.datetime,
    ) -> Evaluation:
        """The decision for one action, with its reasons (never raises AccessDenied)."""
        return self.bind(conn, caller, request, now).evaluate(action, target, context)

    def authorize(
        self,
        conn: Connection,
        caller: Caller,
        action: str,
        target: Target,
        context: Mapping[str, object] | None = None,
        *,
        request: RequestInfo,
        now: dt.datetime,
    ) -> Evaluation:
        """Like ``evaluate``, but a denial raises AccessDenied with AWS's message."""
        return self.bind(conn, caller, request, now).authorize(action, target, context)

    def bind(
        self,
        conn: Connection,
        caller: Caller,
        request: RequestInfo,
        now: dt.datetime,
        *,
        counter: int | None = None,
    ) -> BoundAuthorizer:
        """An authorizer for one request: what ``OperationContext.authorize`` calls.

        ``counter``: the account's change counter, when authentication has read it.
        """
        return BoundAuthorizer(self, conn, caller, request, now, counter)


_DECIDED = {
    policy.Decision.ALLOW: metrics.DECISIONS.labels("allow"),
    policy.Decision.EXPLICIT_DENY: metrics.DECISIONS.labels("explicit_deny"),
    policy.Decision.IMPLICIT_DENY: metrics.DECISIONS.labels("implicit_deny"),
}


def count_decision(evaluation: Evaluation) -> None:
    _DECIDED[evaluation.decision].inc()


class BoundAuthorizer:
    """The Authorizer for one request: its caller, transaction, time and HTTP facts.

    Calling it is ``iamd.operations.Authorize``: raise AccessDenied unless allowed. The
    caller's Subject and the request's keys are built on first use and kept for the
    request, so secondary checks cost one evaluation each.
    """

    __slots__ = ("_base", "_counter", "_subject", "authorizer", "caller", "conn", "now", "request")

    def __init__(
        self,
        authorizer: Authorizer,
        conn: Connection,
        caller: Caller,
        request: RequestInfo,
        now: dt.datetime,
        counter: int | None = None,
    ) -> None:
        self.authorizer = authorizer
        self._counter = counter
        self.conn = conn
        self.caller = caller
        self.request = request
        self.now = now
        self._subject: Subject | None = None
        self._base: keys.Context | None = None

    @property
    def subject(self) -> Subject:
        if self._subject is None:
            self._subject = self.authorizer.subject(self.conn, self.caller, self._counter)
        return self._subject

    def context(self, target: Target, extra: Mapping[str, object] | None = None) -> keys.Context:
        """Every condition key of one authorization, lowercased."""
        if self._base is None:
            base = dict(self.subject.context)
            base.update(keys.request_keys(self.request, self.now))
            base.update(keys.mfa_age(self.caller, self.now))
            self._base = base
        if not target.tags and not extra:
            return self._base
        ctx = dict(self._base)
        ctx.update(keys.target_keys(target, extra))
        return ctx

    def evaluate(
        self,
        action: str,
        target: Target,
        context: Mapping[str, object] | None = None,
        *,
        policies: PolicySet | None = None,
    ) -> Evaluation:
        """Decide ``action`` on ``target``; ``policies`` replaces the caller's own set
        (``Subject.with_resource_policy`` builds one with a resource policy added)."""
        subject = self.subject
        request = policy.Request(
            subject.principal,
            action,
            target.arn,
            self.context(target, context),
            target.account,
        )
        evaluation = policy.evaluate(
            request, policies if policies is not None else subject.policies
        )
        count_decision(evaluation)
        return evaluation

    def authorize(
        self,
        action: str,
        target: Target,
        context: Mapping[str, object] | None = None,
        *,
        policies: PolicySet | None = None,
    ) -> Evaluation:
        """Evaluate, and raise AccessDenied with AWS's message unless allowed."""
        if action.startswith("iam:") and not self.caller.may_call_iam:
            raise InvalidClientTokenId()
        evaluation = self.evaluate(action, target, context, policies=policies)
        if not evaluation.allowed:
            message = policy.access_denied_message(self.caller.arn, action, target.arn, evaluation)
            log.debug("denied: %s", message)
            raise AccessDenied(message)
        return evaluation

    def __call__(
        self, action: str, target: Target, context: Mapping[str, object] | None = None
    ) -> None:
        self.authorize(action, target, context)


def _merge_tags(
    entity: tuple[tuple[str, str], ...], session: tuple[tuple[str, str], ...]
) -> dict[str, str]:
    """The entity's tags, overridden by session tags with the same key in any case."""
    merged = {key.lower(): (key, value) for key, value in entity}
    merged.update({key.lower(): (key, value) for key, value in session})
    return dict(merged.values())


def _principal(caller: Caller, tags: Mapping[str, str]) -> policy.Principal:
    if caller.kind is CallerKind.USER:
        return policy.user(caller.arn, caller.user_id, tags)
    if caller.kind is CallerKind.ROLE_SESSION and caller.role_arn and caller.entity_id:
        return policy.role_session(
            caller.role_arn, caller.entity_id, caller.session_name or "", tags
        )
    if caller.kind is CallerKind.FEDERATED_USER:
        return policy.federated_user(
            caller.account_id,
            caller.name or "",
            caller.source_user_arn or "",
            caller.source_user_id or "",
            tags,
        )
    if caller.kind is CallerKind.ROOT:
        return policy.root(caller.account_id)
    if caller.kind is CallerKind.SERVICE and caller.name:
        return policy.service(caller.name)
    return policy.anonymous()


def _session_policies(authorizer: Authorizer, caller: Caller) -> tuple[CompiledPolicy, ...] | None:
    """The session's own policies (STS seals them into the token); None: not limited."""
    session = caller.session
    if session is None or not session.has_session_policy:
        return None
    return tuple(
        authorizer.compiled(PolicyKind.SESSION, f"session/{i}", text)
        for i, text in enumerate(session.session_policies)
    )
