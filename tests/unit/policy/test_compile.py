"""PolicySet: the same compiled policy placed in several sets and several roles."""

from __future__ import annotations

import json

from iamd import policy
from iamd.policy import PolicyKind, PolicyType
from iamd.policy.compile import BIT_BOUNDARY, BIT_IDENTITY, BIT_SESSION

DOC = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"},
        ],
    }
)
CALLER = policy.user("arn:aws:iam::123456789012:user/alice", "AIDAALICE")


def _compiled() -> policy.CompiledPolicy:
    return policy.compile_policy(policy.parse_policy(DOC, PolicyKind.IDENTITY), "p")


def _roles(policies: policy.PolicySet, action: str) -> list[tuple[int, PolicyType, int]]:
    return [(e.bit, e.policy_type, e.ref.index) for e in policies.candidates(action)]


def test_one_policy_takes_the_role_of_each_place_it_is_put() -> None:
    p = _compiled()
    both = policy.PolicySet(identity=[p], boundary=p, session=[p])
    assert _roles(both, "s3:GetObjectAcl") == [
        (BIT_IDENTITY, PolicyType.IDENTITY, 0),
        (BIT_IDENTITY, PolicyType.IDENTITY, 1),
        (BIT_BOUNDARY, PolicyType.BOUNDARY, 0),
        (BIT_BOUNDARY, PolicyType.BOUNDARY, 1),
        (BIT_SESSION, PolicyType.SESSION, 0),
        (BIT_SESSION, PolicyType.SESSION, 1),
    ]
    scps = policy.PolicySet(identity=[p], scps=[[p], [], [p]])
    assert [(t, i) for _, t, i in _roles(scps, "s3:GetObject")] == [
        (PolicyType.IDENTITY, 0),
        (PolicyType.SCP, 0),
        (PolicyType.SCP, 0),
    ]
    assert len({bit for bit, _, _ in _roles(scps, "s3:GetObject")}) == 3


def test_sets_built_per_request_share_the_policy_entries() -> None:
    p = _compiled()
    first = policy.PolicySet(identity=[p]).candidates("s3:GetObject")
    second = policy.PolicySet(identity=[p], boundary=p).candidates("s3:GetObject")
    assert second[0] is first[0]
    assert second[1].policy_type is PolicyType.BOUNDARY


def test_decisions_do_not_depend_on_what_was_built_before() -> None:
    p = _compiled()
    request = policy.Request(CALLER, "s3:GetObject", "arn:aws:s3:::b/k")
    fresh = [
        policy.evaluate(request, policy.PolicySet(boundary=_compiled(), identity=[_compiled()]))
        for _ in range(2)
    ]
    policy.PolicySet(session=[p], scps=[[p]])
    reused = [
        policy.evaluate(request, policy.PolicySet(boundary=p, identity=[p])) for _ in range(2)
    ]
    assert reused == fresh
    assert reused[0].allowed
    denied = policy.evaluate(
        request._replace(action="s3:GetObjectAcl"), policy.PolicySet(boundary=p, identity=[p])
    )
    assert denied.denied_by is PolicyType.IDENTITY
    assert [r.policy_type for r in denied.matched] == [PolicyType.IDENTITY, PolicyType.BOUNDARY]
