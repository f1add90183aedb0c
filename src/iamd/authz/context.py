"""The condition keys AWS supplies with a request (spec 3.1, 3.2).

Three layers, each built once where it can be:

- the principal's keys (``aws:PrincipalArn``, ``aws:PrincipalType``, ``aws:userid``,
  ``aws:username``, ``aws:PrincipalTag/*``, and for temporary credentials the session's
  MFA, issue time and source identity): once per caller, cached with its policies;
- the request's keys (``aws:SourceIp``, ``aws:SecureTransport``, ``aws:CurrentTime``,
  ``aws:EpochTime``, ``aws:RequestedRegion``, ``aws:UserAgent``): once per HTTP request;
- the authorization's keys: the target's tags (``aws:ResourceTag/*`` and
  ``iam:ResourceTag/*``) and the operation's own (``aws:RequestTag/*``, ``aws:TagKeys``,
  ``iam:PermissionsBoundary``, ``iam:PolicyARN``...).

Keys are lowercased, as ``iamd.policy.make_context`` does, and values are strings or
tuples of strings.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

from iamd import policy
from iamd.model.caller import Caller
from iamd.operations import RequestInfo, Target
from iamd.policy import ContextValue

Context = dict[str, ContextValue]


def format_time(moment: dt.datetime) -> str:
    """``aws:CurrentTime``'s form: ISO 8601 UTC to the second."""
    return _format_second(int(moment.timestamp() // 1))


@functools.lru_cache(maxsize=64)
def _format_second(epoch: int) -> str:
    """Formatted once per second: every request's context carries the time."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def principal_keys(caller: Caller, principal: policy.Principal) -> Context:
    """The keys that depend only on who is calling."""
    ctx = policy.principal_context(principal)
    session = caller.session
    if session is not None:
        ctx["aws:multifactorauthpresent"] = "true" if caller.mfa else "false"
        ctx["aws:tokenissuetime"] = format_time(session.issued_at)
        if session.source_identity is not None:
            ctx["aws:sourceidentity"] = session.source_identity
        for key, value in session.extra_context:
            ctx[key.lower()] = value
    return ctx


def request_keys(info: RequestInfo, now: dt.datetime) -> Context:
    """The keys that depend only on the HTTP request and its time."""
    ctx: Context = {
        "aws:sourceip": info.source_ip,
        "aws:securetransport": "true" if info.secure_transport else "false",
        "aws:currenttime": format_time(now),
        "aws:epochtime": str(int(now.timestamp())),
        "aws:requestedregion": info.region,
        "aws:viaawsservice": "false",
    }
    if info.user_agent:
        ctx["aws:useragent"] = info.user_agent
    return ctx


def mfa_age(caller: Caller, now: dt.datetime) -> Context:
    """``aws:MultiFactorAuthAge``: seconds since the session's MFA, when there was one."""
    session = caller.session
    if session is None or session.mfa_authenticated_at is None:
        return {}
    age = max(0, int((now - session.mfa_authenticated_at).total_seconds()))
    return {"aws:multifactorauthage": str(age)}


def target_keys(target: Target, extra: Mapping[str, object] | None) -> Context:
    """The target's tags and the operation's own keys."""
    ctx: Context = {}
    for key, value in target.tags.items():
        lowered = key.lower()
        ctx[f"aws:resourcetag/{lowered}"] = value
        ctx[f"iam:resourcetag/{lowered}"] = value
    if extra:
        ctx.update(policy.make_context(extra))
    return ctx
