"""The evaluator against a reference combiner, on random abstract policy sets.

Each statement is abstract: Allow or Deny, matching the request or not (by its action),
and, in a resource policy, naming the caller by one of its identities. The reference
below restates spec 1.3-1.6 as plainly as it can; the real engine must agree with it on
every generated set, and a matching Deny must always win.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from iamd import policy
from iamd.policy import Decision, PolicyKind
from iamd.policy.request import Grant

A, B = "111111111111", "222222222222"
ROLE_ARN = f"arn:aws:iam::{A}:role/app"
SESSION_ARN = f"arn:aws:sts::{A}:assumed-role/app/s1"
USER_ARN = f"arn:aws:iam::{A}:user/alice"
ACTION, OTHER_ACTION = "s3:GetObject", "s3:PutObject"

# How a resource policy statement names the caller, and how far that reaches.
NAMES = {
    "self": Grant.FULL,  # the user ARN, or the session ARN
    "role": Grant.CAPPED,  # the role of the session
    "account": Grant.ACCOUNT,
    "everyone": Grant.FULL,
    "stranger": Grant.NONE,
}

# Allow three times as often as Deny, so that the allow paths are explored too.
effects = st.sampled_from(["Allow", "Allow", "Allow", "Deny"])
stmt = st.tuples(effects, st.booleans())
rstmt = st.tuples(effects, st.booleans(), st.sampled_from(list(NAMES)))
facts = st.fixed_dictionaries(
    {
        "session_caller": st.booleans(),
        "cross_account": st.booleans(),
        "identity": st.lists(stmt, max_size=3),
        "boundary": st.none() | st.lists(stmt, max_size=2),
        "session": st.none() | st.lists(stmt, max_size=2),
        "scps": st.lists(st.lists(stmt, min_size=1, max_size=2), max_size=2),
        "resource": st.none() | st.lists(rstmt, min_size=1, max_size=3),
        "must_allow": st.booleans(),
    }
)


def reference(f: dict[str, Any]) -> Decision:
    """Spec 1.3-1.6, restated over abstract statements."""
    grants = [NAMES[n] for e, m, n in f["resource"] or [] if e == "Allow" and m and NAMES[n]]
    every = [*f["identity"], *(f["boundary"] or []), *(f["session"] or [])]
    every += [s for level in f["scps"] for s in level]
    every += [(e, m and NAMES[n] > 0) for e, m, n in f["resource"] or []]
    if any(e == "Deny" and m for e, m in every):
        return Decision.EXPLICIT_DENY

    def allows(stmts: list[Any] | None) -> bool:
        return stmts is None or any(e == "Allow" and m for e, m in stmts)

    grant = max(grants, default=Grant.NONE)
    if not all(allows(level) for level in f["scps"]):
        return Decision.IMPLICIT_DENY
    if (f["must_allow"] or f["cross_account"]) and not grant:
        return Decision.IMPLICIT_DENY
    if not f["cross_account"] and grant == Grant.FULL:
        return Decision.ALLOW
    identity = allows(f["identity"]) and bool(f["identity"])
    identity = identity or (grant == Grant.CAPPED and not f["cross_account"])
    ok = identity and allows(f["boundary"]) and allows(f["session"])
    return Decision.ALLOW if ok else Decision.IMPLICIT_DENY


def _doc(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _principal_value(name: str, session_caller: bool) -> Any:
    return {
        "self": {"AWS": SESSION_ARN if session_caller else USER_ARN},
        "role": {"AWS": ROLE_ARN},
        "account": {"AWS": A},
        "everyone": "*",
        "stranger": {"AWS": f"arn:aws:iam::{B}:user/mallory"},
    }[name]


def _resource_doc(stmts: list[Any], session_caller: bool, trust: bool) -> policy.CompiledPolicy:
    body = []
    for e, m, n in stmts:
        action = (
            ("sts:AssumeRole" if m else "sts:TagSession")
            if trust
            else (ACTION if m else OTHER_ACTION)
        )
        entry = {"Effect": e, "Principal": _principal_value(n, session_caller), "Action": action}
        if not trust:
            entry["Resource"] = "*"
        body.append(entry)
    kind = PolicyKind.TRUST if trust else PolicyKind.RESOURCE
    return policy.compile_policy(policy.parse_policy(_doc(body), kind), "resource")


def _facts(**overrides: Any) -> dict[str, Any]:
    base = {
        "session_caller": True,
        "cross_account": False,
        "identity": [],
        "boundary": None,
        "session": None,
        "scps": [],
        "resource": None,
        "must_allow": False,
    }
    return {**base, **overrides}


@settings(max_examples=1000, deadline=None)
@given(facts)
# The rows of table 1.4, so that each is checked on every run whatever is generated.
@example(_facts(resource=[("Allow", True, "role")]))
@example(_facts(resource=[("Allow", True, "role")], boundary=[("Allow", False)]))
@example(_facts(resource=[("Allow", True, "self")], session=[("Allow", False)]))
@example(_facts(resource=[("Allow", True, "account")]))
@example(_facts(resource=[("Allow", True, "self")], cross_account=True))
@example(_facts(resource=[("Allow", True, "role")], must_allow=True, identity=[("Allow", True)]))
def test_engine_agrees_with_the_reference(f: dict[str, Any]) -> None:
    session_caller = f["session_caller"]
    if not session_caller:
        f["session"] = None  # users have no session policies
        f["resource"] = [
            (e, m, "self" if n == "role" else n) for e, m, n in f["resource"] or []
        ] or None
    trust = f["must_allow"] and f["resource"] is not None
    f["must_allow"] = trust
    action = "sts:AssumeRole" if trust else ACTION
    principal = (
        policy.role_session(ROLE_ARN, "AROAAPPROLEEXAMPLE123", "s1")
        if session_caller
        else policy.user(USER_ARN, "AIDAALICEEXAMPLE12345")
    )

    def ident(stmts: list[Any], kind: PolicyKind, pid: str) -> policy.CompiledPolicy:
        body = [
            {"Effect": e, "Action": action if m else OTHER_ACTION, "Resource": "*"}
            for e, m in stmts
        ]
        text = _doc(body or [{"Effect": "Allow", "Action": "ec2:Nothing", "Resource": "*"}])
        return policy.compile_policy(policy.parse_policy(text, kind), pid)

    policies = policy.PolicySet(
        identity=[ident(f["identity"], PolicyKind.IDENTITY, "id")],
        boundary=None if f["boundary"] is None else ident(f["boundary"], PolicyKind.BOUNDARY, "pb"),
        session=None if f["session"] is None else [ident(f["session"], PolicyKind.SESSION, "sp")],
        scps=[[ident(level, PolicyKind.SCP, f"scp{i}")] for i, level in enumerate(f["scps"])],
        resource=None
        if f["resource"] is None
        else _resource_doc(f["resource"], session_caller, trust),
        resource_must_allow=trust,
    )
    owner = B if f["cross_account"] else A
    request = policy.Request(principal, action, "arn:aws:s3:::b/k", {}, owner)
    result = policy.evaluate(request, policies)
    assert result.decision is reference(f), result
    if reference(f) is Decision.EXPLICIT_DENY:
        assert result.matched and all(ref.effect == "Deny" for ref in result.matched)
    elif result.decision is Decision.IMPLICIT_DENY:
        assert result.denied_by is not None and not result.matched
