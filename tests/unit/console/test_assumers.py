"""who_can_assume over handcrafted authorization details: one case per trust rule."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from iamd.console.assumers import (
    TRUST,
    TRUST_AND_IDENTITY,
    AssumeGraph,
    all_pages,
    who_can_assume,
)
from iamd.console.assumers_details import AccountDetails
from iamd.console.assumers_principals import identity_candidate
from iamd.console.assumers_verdict import Judge

from .assumers_support import (
    ACCOUNT,
    OTHER,
    ROOT,
    allow,
    arn,
    deny,
    details,
    group,
    managed,
    role,
    trusts,
    user,
)

T = TRUST
TI = TRUST_AND_IDENTITY
TARGET = arn("role", "target")
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "s3cret"}}

Edges = set[tuple[str, str, str, tuple[str, ...]]]


def name_of(graph: AssumeGraph, node_id: str) -> str:
    node = graph.node(node_id)
    assert node is not None
    return node.label if node.kind in ("user", "role") and node.id.startswith("arn:") else node.id


def edges(graph: AssumeGraph) -> Edges:
    """``(source, target, via, conditions)``, users and roles by name, others by id."""
    return {
        (name_of(graph, e.source), name_of(graph, e.target), e.via, e.conditions)
        for e in graph.edges
    }


def target(trust: Any, *statements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return role("target", trust, *statements, **extra)


CASES = [
    pytest.param(
        details(users=(user("alice"),), roles=(target(trusts(arn("user", "alice"))),)),
        {("alice", "target", T, ())},
        id="trust names the user: enough on its own",
    ),
    pytest.param(
        details(
            users=(user("alice", allow()), user("bob"), user("carol", allow("s3:*"))),
            roles=(target(trusts(ROOT)),),
        ),
        {("alice", "target", TI, ())},
        id="trust names the account: the identity policy must allow too",
    ),
    pytest.param(
        details(
            users=(
                user("alice", allow(resource=TARGET)),
                user("bob", allow(resource=arn("role", "other"))),
            ),
            roles=(target(trusts(ACCOUNT)),),
        ),
        {("alice", "target", TI, ())},
        id="account as a bare id; an identity allow for another resource does not count",
    ),
    pytest.param(
        details(
            users=(user("alice", groups=("ops",)), user("bob", groups=("devs",)), user("eve")),
            groups=(group("ops", allow()), group("devs", managed=(arn("policy", "assume"),))),
            policies=(managed("assume", allow(resource=arn("role", "t*"))),),
            roles=(target(trusts(ROOT)),),
        ),
        {("alice", "target", TI, ()), ("bob", "target", TI, ())},
        id="group inline and group managed policies count for users",
    ),
    pytest.param(
        details(
            users=(user("alice", managed=(arn("policy", "assume"),)),),
            policies=(managed("assume", allow()),),
            roles=(target(trusts(ROOT)),),
        ),
        {("alice", "target", TI, ())},
        id="the managed policy's default version decides (v1 denies everything)",
    ),
    pytest.param(
        details(
            users=(user("alice", allow(), deny(resource=TARGET)), user("bob")),
            roles=(target(trusts([ROOT, arn("user", "bob")])),),
        ),
        {("bob", "target", T, ())},
        id="explicit deny in the identity policy",
    ),
    pytest.param(
        details(
            users=(user("alice"), user("bob")),
            roles=(
                target(
                    [
                        trusts([arn("user", "alice"), arn("user", "bob")]),
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": arn("user", "bob")},
                            "Action": "sts:AssumeRole",
                        },
                    ]
                ),
            ),
        ),
        {("alice", "target", T, ())},
        id="explicit deny in the trust policy",
    ),
    pytest.param(
        details(
            users=(
                user("alice", allow(), boundary=arn("policy", "fence")),
                user("bob", allow(), boundary=arn("policy", "gate")),
                user("carol", allow(), boundary=arn("policy", "fence")),
            ),
            policies=(managed("fence", allow("s3:*")), managed("gate", allow("sts:*"))),
            roles=(target([trusts(ROOT), trusts(arn("user", "carol"))]),),
        ),
        {("bob", "target", TI, ()), ("carol", "target", T, ())},
        id="a boundary limits the identity policy, not a trust naming the user",
    ),
    pytest.param(
        details(
            users=(user("alice", allow(), boundary=arn("policy", "gone")),),
            roles=(target(trusts(ROOT)),),
        ),
        set(),
        id="a boundary missing from the details allows nothing",
    ),
    pytest.param(
        details(
            users=(user("alice", allow()), user("bob", allow())),
            roles=(target(trusts(ROOT, Condition=EXTERNAL_ID)),),
        ),
        {("alice", "target", TI, ("sts:ExternalId",)), ("bob", "target", TI, ("sts:ExternalId",))},
        id="ExternalId condition: conditional edges",
    ),
    pytest.param(
        details(
            users=(user("alice"),),
            roles=(
                target(
                    [
                        trusts(ROOT),
                        trusts(arn("user", "alice"), Condition=MFA),
                    ]
                ),
            ),
        ),
        {("alice", "target", T, ("aws:MultiFactorAuthPresent",))},
        id="MFA condition; the unconditional account statement alone is not enough",
    ),
    pytest.param(
        details(
            users=(user("alice", allow()),),
            roles=(
                target(
                    [
                        trusts(ROOT),
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                        },
                    ]
                ),
            ),
        ),
        {("alice", "target", TI, ("aws:MultiFactorAuthPresent",))},
        id="a deny without MFA makes MFA a condition",
    ),
    pytest.param(
        details(
            users=(user("alice", allow()),),
            roles=(
                target(
                    [
                        trusts(ROOT),
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                        },
                    ]
                ),
            ),
        ),
        {("alice", "target", TI, ("aws:SourceIp",))},
        id="a deny on a request key the facts lack makes the edge conditional",
    ),
    pytest.param(
        details(
            users=(
                user("alice", tags={"team": "red"}),
                user("bob", tags={"team": "blue"}),
                user("carol"),
            ),
            roles=(
                target(
                    trusts(
                        [arn("user", n) for n in ("alice", "bob", "carol")],
                        Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}},
                    )
                ),
            ),
        ),
        {("alice", "target", T, ())},
        id="a user's tags are facts: a condition on them is decided",
    ),
    pytest.param(
        details(
            users=(user("alice", allow(resource=arn("role", "hop"))),),
            roles=(
                role("hop", trusts(ROOT), allow(resource=TARGET)),
                target(trusts(arn("role", "hop"))),
            ),
        ),
        {("hop", "target", T, ()), ("alice", "hop", TI, ())},
        id="a chain: alice -> hop -> target",
    ),
    pytest.param(
        details(
            roles=(
                role("hop", trusts(arn("role", "target"))),
                target(trusts(ROOT)),
            ),
        ),
        set(),
        id="a role trusting the account needs its own identity allow",
    ),
    pytest.param(
        details(
            users=(user("alice"),),
            roles=(
                role("hop", trusts(arn("role", "target")), allow(), boundary=arn("policy", "b")),
                role("two", trusts(arn("role", "target")), boundary=arn("policy", "b2")),
                target(trusts([arn("role", "hop"), arn("role", "two"), arn("role", "target")])),
            ),
            policies=(managed("b", allow("sts:*")), managed("b2", allow("s3:*"))),
        ),
        {("hop", "target", T, ())},
        id="a role named in trust is capped by its boundary; no edge back to the target",
    ),
    pytest.param(
        details(
            roles=(
                target(
                    [
                        trusts({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}),
                        trusts(
                            {"Service": "ecs-tasks.amazonaws.com"},
                            Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                        ),
                    ]
                ),
            ),
        ),
        {
            ("service:ec2.amazonaws.com", "target", T, ()),
            ("service:lambda.amazonaws.com", "target", T, ()),
            ("service:ecs-tasks.amazonaws.com", "target", T, ("aws:SourceAccount",)),
        },
        id="services, one guarded against the confused deputy",
    ),
    pytest.param(
        details(
            roles=(
                target(
                    [
                        trusts(
                            {"Federated": OIDC},
                            "sts:AssumeRoleWithWebIdentity",
                            Condition={"StringEquals": {"idp.example.com:aud": "app"}},
                        ),
                        trusts(
                            {"Federated": SAML},
                            "sts:AssumeRoleWithSAML",
                            Condition={"StringEquals": {"SAML:aud": "https://signin"}},
                        ),
                        trusts({"Federated": "accounts.google.com"}),  # wrong action
                    ]
                ),
            ),
        ),
        {
            (f"federated:{OIDC}", "target", T, ("idp.example.com:aud",)),
            (f"federated:{SAML}", "target", T, ("SAML:aud",)),
        },
        id="OIDC and SAML providers with their conditions",
    ),
    pytest.param(
        details(
            roles=(
                target(
                    [
                        trusts([OTHER, f"arn:aws:iam::{OTHER}:user/bob"]),
                        trusts("arn:aws:iam::333333333333:role/ci", Condition=EXTERNAL_ID),
                    ]
                ),
            ),
        ),
        {
            (f"account:{OTHER}", "target", TI, ()),
            ("bob", "target", TI, ()),
            ("ci", "target", TI, ("sts:ExternalId",)),
        },
        id="other accounts: if their own policies allow",
    ),
    pytest.param(
        details(
            users=(user("alice"),),
            roles=(role("hop", trusts(ROOT)), target(trusts("*"))),
        ),
        {("alice", "target", T, ()), ("hop", "target", T, ()), ("anyone", "target", TI, ())},
        id="anyone: every principal of the account on its own, any other if it may",
    ),
    pytest.param(
        details(
            users=(user("alice"),),
            roles=(
                target(trusts("*", Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})),
            ),
        ),
        {("anyone", "target", TI, ("aws:PrincipalAccount",))},
        id="anyone, but of one account: a fact for the account's own users",
    ),
    pytest.param(
        details(
            users=(user("alice"),),
            roles=(target(trusts("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}})),),
        ),
        set(),
        id="an organization condition: no iamd account is in one",
    ),
    pytest.param(
        details(
            roles=(
                role("ci-build", trusts(arn("role", "ci-build")), allow()),
                role("ci-test", trusts(arn("role", "ci-test")), allow(), tags={"stage": "test"}),
                role("web", trusts(arn("role", "web")), allow()),
                target(
                    trusts(
                        ROOT,
                        Condition={"ArnLike": {"aws:PrincipalArn": arn("role", "ci-*")}},
                    )
                ),
            ),
        ),
        {("ci-build", "target", TI, ()), ("ci-test", "target", TI, ())},
        id="a role session's ARN is its role's: a fact",
    ),
    pytest.param(
        details(
            roles=(
                role("ci-test", trusts(arn("role", "ci-test")), allow(), tags={"stage": "test"}),
                role("ci-prod", trusts(arn("role", "ci-prod")), allow(), tags={"stage": "prod"}),
                role("ci-none", trusts(arn("role", "ci-none")), allow()),
                target(
                    trusts(ROOT, Condition={"StringEquals": {"aws:PrincipalTag/stage": "test"}})
                ),
            ),
        ),
        {("ci-test", "target", TI, ()), ("ci-none", "target", TI, ("aws:PrincipalTag/stage",))},
        id="a role session has its role's tags, and may carry session tags for the rest",
    ),
    pytest.param(
        details(
            users=(user("alice", user_id="AIDANEW000000000000"),),
            roles=(target(trusts("AIDAOLD000000000000")),),
        ),
        set(),
        id="a deleted principal's unique id trusts nobody, not its namesake",
    ),
    pytest.param(
        details(
            users=(user("alice", user_id="AIDANEW000000000000"),),
            roles=(target(trusts("AIDANEW000000000000")),),
        ),
        {("alice", "target", T, ())},
        id="a unique id names its user",
    ),
]


@pytest.mark.parametrize(("account_details", "expected"), CASES)
def test_who_can_assume(account_details: dict[str, Any], expected: Edges) -> None:
    assert edges(who_can_assume(account_details, ACCOUNT, TARGET)) == expected


def _chain(length: int) -> dict[str, Any]:
    """alice -> r1 -> r2 -> ... -> r<length> = the target."""
    roles = [role("r1", trusts(arn("user", "alice")))]
    roles += [role(f"r{i}", trusts(arn("role", f"r{i - 1}"))) for i in range(2, length + 1)]
    return details(users=(user("alice"),), roles=tuple(roles))


def test_chains_are_layered_by_hops_and_cut_at_max_depth() -> None:
    account = _chain(4)
    graph = who_can_assume(account, ACCOUNT, arn("role", "r4"))
    depths = {n.label: n.depth for n in graph.nodes}
    assert depths == {"r4": 0, "r3": 1, "r2": 2, "r1": 3, "alice": 4}
    assert [e.chained for e in graph.edges] == [True, True, True, False]
    short = who_can_assume(account, ACCOUNT, arn("role", "r4"), max_depth=2)
    assert {n.label for n in short.nodes} == {"r4", "r3", "r2"}


def test_each_role_is_expanded_once_and_only_shortest_routes_are_asked() -> None:
    # Every role trusts every other (and itself): all reach r0 in one hop, and none is
    # asked again about another role of that first layer.
    names = [f"r{i}" for i in range(6)]
    roles = tuple(role(n, trusts([arn("role", m) for m in names])) for n in names)
    graph = who_can_assume(details(roles=roles), ACCOUNT, arn("role", "r0"))
    assert {(n.label, n.depth) for n in graph.nodes} == {(n, 0 if n == "r0" else 1) for n in names}
    assert {(e.source, e.target) for e in graph.edges} == {
        (arn("role", n), arn("role", "r0")) for n in names[1:]
    }
    # One evaluation per role of the first layer (no identity policies: no second
    # question about whether the trust policy alone suffices), none after it.
    assert graph.evaluations == 5


def test_equally_short_routes_are_all_edges() -> None:
    # alice reaches the target through a or b, both two hops: both edges are shown.
    account = details(
        users=(user("alice"),),
        roles=(
            role("a", trusts(arn("user", "alice"))),
            role("b", trusts(arn("user", "alice"))),
            target(trusts([arn("role", "a"), arn("role", "b")])),
        ),
    )
    assert edges(who_can_assume(account, ACCOUNT, TARGET)) == {
        ("a", "target", T, ()),
        ("b", "target", T, ()),
        ("alice", "a", T, ()),
        ("alice", "b", T, ()),
    }


def test_a_missing_role_is_a_graph_of_itself_with_a_note() -> None:
    graph = who_can_assume(details(), ACCOUNT, TARGET)
    assert [n.id for n in graph.nodes] == [TARGET] and not graph.edges
    assert graph.notes == ("The role is not among the account's authorization details.",)


def test_max_nodes_cuts_the_graph_and_says_so() -> None:
    users = tuple(user(f"u{i}") for i in range(10))
    names = [u["Arn"] for u in users]
    account = details(
        users=users,
        roles=(role("hop", trusts(names)), target(trusts([*names, arn("role", "hop")]))),
    )
    graph = who_can_assume(account, ACCOUNT, TARGET, max_nodes=4)
    assert [n.label for n in graph.nodes] == ["target", "hop", "u0", "u1"]
    assert len(graph.edges) == 3
    # u2..u9 are left out once each, though both roles would have taken them
    assert graph.notes == ("Only the first 4 principals are analysed; 8 more left out.",)


def _encoded(value: Any) -> Any:
    """Every policy document URL-encoded, as the Query wire carries it."""
    if isinstance(value, dict):
        return {
            k: urllib.parse.quote(v)
            if k.endswith("Document") and isinstance(v, str)
            else _encoded(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_encoded(v) for v in value]
    return value


def _decoded(value: Any) -> Any:
    """Every policy document as a dict, as boto3 hands them out."""
    if isinstance(value, dict):
        return {
            k: json.loads(v) if k.endswith("Document") and isinstance(v, str) else _decoded(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


@pytest.mark.parametrize("form", [_encoded, _decoded], ids=["url-encoded", "decoded"])
def test_documents_in_every_form_read_the_same(form: Any) -> None:
    account = details(
        users=(user("alice", allow(), groups=("g",)), user("bob", managed=(arn("policy", "m"),))),
        groups=(group("g", allow("s3:*")),),
        policies=(managed("m", allow()),),
        roles=(target(trusts(ROOT, Condition=MFA)),),
    )
    plain = who_can_assume(account, ACCOUNT, TARGET)
    assert len(plain.edges) == 2
    assert edges(who_can_assume(form(account), ACCOUNT, TARGET)) == edges(plain)


def test_edges_explain_themselves() -> None:
    account = details(
        users=(user("alice", allow()), user("bob")),
        roles=(target([trusts(ROOT), trusts(arn("user", "bob"), Sid="Bob", Condition=MFA)]),),
    )
    graph = who_can_assume(account, ACCOUNT, TARGET)
    text = graph.explanations
    assert text[f"{arn('user', 'alice')} -> {TARGET}"] == (
        "alice can assume target: the trust policy trusts the account and its identity "
        "policies allow it. Allowed by statement 1 of user/alice/inline (identity-based "
        "policy); statement 1 of the trust policy (resource-based policy)."
    )
    assert text[f"{arn('user', 'bob')} -> {TARGET}"] == (
        "bob can assume target: the trust policy allows it on its own. Only when the "
        "request satisfies conditions on aws:MultiFactorAuthPresent. Allowed by statement "
        "1 of the trust policy (resource-based policy); statement 'Bob' of the trust policy "
        "(resource-based policy)."
    )
    assert text[arn("user", "bob")] == "IAM user of this account"


def _sized(n: int) -> dict[str, Any]:
    """n users and n roles: role i trusts user i by name and the account; user i may
    assume role i, role i the target; three admins may assume any role."""
    users = [user(f"u{i}", allow(resource=arn("role", f"r{i}"))) for i in range(n)]
    users += [user(f"admin{i}", allow(resource=arn("role", "*"))) for i in range(3)]
    roles = [
        role(f"r{i}", trusts([arn("user", f"u{i}"), ROOT]), allow(resource=TARGET))
        for i in range(n)
    ]
    return details(users=tuple(users), roles=(*roles, target(trusts(ROOT))))


def test_the_work_grows_linearly_with_the_account() -> None:
    small, large = (who_can_assume(_sized(n), ACCOUNT, TARGET, max_nodes=1000) for n in (150, 300))
    assert len(small.nodes) == 1 + 150 * 2 + 3 and len(large.nodes) == 1 + 300 * 2 + 3
    assert len(large.edges) == 300 * 2 + 3
    # Each role asks only its named user and the holders of a matching Allow: twice the
    # account, twice the questions (plus the same few for the admins).
    assert large.evaluations - small.evaluations == small.evaluations - 3 * 2


def test_asking_only_the_candidates_misses_nobody_the_engine_allows() -> None:
    # Identity policies in every shape that can reach the target, and some that cannot.
    shapes: list[dict[str, Any]] = [
        allow(resource=TARGET),
        allow(resource=arn("role", "tar*")),
        allow(resource=arn("role", "ta?get")),
        allow("sts:Assume*", resource=arn("role", "*")),
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": TARGET},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": arn("role", "other")},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": TARGET},
        allow(resource=f"arn:aws:iam::{ACCOUNT}:role/${{aws:username}}"),
        allow(resource=arn("role", "other")),
        allow("sts:TagSession", resource=TARGET),
        allow("s3:GetObject"),
    ]
    users = [user(f"u{i}", shape) for i, shape in enumerate(shapes)]
    users.append(user("target", allow(resource=f"arn:aws:iam::{ACCOUNT}:role/${{aws:username}}")))
    account = details(
        users=tuple(users),
        roles=(role("hop", trusts(ROOT), *shapes[:2]), target(trusts(ROOT))),
    )
    graph = who_can_assume(account, ACCOUNT, TARGET, max_depth=1)
    every = AccountDetails(account, ACCOUNT)
    role_ = every.role(TARGET)
    assert role_ is not None
    judge = Judge()
    brute = {
        i.arn
        for i in every.everyone()
        if i.arn != TARGET and judge.decide(identity_candidate(i).question(role_, ACCOUNT))
    }
    assert {n.id for n in graph.nodes} - {TARGET} == brute
    assert brute == {
        *(arn("user", name) for name in ("u0", "u1", "u2", "u3", "u4", "u5", "target")),
        arn("role", "hop"),
    }


@pytest.mark.parametrize("n", [100, 200])
def test_roles_trusting_the_account_ask_each_principal_once(n: int) -> None:
    # Every role trusts the account and every principal may assume any role: all reach
    # the target in one hop, and the n roles of that layer ask nobody again.
    users = tuple(user(f"u{i:03}", allow()) for i in range(n))
    roles = tuple(role(f"r{i:03}", trusts(ROOT), allow()) for i in range(n))
    account = details(users=users, roles=(*roles, target(trusts(ROOT))))
    graph = who_can_assume(account, ACCOUNT, TARGET, max_nodes=10_000)
    assert len(graph.nodes) == 2 * n + 1 and len(graph.edges) == 2 * n
    # two questions each: with its identity policies, then whether the trust alone would do
    assert graph.evaluations == 2 * (2 * n)


def test_all_pages_follows_markers_and_stops_on_a_repeated_one() -> None:
    pages = {
        None: {"UserDetailList": [1], "IsTruncated": True, "Marker": "a"},
        "a": {"RoleDetailList": [2], "Policies": [3], "IsTruncated": True, "Marker": "b"},
        "b": {"GroupDetailList": [4], "IsTruncated": True, "Marker": "a"},
    }
    asked: list[dict[str, Any]] = []

    def call(params: dict[str, Any]) -> dict[str, Any]:
        asked.append(params)
        return pages[params.get("Marker")]

    merged = all_pages(call, page_size=7)
    assert merged == {
        "UserDetailList": [1],
        "GroupDetailList": [4],
        "RoleDetailList": [2],
        "Policies": [3],
    }
    assert asked == [
        {"MaxItems": 7},
        {"MaxItems": 7, "Marker": "a"},
        {"MaxItems": 7, "Marker": "b"},
    ]


def test_max_evaluations_stops_the_search_and_says_so() -> None:
    account = _chain(6)
    graph = who_can_assume(account, ACCOUNT, arn("role", "r6"), max_evaluations=3)
    assert [n.label for n in graph.nodes] == ["r6", "r5", "r4", "r3"]
    assert graph.evaluations == 3
    assert graph.notes == (
        "The analysis stopped after 3 policy evaluations; routes further from the role may "
        "be missing.",
    )
