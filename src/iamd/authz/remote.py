"""Authorization for other services: what ``POST /authorize`` asks, and how it is decided.

A service of our users' own (a storage service, a job runner) receives a request signed
with SigV4 by its client and asks iamd whether to serve it. The question is JSON::

    {"method": "PUT", "path": "/photos/cat.jpg", "query": "", "headers": [["host", ...], ...],
     "payloadHash": "<hex SHA-256 of the body>" | "body": "<base64 of a small body>",
     "action": "storage:PutObject", "resource": "arn:aws:storage:::photos/cat.jpg",
     "resourceOwner": "123456789012", "resourcePolicy": "{...}" (optional),
     "context": [{"key": "storage:Prefix", "type": "string", "values": ["cat"]}] (optional),
     "sourceIp": "203.0.113.7" (optional), "secureTransport": true (optional)}

``parse_question`` checks it (every problem in one ValidationError, as AWS reports them);
the server verifies the client's signature, and ``decide`` evaluates every applicable
policy of the client (identity, boundary, session) with the resource policy, with the
cross-account rules, through the same engine and the same condition keys as any IAM call.
``answer`` renders the decision with its reasons; ``client_error`` renders a signature that
did not verify (a fact about the client, answered with 200, not about the asking service).

The asking service must itself be allowed ``iamd:Authorize`` on the resource ARN it asks
about (condition keys ``iamd:Action`` and ``iamd:ResourceOwner``); see ``docs/authorize.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iamd import policy
from iamd.authz.authorizer import BoundAuthorizer, Subject, count_decision
from iamd.errors import ServiceError, ValidationError
from iamd.model.arn import is_account_id, parse_arn
from iamd.model.caller import Caller, CallerKind
from iamd.operations import Target
from iamd.policy import CompiledPolicy, ContextValue, Decision, Evaluation, PolicyKind
from iamd.policy.simulate import CONTEXT_KEY_TYPES

AUTHORIZE_ACTION = "iamd:Authorize"
SIGNING_NAME = "iamd"
MAX_INLINE_BODY = 64 * 1024  # bytes of a client body sent as base64 instead of its hash
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
RESOURCE_POLICY_ID = "ResourcePolicy"

_DECISIONS = {
    Decision.ALLOW: "Allow",
    Decision.EXPLICIT_DENY: "ExplicitDeny",
    Decision.IMPLICIT_DENY: "ImplicitDeny",
}
_ACTION = re.compile(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+", re.ASCII)
_METHOD = re.compile(r"[A-Z]{1,16}", re.ASCII)
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_KEY = re.compile(r"[A-Za-z0-9_.-]+:[^\s]+", re.ASCII)
_KEY_TYPES = frozenset(CONTEXT_KEY_TYPES)
# Keys iamd derives from the client's credentials, its request and the clock: a service
# may not supply them (``sourceIp`` and ``secureTransport`` are fields of their own).
_DERIVED_KEY_PREFIXES = (
    "aws:principal",
    "aws:userid",
    "aws:username",
    "aws:multifactorauth",
    "aws:tokenissuetime",
    "aws:sourceidentity",
    "aws:currenttime",
    "aws:epochtime",
    "aws:requestedregion",
    "aws:viaawsservice",
    "aws:calledvia",
    "aws:federatedprovider",
    "aws:sourceip",
    "aws:securetransport",
    "aws:useragent",
    "iamd:",
)


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """The request the service received, as its client signed it."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    payload_hash: str  # lowercase hex, or UNSIGNED-PAYLOAD
    source_ip: str | None = None
    secure_transport: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class Question:
    """One ``/authorize`` request body, checked."""

    request: ClientRequest
    action: str
    resource: str
    resource_owner: str
    resource_policy: str | None = None
    context: Mapping[str, ContextValue] | None = None

    @property
    def target(self) -> Target:
        return Target(self.resource, account=self.resource_owner)


def parse_question(data: object) -> Question:
    """The question in a decoded JSON body; ValidationError listing every problem."""
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.")
    problems: list[str] = []
    method = _string(data, "method", problems, required=True)
    if method and not _METHOD.fullmatch(method):
        problems.append(f"Value '{method}' at 'method' must be an HTTP method in upper case")
    path = _string(data, "path", problems, required=True)
    if path and not path.startswith("/"):
        problems.append(f"Value '{path}' at 'path' must start with '/'")
    query = _string(data, "query", problems) or ""
    if query.startswith("?"):
        query = query[1:]
    headers = _headers(data.get("headers"), problems)
    payload_hash = _payload_hash(data, problems)
    action = _string(data, "action", problems, required=True)
    if action and not _ACTION.fullmatch(action):
        problems.append(
            f"Value '{action}' at 'action' must be an action as 'vendor:Action', without wildcards"
        )
    resource = _string(data, "resource", problems, required=True)
    if resource and resource != "*" and parse_arn(resource) is None:
        problems.append(f"Value '{resource}' at 'resource' must be an ARN or '*'")
    owner = _string(data, "resourceOwner", problems, required=True)
    if owner and not is_account_id(owner):
        problems.append(f"Value '{owner}' at 'resourceOwner' must be a 12-digit account id")
    resource_policy = _resource_policy(data.get("resourcePolicy"), problems)
    context = _context(data.get("context"), problems)
    source_ip = _string(data, "sourceIp", problems)
    if source_ip:
        try:
            ipaddress.ip_address(source_ip)
        except ValueError:
            problems.append(f"Value '{source_ip}' at 'sourceIp' must be an IP address")
    secure = data.get("secureTransport", False)
    if not isinstance(secure, bool):
        problems.append("Value at 'secureTransport' must be true or false")
        secure = False
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        problems.append(f"Unknown fields: {', '.join(unknown)}")
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ValidationError(f"{count} validation {noun} detected: {'; '.join(problems)}")
    assert method and path and action and resource and owner and payload_hash
    return Question(
        ClientRequest(method, path, query, headers, payload_hash, source_ip or None, secure),
        action,
        resource,
        owner,
        resource_policy,
        context,
    )


_FIELDS = frozenset(
    {
        "method",
        "path",
        "query",
        "headers",
        "payloadHash",
        "body",
        "action",
        "resource",
        "resourceOwner",
        "resourcePolicy",
        "context",
        "sourceIp",
        "secureTransport",
    }
)


def _string(
    data: Mapping[str, Any], name: str, problems: list[str], *, required: bool = False
) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            problems.append(
                f"Value null at '{name}' failed to satisfy constraint: Member must not be null"
            )
        return None
    if not isinstance(value, str):
        problems.append(f"Value at '{name}' must be a string")
        return None
    if required and not value:
        problems.append(f"Value at '{name}' must not be empty")
    return value


def _headers(value: object, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if value is None:
        problems.append(
            "Value null at 'headers' failed to satisfy constraint: Member must not be null"
        )
        return ()
    if not isinstance(value, list) or not all(
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(isinstance(part, str) for part in pair)
        for pair in value
    ):
        problems.append("Value at 'headers' must be a list of [name, value] string pairs")
        return ()
    return tuple((name, text) for name, text in value)


def _payload_hash(data: Mapping[str, Any], problems: list[str]) -> str:
    """The client body's hash: given, computed from ``body``, or the empty body's."""
    given, body = data.get("payloadHash"), data.get("body")
    if given is not None and body is not None:
        problems.append("Give either 'payloadHash' or 'body', not both")
        return ""
    if body is not None:
        if not isinstance(body, str):
            problems.append("Value at 'body' must be a base64 string")
            return ""
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            problems.append("Value at 'body' is not valid base64")
            return ""
        if len(raw) > MAX_INLINE_BODY:
            problems.append(
                f"Value at 'body' is larger than {MAX_INLINE_BODY} bytes; send 'payloadHash'"
            )
            return ""
        return hashlib.sha256(raw).hexdigest()
    if given is None:
        return hashlib.sha256(b"").hexdigest()
    if isinstance(given, str) and given == UNSIGNED_PAYLOAD:
        return given
    if not isinstance(given, str) or not _HEX_SHA256.fullmatch(given):
        problems.append("Value at 'payloadHash' must be a hex SHA-256 digest or 'UNSIGNED-PAYLOAD'")
        return ""
    return given.lower()


def _resource_policy(value: object, problems: list[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(value)
    if not isinstance(value, str) or not value.strip():
        problems.append("Value at 'resourcePolicy' must be a policy document (JSON text)")
        return None
    return value


def _context(value: object, problems: list[str]) -> dict[str, ContextValue] | None:
    """``[{"key", "type", "values"}]`` entries, as the simulate APIs' ContextEntries."""
    if value is None:
        return None
    if not isinstance(value, list):
        problems.append("Value at 'context' must be a list of {key, type, values} entries")
        return None
    context: dict[str, ContextValue] = {}
    for i, entry in enumerate(value, start=1):
        where = f"'context.{i}'"
        if not isinstance(entry, dict):
            problems.append(f"Value at {where} must be an object with key, type and values")
            continue
        key, key_type, values = entry.get("key"), entry.get("type", "string"), entry.get("values")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            problems.append(f"Value at {where}.key must be a condition key as 'vendor:Name'")
            continue
        if key.lower().startswith(_DERIVED_KEY_PREFIXES):
            problems.append(f"Condition key '{key}' at {where} is set by iamd, not by the service")
            continue
        if key_type not in _KEY_TYPES:
            problems.append(f"Value at {where}.type must be one of {', '.join(sorted(_KEY_TYPES))}")
            continue
        if not isinstance(values, list) or not all(
            isinstance(v, str | int | float | bool) for v in values
        ):
            problems.append(f"Value at {where}.values must be a list of strings")
            continue
        texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        if key_type.endswith("List"):
            context[key.lower()] = tuple(texts)
        elif len(texts) == 1:
            context[key.lower()] = texts[0]
        else:
            problems.append(f"Value at {where}.values must hold one value for type {key_type}")
    return context


# -- deciding -------------------------------------------------------------------------------


def service_context(question: Question) -> dict[str, str]:
    """The asking service's own condition keys for ``iamd:Authorize``."""
    return {"iamd:Action": question.action, "iamd:ResourceOwner": question.resource_owner}


def compile_resource_policy(bound: BoundAuthorizer, text: str) -> CompiledPolicy:
    """The question's resource policy, compiled once per text (PolicyError if bad)."""
    return bound.authorizer.compiled(PolicyKind.RESOURCE, RESOURCE_POLICY_ID, text)


def decide(bound: BoundAuthorizer, question: Question) -> Evaluation:
    """Evaluate the question for the client ``bound`` was made for.

    ``bound``'s RequestInfo carries the client's facts (its signed region, user agent and,
    when the service passed it, its source IP); without ``sourceIp`` the request has no
    ``aws:SourceIp`` at all, so a policy conditioned on it does not match.
    """
    target = question.target
    context = bound.context(target, question.context)
    if question.request.source_ip is None and "aws:sourceip" in context:
        context = {k: v for k, v in context.items() if k != "aws:sourceip"}
    subject = bound.subject
    policies = (
        subject.with_resource_policy(compile_resource_policy(bound, question.resource_policy))
        if question.resource_policy is not None
        else subject.policies
    )
    request = policy.Request(
        subject.principal, question.action, question.resource, context, question.resource_owner
    )
    evaluation = policy.evaluate(request, policies)
    count_decision(evaluation)
    return evaluation


# -- answers --------------------------------------------------------------------------------

_CALLER_TYPES = {
    CallerKind.ROOT: "Account",
    CallerKind.USER: "User",
    CallerKind.ROLE_SESSION: "AssumedRole",
    CallerKind.FEDERATED_USER: "FederatedUser",
    CallerKind.SERVICE: "Service",
    CallerKind.ANONYMOUS: "Anonymous",
}
ANONYMOUS_ARN = "anonymous"


def caller_shape(caller: Caller, subject: Subject | None) -> dict[str, Any]:
    """``{type, account, arn, userId, accessKeyId, principalTags}`` of the client."""
    anonymous = caller.kind is CallerKind.ANONYMOUS
    return {
        "type": _CALLER_TYPES.get(caller.kind, "Unknown"),
        "account": caller.account_id or None,
        "arn": ANONYMOUS_ARN if anonymous else caller.arn,
        "userId": caller.user_id,
        "accessKeyId": caller.access_key_id,
        "principalTags": dict(subject.principal.tags) if subject is not None else {},
    }


def statement_shape(ref: policy.StatementRef) -> dict[str, Any]:
    return {
        "policyId": ref.policy_id,
        "policyType": ref.policy_type.value,
        "statementIndex": ref.index,
        "sid": ref.sid,
        "effect": ref.effect.value,
    }


def answer(
    question: Question,
    caller: Caller,
    subject: Subject | None,
    evaluation: Evaluation,
    request_id: str,
) -> dict[str, Any]:
    """The 200 response for a decision."""
    body: dict[str, Any] = {
        "decision": _DECISIONS[evaluation.decision],
        "caller": caller_shape(caller, subject),
        "action": question.action,
        "resource": question.resource,
        "reasons": {
            "matchedStatements": [statement_shape(ref) for ref in evaluation.matched],
            "deniedBy": evaluation.denied_by.value if evaluation.denied_by else None,
            "missingContextKeys": list(evaluation.missing_context_keys),
        },
        "requestId": request_id,
    }
    if not evaluation.allowed:
        who = ANONYMOUS_ARN if caller.kind is CallerKind.ANONYMOUS else caller.arn
        body["message"] = policy.access_denied_message(
            who, question.action, question.resource, evaluation
        )
    return body


def client_error(question: Question, error: ServiceError, request_id: str) -> dict[str, Any]:
    """The 200 response when the client's own signature did not verify: no caller, no
    policy evaluated, and the AWS error the service should return to its client."""
    return {
        "decision": _DECISIONS[Decision.IMPLICIT_DENY],
        "caller": None,
        "action": question.action,
        "resource": question.resource,
        "reasons": {"matchedStatements": [], "deniedBy": None, "missingContextKeys": []},
        "error": {"code": error.code, "message": error.message, "httpStatus": error.http_status},
        "message": error.message,
        "requestId": request_id,
    }


def error_body(error: ServiceError, request_id: str) -> dict[str, Any]:
    """A non-200 response: the asking service's own request failed."""
    return {"error": {"code": error.code, "message": error.message}, "requestId": request_id}
