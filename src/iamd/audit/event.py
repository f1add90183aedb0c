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
import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamd.audit import identity, redact
from iamd.model.arn import parse_arn
from iamd.model.caller import Caller, CallerKind
from iamd.store.audit_events import Origin, StoredEvent

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

    The text is assembled from pieces (one f-string) rather than dumped from one dict:
    a read's event is built for every request, and the caller's identity (the same for
    every request of a session or key) is encoded once per caller.
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
    if facts.error_code is not None:
        error = (
            f',"errorCode":{_text(error_code(facts.service, facts.error_code))}'
            f',"errorMessage":{_text(facts.error_message or "")}'
        )
    elif facts.error_message is not None:  # a failed ConsoleLogin: a message, no code
        error = f',"errorMessage":{_text(facts.error_message)}'
    else:
        error = ""
    with_result = facts.with_response and facts.error_code is None
    response = _clean_text(facts.result) if with_result else "null"
    additional = (
        f',"additionalEventData":{_clean_text(facts.additional)}' if facts.additional else ""
    )
    listed = (
        ',"resources":['
        + ",".join(
            f'{{"ARN":{_text(arn)},"accountId":{_text(acct)},"type":"{kind}"}}'
            for arn, acct, kind in resources
        )
        + "]"
        if resources
        else ""
    )
    # The record is its start (eventVersion 1.09, ``audit_events.RECORD_START``), the
    # origin's identity, ``where``, the origin's client part, then the rest; the row holds
    # all but the origin's parts, which are kept once.
    where = (
        f',"eventTime":"{_iso(facts.time)}","eventSource":{_text(source)}'
        f',"eventName":{_text(facts.action)},"awsRegion":{_text(region)}'
    )
    head = (
        f'{where}{error},"requestParameters":{_clean_text(facts.params)}'
        f',"responseElements":{response}{additional}'
        f',"requestID":{_text(facts.request_id)},"readOnly":{_BOOL[facts.read_only]}'
        f'{listed},"eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management"'
    )
    origin = _origin(who_text, facts.source_ip, facts.user_agent)
    cut = len(where)

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
                text=f'{head},"eventID":"{event_id}","recipientAccountId":"{account}"{shared}}}',
                resources=lookups,
                origin=origin,
                cut=cut,
            )
        )
    return rows


_text = json.encoder.encode_basestring  # a str as a JSON string (C-accelerated)
_BOOL = {True: "true", False: "false"}


def _compact_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"), default=str)``, without building a
    JSONEncoder and its C encoder again for every value (two thirds of the cost of a
    small one)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    slow = json.JSONEncoder(separators=(",", ":"), default=str).encode
    if make is None:
        return slow
    encode = make(
        None, str, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0)) if isinstance(value, (dict, list)) else slow(value)

    return dumps


_dumps = _compact_encoder()
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


_ORIGINS: dict[tuple[str, str, str], Origin] = {}


def _origin(who_text: str, source_ip: str, user_agent: str) -> Origin:
    """The request's origin, kept per (identity, address, agent): the digest is worked
    out once for all the requests of a session from one client."""
    key = (who_text, source_ip, user_agent)
    found = _ORIGINS.get(key)
    if found is not None:
        return found
    client = f',"sourceIPAddress":{_text(source_ip)},"userAgent":{_text(user_agent)}'
    # JSON text never holds a raw newline, so the two texts cannot run into each other.
    digest = hashlib.blake2b(f"{who_text}\n{client}".encode(), digest_size=16).digest()
    found = Origin(digest, who_text, client)
    if len(_ORIGINS) >= _MAX_IDENTITIES:
        _ORIGINS.clear()
    _ORIGINS[key] = found
    return found


def _clean_text(value: Mapping[str, Any] | None) -> str:
    if value is None:
        return "null"
    if not value:
        return "{}"
    return _dumps(redact.clean(value))


def _iso(moment: dt.datetime) -> str:
    """``2026-12-04T05:09:19Z`` (UTC); the events of one second share one text."""
    second = moment.replace(microsecond=0)
    last = _last_second[0]  # one (second, text) pair, replaced whole: safe across threads
    if second != last[0]:
        last = _last_second[0] = (
            second,
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z",
        )
    return last[1]


_last_second: list[tuple[dt.datetime | None, str]] = [(None, "")]


def _uuid() -> str:
    """A UUID for an event: version 7 (RFC 9562), its first 48 bits the time in ms, so that
    new ids land at the end of the id indexes rather than on a random page of them.

    Its 74 other bits are 42 random bits drawn once per process and a 32-bit counter
    that starts at a random value (RFC 9562's "fixed-length dedicated counter"): a
    process's ids of one millisecond never collide, and two processes' ids differ by
    their random bits. A system call per id (``os.urandom``) cost as much as the rest."""
    pid, node = _id_node[0]
    if pid != os.getpid():  # a new process (a forked worker): new random bits
        pid, node = _id_node[0] = (os.getpid(), int.from_bytes(os.urandom(10), "big") & _NODE_BITS)
    value = (time.time_ns() // 1_000_000) << 80 | _UUID7 | node | next(_id_counter) & 0xFFFFFFFF
    h = format(value, "032x")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID7 = 0x7 << 76 | 0b10 << 62  # the version (bits 76-79) and the variant (62-63)
_NODE_BITS = (1 << 12) - 1 << 64 | (1 << 30) - 1 << 32  # rand_a, and rand_b above the counter
_id_node = [(-1, 0)]  # (process id, its random bits), replaced whole
_id_counter = itertools.count(int.from_bytes(os.urandom(4), "big"))


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
    if facts.action in _ASSUME and facts.params is not None:
        arn = str(facts.params.get("RoleArn") or facts.params.get("roleArn") or "")
    elif facts.target_arn and facts.target_arn != "*":
        arn = facts.target_arn
    else:
        return []
    found = _resource(arn)
    return [found] if found is not None else []


@functools.lru_cache(maxsize=4096)
def _resource(arn: str) -> tuple[str, str, str] | None:
    """(ARN, account, CloudTrail type) of ``arn``; kept, as requests repeat their targets."""
    parsed = parse_arn(arn)
    if parsed is None:
        return None
    kind = _RESOURCE_TYPES.get(parsed.resource.partition("/")[0])
    return None if kind is None else (arn, parsed.account, kind)


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
