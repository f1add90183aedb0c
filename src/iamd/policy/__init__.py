"""The IAM policy language: parsed, validated and evaluated as AWS evaluates it.

This package is pure: standard library only, no I/O, no clock reads, no globals. The
time of a request travels in its context. It is the hot path of every request iamd
serves and can be used on its own as a library::

    from iamd import policy

    doc = policy.parse_policy(text, policy.PolicyKind.IDENTITY)      # PolicyError if bad
    compiled = policy.compile_policy(doc, "my-policy")
    policies = policy.PolicySet(identity=[compiled])
    caller = policy.user("arn:aws:iam::123456789012:user/alice", "AIDAEXAMPLE")
    request = policy.Request(caller, "s3:GetObject", "arn:aws:s3:::bucket/key",
                             policy.make_context({"aws:SourceIp": "10.0.0.1"}))
    result = policy.evaluate(request, policies)
    result.decision, result.matched, result.denied_by, result.missing_context_keys

Modules, from text to decision:

    parse.py      text -> Policy (document.py values), via validate.py's grammar checks
    variables.py  ${...} templates;  operators.py  condition operator names
    conditions.py one compiled test per condition clause
    matching.py   action and resource wildcards
    compile.py    CompiledPolicy, and PolicySet: policies in their roles, indexed by action
    request.py    Principal (with how far a resource grant reaches it) and Request
    evaluate.py   evaluate() and the combining rule
    decision.py   Decision, Evaluation, StatementRef, AccessDenied wording
"""

from iamd.policy.compile import CompiledPolicy, PolicySet, compile_policy
from iamd.policy.context import Context, ContextValue, make_context
from iamd.policy.decision import (
    Decision,
    Evaluation,
    PolicyType,
    StatementRef,
    access_denied_message,
    denial_reason,
)
from iamd.policy.document import Effect, Policy, PolicyError, PolicyKind, Position, Statement
from iamd.policy.evaluate import evaluate
from iamd.policy.parse import parse_policy, policy_size
from iamd.policy.request import (
    Grant,
    Principal,
    PrincipalKind,
    Request,
    anonymous,
    federated,
    federated_user,
    principal_context,
    role_session,
    root,
    service,
    user,
)

__all__ = [
    "CompiledPolicy",
    "Context",
    "ContextValue",
    "Decision",
    "Effect",
    "Evaluation",
    "Grant",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySet",
    "PolicyType",
    "Position",
    "Principal",
    "PrincipalKind",
    "Request",
    "Statement",
    "StatementRef",
    "access_denied_message",
    "anonymous",
    "compile_policy",
    "denial_reason",
    "evaluate",
    "federated",
    "federated_user",
    "make_context",
    "parse_policy",
    "policy_size",
    "principal_context",
    "role_session",
    "root",
    "service",
    "user",
]
