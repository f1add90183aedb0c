"""Who can assume a role, and who can reach it through role chains: the role page's graph.

The console fetches the account's GetAccountAuthorizationDetails with the signed-in
person's credentials (all pages, unfiltered: ``all_pages``) and calls ``who_can_assume``
on it: a pure function, so the analysis sees only what that person may read, and every
answer comes from iamd's own policy engine, asked the question the server asks when the
call is made (``assumers_verdict``):

- users and roles of the account: ``sts:AssumeRole`` with their identity policies,
  group policies (users), permissions boundary, and the role's trust policy. In the
  same account a trust policy naming the user or role suffices; naming the account
  needs the identity policies too. An explicit Deny anywhere refuses.
- principals of other accounts, named by account or by ARN: their policies are not
  visible here, so they are asked with an identity policy that allows ``sts:AssumeRole``
  and shown as "if its own policies allow"; the trust policy's Deny and conditions
  still apply. ``"AWS": "*"`` is the ``anyone`` node, asked the same way.
- services (``sts:AssumeRole``) and identity providers (``sts:AssumeRoleWithWebIdentity``
  or, for a SAML provider, ``sts:AssumeRoleWithSAML``): the trust policy alone decides.

Chains: a role whose sessions may assume the target is an edge to it (``chained``), and
who can assume that role is asked in turn: a breadth-first search backwards from the
target, each role expanded once, ``max_depth`` hops at most and ``max_nodes`` nodes. A
node stands at its shortest distance from the target, and the edges are those of the
shortest routes: a principal already known to reach the target in as many hops as the
role being expanded (or fewer) is not asked about that role again, so a role assuming
itself, or one of its own assumers, adds nothing. A trust policy that names principals
is asked about those only, and one that trusts the account only about the identities
holding an ``sts:AssumeRole`` Allow that names the role or a pattern
(``AccountDetails.exact_holders``, ``wildcard_holders``); only ``"AWS": "*"`` asks
everyone, and an identity asked about every role leaves that pool once it is known. No
path is ever enumerated; ``max_evaluations`` bounds the questions to the engine when
many roles each trust many principals (the graph's ``notes`` say when it cut the
search short).

Conditions are not evaluated against guessed values: an edge that depends on condition
keys a request would carry lists them (``Edge.conditions``) and is drawn dashed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.console.assumers_details import ROLE, AccountDetails, Identity, all_pages, merge_pages
from iamd.console.assumers_principals import Candidate, external_candidates, identity_candidate
from iamd.console.assumers_verdict import Judge, Verdict
from iamd.policy import StatementRef

__all__ = ["AssumeGraph", "Edge", "Node", "all_pages", "merge_pages", "who_can_assume"]

TRUST = "trust policy"
TRUST_AND_IDENTITY = "trust policy + identity policy"
KINDS = ("user", "role", "account", "service", "federated", "anyone")
DEFAULT_MAX_NODES = 500
# Many roles that each trust many principals make a dense graph of shortest routes;
# past this many questions to the engine (a few seconds) the search stops.
DEFAULT_MAX_EVALUATIONS = 100_000


@dataclass(frozen=True, slots=True)
class Node:
    """A principal: ``id`` is a user's or role's ARN (the target's too), or
    ``account:ID``, ``service:NAME``, ``federated:PROVIDER``, ``anyone``."""

    id: str
    kind: str  # one of KINDS
    label: str
    arn: str | None
    depth: int  # hops to the target (the target is 0)
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` can assume ``target`` (node ids)."""

    source: str
    target: str
    via: str  # TRUST | TRUST_AND_IDENTITY
    conditions: tuple[str, ...]  # condition keys the request must satisfy; () none
    chained: bool  # a role session assuming a role
    explanation: str = ""

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)


@dataclass(frozen=True, slots=True)
class AssumeGraph:
    """Who can assume ``target`` (the role's ARN, also its node's id), and how."""

    target: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    notes: tuple[str, ...] = ()  # about the whole graph (not found, cut short)
    evaluations: int = 0  # questions put to the policy engine

    @property
    def explanations(self) -> dict[str, str]:
        """Plain text for the console's list view: by node id, and by ``source -> target``."""
        found = {n.id: n.explanation for n in self.nodes}
        found.update({f"{e.source} -> {e.target}": e.explanation for e in self.edges})
        return found

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def assumers(self, node_id: str) -> Iterator[Edge]:
        return (e for e in self.edges if e.target == node_id)


def who_can_assume(
    details: Mapping[str, Any],
    account_id: str,
    role_arn: str,
    *,
    max_depth: int = 5,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
) -> AssumeGraph:
    """The principals that can assume ``role_arn``, directly or through chains of roles,
    as the policies in ``details`` (GetAccountAuthorizationDetails of ``account_id``)
    decide. ``max_nodes`` and ``max_evaluations`` bound the work whatever the account
    holds; the graph's ``notes`` say when either cut it short."""
    account = AccountDetails(details, account_id)
    role = account.role(role_arn)
    if role is None:
        target = Node(role_arn, ROLE, _label(role_arn), role_arn, 0, "role not found")
        note = "The role is not among the account's authorization details."
        return AssumeGraph(role_arn, (target,), (), (note,))
    search = _Search(account, max_nodes, max_evaluations)
    search.add(Node(role.arn, ROLE, role.name, role.arn, 0, "the role asked about"))
    queue: deque[tuple[Identity, int]] = deque([(role, 0)])
    while queue:
        current, depth = queue.popleft()
        if depth >= max_depth or search.exhausted:
            continue
        for candidate, verdict in search.assumers(current, depth):
            is_new = search.add(_node(candidate, depth + 1))
            if candidate.node_id not in search.nodes:
                continue  # over max_nodes
            search.edges.append(_edge(candidate, current, verdict, search.nodes))
            identity = candidate.identity
            if is_new and identity is not None and identity.kind == ROLE:
                queue.append((identity, depth + 1))
    notes: list[str] = []
    if search.left_out:
        notes.append(
            f"Only the first {max_nodes} principals are analysed; "
            f"{len(search.left_out)} more left out."
        )
    if search.exhausted:
        notes.append(
            f"The analysis stopped after {max_evaluations} policy evaluations; "
            "routes further from the role may be missing."
        )
    return AssumeGraph(
        role.arn,
        tuple(search.nodes.values()),
        tuple(search.edges),
        tuple(notes),
        search.judge.evaluations,
    )


class _Search:
    """The graph being built and the engine's judge, for one analysis."""

    def __init__(self, account: AccountDetails, max_nodes: int, max_evaluations: int) -> None:
        self.account = account
        self.max_nodes = max_nodes
        self.max_evaluations = max_evaluations
        self.exhausted = False
        self.judge = Judge()
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.left_out: set[str] = set()
        # The identities asked about every role (trusting the account, or "*"), pruned
        # at each new layer of the search; candidates are built once per identity.
        self._layer = -1
        self._wild = list(account.wildcard_holders)
        self._all = account.everyone()
        self._made: dict[str, Candidate] = {}

    def add(self, node: Node) -> bool:
        """Add ``node`` unless known; False when known or over the cap."""
        if node.id in self.nodes:
            return False
        if len(self.nodes) >= self.max_nodes:
            self.left_out.add(node.id)
            return False
        self.nodes[node.id] = node
        return True

    def assumers(self, role: Identity, depth: int) -> Iterator[tuple[Candidate, Verdict]]:
        """Every candidate the engine allows to assume ``role`` (``depth`` hops from the
        target), with its verdict; but those already known to reach the target in
        ``depth`` hops or fewer, for whom an edge to ``role`` would be no shorter way."""
        for candidate in self._candidates(role, depth):
            if self.judge.evaluations >= self.max_evaluations:
                self.exhausted = True
                return
            verdict = self.judge.decide(candidate.question(role, self.account.account_id))
            if verdict is not None:
                yield candidate, verdict

    def _fresh(self, node_id: str, depth: int) -> bool:
        known = self.nodes.get(node_id)
        return known is None or known.depth > depth

    def _refresh(self, depth: int) -> None:
        """At each new layer, drop from the pools of identities asked about every role
        those now known at that distance or closer: each identity leaves once, so
        a layer of many roles does not ask the same known identities again and again."""
        if depth != self._layer:
            self._layer = depth
            self._wild = [i for i in self._wild if self._fresh(i.arn, depth)]
            self._all = [i for i in self._all if self._fresh(i.arn, depth)]

    def _candidates(self, role: Identity, depth: int) -> Iterator[Candidate]:
        self._refresh(depth)
        named = external_candidates(role, self.account)
        if named.everyone:
            pool: list[Identity] = self._all
        else:
            chosen = {i.arn: i for i in named.identities}
            if named.own_account:
                chosen.update((i.arn, i) for i in self.account.exact_holders(role.arn))
            pool = sorted(
                (i for i in chosen.values() if self._fresh(i.arn, depth)), key=lambda i: i.arn
            )
            if named.own_account:
                seen = set(chosen)
                pool += [i for i in self._wild if i.arn not in seen]
        for identity in pool:
            if identity.arn != role.arn:
                yield self._candidate(identity)
        for other in named.others:
            if self._fresh(other.node_id, depth):
                yield other

    def _candidate(self, identity: Identity) -> Candidate:
        found = self._made.get(identity.arn)
        if found is None:
            found = self._made[identity.arn] = identity_candidate(identity)
        return found


def _node(candidate: Candidate, depth: int) -> Node:
    return Node(
        candidate.node_id,
        candidate.kind,
        candidate.label,
        candidate.arn,
        depth,
        candidate.explanation,
    )


def _label(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


def _edge(candidate: Candidate, role: Identity, verdict: Verdict, nodes: dict[str, Node]) -> Edge:
    via = TRUST_AND_IDENTITY if verdict.identity_needed or candidate.external else TRUST
    source = nodes[candidate.node_id]
    return Edge(
        source=candidate.node_id,
        target=role.arn,
        via=via,
        conditions=verdict.conditions,
        chained=candidate.chained,
        explanation=_explain(source, role, candidate, verdict, via),
    )


def _explain(source: Node, role: Identity, candidate: Candidate, verdict: Verdict, via: str) -> str:
    how = f"{source.label} can {candidate.verb} {role.name}"
    if candidate.external:
        why = "the trust policy allows it, if its own account's policies allow it too"
    elif via == TRUST:
        why = "the trust policy allows it on its own"
    else:
        why = "the trust policy trusts the account and its identity policies allow it"
    text = f"{how}: {why}."
    if verdict.conditions:
        text += f" Only when the request satisfies conditions on {', '.join(verdict.conditions)}."
    cited = _cite(verdict.matched)
    return f"{text} Allowed by {cited}." if cited else text


def _cite(refs: tuple[StatementRef, ...]) -> str:
    parts = []
    for ref in refs:
        statement = f"statement {ref.sid!r}" if ref.sid else f"statement {ref.index + 1}"
        owner = "the trust policy" if ref.policy_id.endswith("#trust") else ref.policy_id
        parts.append(f"{statement} of {owner} ({ref.policy_type.value})")
    return "; ".join(parts)
