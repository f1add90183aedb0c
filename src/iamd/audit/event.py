"""A request's facts -> its CloudTrail record, and the rows that store it.

The record follows CloudTrail's format (eventVersion 1.09): who (``userIdentity``), when
(``eventTime``, to the second), what (``eventSource``, ``eventName``, redacted
``requestParameters`` and, except for reads, ``responseElements``), where from
(``sourceIPAddress``, ``userAgent``, ``awsRegion``), the outcome (``errorCode`` and
``errorMessage``) and the resources acted on. An AssumeRole into another account is seen by
both accounts: two records, one ``sharedEventID``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamd.audit import identity, redact
from iamd.model.arn import parse_arn
from iamd.model.caller import Caller, CallerKind
from iamd.store.audit_events import StoredEvent

EVENT_VERSION = "1.09"
_ASSUME = frozenset(
    {"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "CreateSession"}
)
_UNSIGNED = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
# STS results that carry nothing a trail needs (and may carry what it must not).
_NO_RESPONSE = frozenset({"GetCallerIdentity", "DecodeAuthorizationMessage", "GetAccessKeyInfo"})
# IAM is global: CloudTrail records its calls in us-east-1 whatever the signing region.
_GLOBAL = frozenset({"iam"})

_RESOURCE_TYPES = {
    "user": "AWS::IAM::User",
    "role": "AWS::IAM::Role",
    "group": "AWS::IAM::Group",
    "policy": "AWS::IAM::Policy",
    "instance-profile": "AWS::IAM::InstanceProfile",
    "oidc-provider": "AWS::IAM::OIDCProvider",
    "saml-provider": "AWS::IAM::SAMLProvider",
    "mfa": "AWS::IAM::MFADevice",
    "server-certificate": "AWS::IAM::ServerCertificate",
    "assumed-role": "AWS::STS::AssumedRole",
    "federated-user": "AWS::STS::FederatedUser",
    "trust-anchor": "AWS::RolesAnywhere::TrustAnchor",
    "profile": "AWS::RolesAnywhere::Profile",
    "crl": "AWS::RolesAnywhere::CRL",
}


@dataclass(slots=True)
class Facts:
    """What the server knows of a request when it has been answered."""

    request_id: str
    time: dt.datetime
    service: str  # iam, sts, cloudtrail, iamd (the authorization API)
    action: str
    region: str = "us-east-1"
    source_ip: str = ""
    user_agent: str = ""
    caller: Caller | None = None
    access_key_id: str | None = None  # from the signature when authentication failed
    params: Mapping[str, Any] | None = None
    result: Mapping[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    read_only: bool = True
    with_response: bool = False
    target_arn: str | None = None
    key_account: str | None = None  # the account of an access key that failed to sign
    additional: Mapping[str, Any] | None = None
    also_seen_by: Sequence[str] = ()  # other accounts the event is delivered to


def build(facts: Facts) -> list[StoredEvent]:
    """One stored row per recipient account, each with its record as JSON text.

    The text is assembled from pieces rather than dumped from one dict: a read's event
    is built for every request, and the caller's identity (the same for every request of
    a session or key) is encoded once per caller.
    """
    caller = facts.caller
    if facts.action in _UNSIGNED and (caller is None or caller.kind is CallerKind.ANONYMOUS):
        who = identity.federated_identity(facts.action, facts.params or {}, facts.result)
        who_text = _dumps(who)
    elif caller is not None and caller.kind is not CallerKind.ANONYMOUS:
        who, who_text = _identity_of(caller)
    else:
        who = identity.user_identity(None, facts.access_key_id)
        who_text = _dumps(who)
    source = f"{facts.service}.amazonaws.com"
    resources = _resources(facts)
    region = "us-east-1" if facts.service in _GLOBAL else facts.region
    parts = [
        '{"eventVersion":"',
        EVENT_VERSION,
        '","userIdentity":',
        who_text,
        ',"eventTime":"',
        _iso(facts.time),
        '","eventSource":',
        _text(source),
        ',"eventName":',
        _text(facts.action),
        ',"awsRegion":',
        _text(region),
        ',"sourceIPAddress":',
        _text(facts.source_ip),
        ',"userAgent":',
        _text(facts.user_agent),
    ]
    if facts.error_code is not None:
        parts += (
            ',"errorCode":',
            _text(error_code(facts.service, facts.error_code)),
            ',"errorMessage":',
            _text(facts.error_message or ""),
        )
    elif facts.error_message is not None:  # a failed ConsoleLogin: a message, no code
        parts += (',"errorMessage":', _text(facts.error_message))
    parts += (',"requestParameters":', _clean_text(facts.params))
    with_result = facts.with_response and facts.error_code is None
    parts += (',"responseElements":', _clean_text(facts.result if with_result else None))
    if facts.additional:
        parts += (',"additionalEventData":', _clean_text(facts.additional))
    parts += (
        ',"requestID":',
        _text(facts.request_id),
        ',"readOnly":',
        "true" if facts.read_only else "false",
    )
    if resources:
        listed = ",".join(
            f'{{"ARN":{_text(arn)},"accountId":{_text(acct)},"type":"{kind}"}}'
            for arn, acct, kind in resources
        )
        parts += (',"resources":[', listed, "]")
    parts.append(',"eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management"')
    head = "".join(parts)

    accounts = _recipients(facts, resources)
    shared = f',"sharedEventID":"{_uuid()}"' if len(accounts) > 1 else ""
    lookups = tuple(_lookup_resources(facts, resources))
    username = _username(facts, who)
    key_id = who.get("accessKeyId")
    principal = _principal_arn(caller)
    rows = []
    for account in accounts:
        event_id = _uuid()
        rows.append(
            StoredEvent(
                event_id=event_id,
                account_id=account,
                event_time=facts.time,
                event_name=facts.action,
                event_source=source,
                read_only=facts.read_only,
                username=username,
                access_key_id=key_id,
                principal_arn=principal,
                record=f'{head},"eventID":"{event_id}","recipientAccountId":"{account}"{shared}}}',
                resources=lookups,
            )
        )
    return rows


_text = json.encoder.encode_basestring  # a str as a JSON string (C-accelerated)
_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode  # one encoder, reused
_IDENTITIES: dict[int, tuple[Caller, dict[str, Any], str]] = {}
_MAX_IDENTITIES = 4096


def _identity_of(caller: Caller) -> tuple[dict[str, Any], str]:
    """``userIdentity`` and its JSON text, kept per Caller object: authentication hands
    out the same object for every request of a cached key or session."""
    kept = _IDENTITIES.get(id(caller))
    if kept is not None and kept[0] is caller:
        return kept[1], kept[2]
    who = identity.user_identity(caller)
    text = _dumps(who)
    if len(_IDENTITIES) >= _MAX_IDENTITIES:
        _IDENTITIES.clear()
    _IDENTITIES[id(caller)] = (caller, who, text)
    return who, text


def _clean_text(value: Mapping[str, Any] | None) -> str:
    if value is None:
        return "null"
    if not value:
        return "{}"
    return _dumps(redact.clean(value))


def _iso(moment: dt.datetime) -> str:
    """``2026-12-04T05:09:19Z`` (UTC), faster than strftime."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _uuid() -> str:
    """A UUID for an event: version 7 (RFC 9562), its first 48 bits the time in ms, so that
    new ids land at the end of the id indexes rather than on a random page of them."""
    millis = time.time_ns() // 1_000_000
    raw = bytearray(millis.to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _recipients(facts: Facts, resources: Sequence[tuple[str, str, str]]) -> list[str]:
    accounts: list[str] = []
    own = facts.caller.account_id if facts.caller is not None else facts.key_account
    if own:
        accounts.append(own)
    for _, account, kind in resources:
        if kind == "AWS::IAM::Role" and account and account not in accounts:
            accounts.append(account)  # the role's account sees who assumed its role
    for account in facts.also_seen_by:
        if account and account not in accounts:
            accounts.append(account)
    return accounts or [""]


def _resources(facts: Facts) -> list[tuple[str, str, str]]:
    """(ARN, account, CloudTrail type) of what the request acted on."""
    arns: list[str] = []
    if facts.action in _ASSUME and facts.params is not None:
        arns.append(str(facts.params.get("RoleArn") or facts.params.get("roleArn") or ""))
    elif facts.target_arn and facts.target_arn != "*":
        arns.append(facts.target_arn)
    found = []
    for arn in arns:
        parsed = parse_arn(arn)
        if parsed is None:
            continue
        kind = _RESOURCE_TYPES.get(parsed.resource.partition("/")[0])
        if kind is not None:
            found.append((arn, parsed.account, kind))
    return found


def _lookup_resources(
    facts: Facts, resources: Sequence[tuple[str, str, str]]
) -> list[tuple[str, str]]:
    """LookupEvents' (ResourceType, ResourceName): an IAM entity by name, a role assumed
    by ARN, and the session and key an assumption minted."""
    found = []
    for arn, _, kind in resources:
        name = arn if facts.action in _ASSUME else arn.rpartition("/")[2]
        found.append((kind, name))
    result = facts.result or {}
    user = result.get("AssumedRoleUser")
    if isinstance(user, Mapping) and user.get("Arn"):
        found.append(("AWS::STS::AssumedRole", str(user["Arn"])))
    credentials = result.get("Credentials")
    if isinstance(credentials, Mapping) and credentials.get("AccessKeyId"):
        found.append(("AWS::IAM::AccessKey", str(credentials["AccessKeyId"])))
    return found


def _username(facts: Facts, who: Mapping[str, Any]) -> str | None:
    caller = facts.caller
    if caller is None or caller.kind is CallerKind.ANONYMOUS:
        name = who.get("userName")
        return str(name) if name else None
    if caller.kind is CallerKind.ROOT:
        return "root"
    if caller.kind is CallerKind.ROLE_SESSION:
        return caller.session_name
    return caller.name


def _principal_arn(caller: Caller | None) -> str | None:
    """The IAM entity whose access this was (access advisor): a user, or a session's role."""
    if caller is None:
        return None
    if caller.kind is CallerKind.USER:
        return caller.arn
    if caller.kind is CallerKind.ROLE_SESSION:
        return caller.role_arn
    return None


@functools.cache
def _error_shapes(service: str) -> Mapping[str, str]:
    """Wire error code -> the model's exception name (CloudTrail's errorCode)."""
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # not an AWS service model (iamd's own API)
        return {}
    return {
        str(shape.metadata.get("error", {}).get("code", shape.name)): shape.name
        for shape in model.error_shapes
    }


def error_code(service: str, code: str) -> str:
    return _error_shapes(service).get(code, code)


def with_response(service: str, action: str, readonly: bool) -> bool:
    """CloudTrail keeps a call's response elements unless it only read."""
    if service == "sts":
        return action not in _NO_RESPONSE
    return not readonly
