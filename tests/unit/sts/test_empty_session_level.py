"""A session level with no policies allows nothing (a GetFederationToken session without
policies), even where only identity policies would otherwise be combined."""

from __future__ import annotations

from iamd import policy


def _allow_all() -> policy.CompiledPolicy:
    text = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    return policy.compile_policy(policy.parse_policy(text, policy.PolicyKind.IDENTITY), "p")


def test_an_empty_session_level_denies() -> None:
    caller = policy.federated_user(
        "123456789012", "carol", "arn:aws:iam::123456789012:user/broker", "AIDAEXAMPLE"
    )
    request = policy.Request(caller, "s3:GetObject", "arn:aws:s3:::b/k")
    limited = policy.PolicySet(identity=[_allow_all()], session=())
    unlimited = policy.PolicySet(identity=[_allow_all()])
    assert policy.evaluate(request, unlimited).allowed
    decision = policy.evaluate(request, limited)
    assert not decision.allowed
    assert decision.denied_by is policy.PolicyType.SESSION
