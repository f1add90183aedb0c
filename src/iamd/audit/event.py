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
from typing import Any, NamedTuple

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
    """One stored row per recipient account, each with its record as JSON text."""
    return compose(draft(facts))


class Draft(NamedTuple):
    """A request's event as the process that served it leaves it: every part that needs
    the request's own objects (its caller, the secrets to hide in its parameters and
    result) already text, plain values only, so that another process can finish it
    (``compose``: the time, the event ids, the record's assembly)."""

    request_id: str
    time: float  # POSIX timestamp, exact to the microsecond (see ``audit.shipping``)
    service: str
    action: str
    region: str
    error: str  # ',"errorCode":...,"errorMessage":...', or ""
    params: str  # requestParameters, as JSON
    response: str  # responseElements, as JSON
    additional: str  # ',"additionalEventData":...', or ""
    read_only: bool
    listed: str  # ',"resources":[...]', or ""
    lookups: str  # the resources column's lines
    accounts: tuple[str, ...]  # its recipients, the caller's first
    username: str | None
    key_id: str | None
    principal: str | None
    origin: Origin  # last: the other fields are plain values, shipped as ``draft[:-1]``


def draft(facts: Facts) -> Draft:
    """``facts``' event, as far as the request's own objects are needed for it.

    What repeats is worked out once and kept: the caller's identity and lookup columns
    per caller, short parameters per value, the resources per target. Every column value
    leaves here as its column holds it (``audit_events.column``), so storing a batch
    converts nothing.
    """
    who = _who(facts)
    target = _target(facts) if facts.target_arn or facts.action in _ASSUME else None
    if facts.error_code is not None:
        error = (
            f',"errorCode":{_text(error_code(facts.service, facts.error_code))}'
            f',"errorMessage":{_text(facts.error_message or "")}'
        )
    elif facts.error_message is not None:  # a failed ConsoleLogin: a message, no code
        error = f',"errorMessage":{_text(facts.error_message)}'
    else:
        error = ""
    result = facts.result
    response = _clean_text(result) if facts.with_response and facts.error_code is None else "null"
    additional = (
        f',"additionalEventData":{_clean_text(facts.additional)}' if facts.additional else ""
    )
    own = facts.caller.account_id if facts.caller is not None else facts.key_account
    accounts = [own] if own else []
    lookups = ""
    if target is not None:
        lookups = target.lines
        if target.role_account and target.role_account not in accounts:
            accounts.append(target.role_account)  # the role's account sees who assumed it
    for account in facts.also_seen_by:
        if account and account not in accounts:
            accounts.append(account)
    if len(accounts) > 1 or (own and (len(own) > 12 or "\x00" in own)):
        accounts = [column(account, 12) or "" for account in accounts]
    if result and ("Credentials" in result or "AssumedRoleUser" in result):
        lookups += _minted(result)
    return _new_draft(
        Draft,
        (
            facts.request_id,
            _timestamp(facts.time),
            facts.service,
            facts.action,
            facts.region,
            error,
            _params_text(facts.params),
            response,
            additional,
            facts.read_only,
            "" if target is None else target.listed,
            lookups,
            tuple(accounts) if accounts else ("",),
            who.username,
            who.key_id,
            who.principal,
            _origin(who.text, facts.source_ip, facts.user_agent),
        ),
    )


def _timestamp(moment: dt.datetime) -> float:
    """``moment`` as a POSIX timestamp (a time without a zone is UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


# ``tuple.__new__`` takes the fields as one tuple, without the named tuple's own
# ``__new__`` (a Python function of 17 arguments, run for every request).
_new_draft = tuple.__new__


def compose(d: Draft) -> list[StoredEvent]:
    """``d``'s stored rows, one per recipient account, each with its record as JSON text.

    The text is assembled from pieces (f-strings) rather than dumped from one dict: a
    read's event is composed for every request. The event's source, name and region are
    kept per operation.
    """
    where = _where(d.service, d.action, d.region)
    moment = dt.datetime.fromtimestamp(d.time, dt.UTC)
    # The record is its start (eventVersion 1.09, ``audit_events.RECORD_START``), the
    # origin's identity, ``at``, the origin's client part, then the rest; the row holds
    # all but the origin's parts, which are kept once.
    at = f',"eventTime":"{_iso(moment)}"{where.text}'
    if where.api_call:
        request, kind = f',"requestID":{_text(d.request_id)}', "AwsApiCall"
    else:
        request, kind = "", "AwsConsoleSignIn"
    head = (
        f'{at}{d.error},"requestParameters":{d.params}'
        f',"responseElements":{d.response}{d.additional}{request}'
        f',"readOnly":{_BOOL[d.read_only]}{d.listed},"eventType":"{kind}"'
        ',"managementEvent":true,"eventCategory":"Management"'
    )
    cut = len(at)
    accounts = d.accounts
    shared = f',"sharedEventID":"{_uuid()}"' if len(accounts) > 1 else ""
    rows = []
    for account in accounts:
        event_id = _uuid()
        text = f'{head},"eventID":"{event_id}","recipientAccountId":"{account}"{shared}}}'
        rows.append(
            StoredEvent(
                event_id,
                account,
                moment,
                where.name,
                where.source,
                d.read_only,
                d.username,
                d.key_id,
                d.principal,
                d.lookups,
                text,
                d.origin,
                cut,
            )
        )
    return rows


class _Who(NamedTuple):
    """What every event of one caller repeats: its identity and lookup columns."""

    identity: dict[str, Any]
    text: str  # ``identity`` as JSON
    username: str | None
    key_id: str | None
    principal: str | None  # the IAM entity whose access it was (access advisor)


def _who(facts: Facts) -> _Who:
    caller = facts.caller
    if caller is not None and caller.kind is not CallerKind.ANONYMOUS:
        kept = _CALLERS.get(id(caller))
        if kept is not None and kept[0] is caller:
            return kept[1]
        who = identity.user_identity(caller)
        found = _Who(
            who,
            _dumps(who),
            column(_username(caller), 256),
            column(who.get("accessKeyId"), 128),
            column(_principal_arn(caller), 2048),
        )
        _keep(_CALLERS, id(caller), (caller, found))  # the object kept alive with its entry
        return found
    if facts.action in _UNSIGNED:
        who = identity.federated_identity(facts.action, facts.params or {}, facts.result)
    else:
        who = identity.user_identity(None, facts.access_key_id)
    name = who.get("userName")
    username = column(str(name), 256) if name else None
    return _Who(who, _dumps(who), username, column(who.get("accessKeyId"), 128), None)


# Callers by object: authentication hands out the same object for every request of a
# cached key or session.
_CALLERS: dict[int, tuple[Caller, _Who]] = {}
_MAX_KEPT = 4096


def _keep(kept: dict[Any, Any], key: Any, value: Any) -> None:
    """Keep ``value`` under ``key`` in one of this module's caches, which start again
    when full: a client's varied input costs memory up to ``_MAX_KEPT`` entries, no more."""
    if len(kept) >= _MAX_KEPT:
        kept.clear()
    kept[key] = value


class _Where(NamedTuple):
    """An operation's event source and name, as columns and as record text."""

    source: str
    name: str  # the eventName column (a client's unknown action can be anything)
    text: str  # ',"eventSource":...,"eventName":...,"awsRegion":...'
    # An API call (eventType AwsApiCall, with a requestID), or a console sign-in, which
    # CloudTrail records as AwsConsoleSignIn without one.
    api_call: bool


def _where(service: str, action: str, region: str) -> _Where:
    key = (service, action, region)
    found = _WHERES.get(key)
    if found is None:
        source = f"{service}.amazonaws.com"
        region = "us-east-1" if service in _GLOBAL else region
        text = (
            f',"eventSource":{_text(source)},"eventName":{_text(action)}'
            f',"awsRegion":{_text(region)}'
        )
        api_call = service != "signin"
        found = _Where(column(source, 64) or "", column(action, 128) or "", text, api_call)
        _keep(_WHERES, key, found)
    return found


_WHERES: dict[tuple[str, str, str], _Where] = {}


def _params_text(params: Mapping[str, Any] | None) -> str:
    """``params`` as the record writes them; the text of short scalar parameters (most
    reads: a name, an ARN) is kept per value, as clients repeat their requests. Never
    parameters with a secret among them (a password, an MFA code): the key kept would
    hold it."""
    if not params:
        return "null" if params is None else "{}"
    try:
        key = tuple(params.items())
        return _PARAMS[key]
    except KeyError:
        text = _clean_text(params)
        if (
            len(text) <= 512
            and redact.HIDDEN not in text
            and all(type(v) is str and len(v) <= 512 for v in params.values())
        ):
            _keep(_PARAMS, key, text)
        return text
    except TypeError:  # an unhashable value (a list, a map): not kept
        return _clean_text(params)


_PARAMS: dict[tuple[tuple[str, Any], ...], str] = {}


def column(text: str | None, limit: int) -> str | None:
    """``text`` as a lookup column holds it: cut to ``limit`` characters (the record keeps
    the whole value), NUL replaced (PostgreSQL's text refuses it, and a client's Action
    can hold one)."""
    if text is None:
        return None
    if len(text) > limit:
        text = text[:limit]
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _line(name: str) -> str:
    """A resource name as one line of the resources column."""
    return name.replace("\x00", "\ufffd").replace("\t", " ").replace("\n", " ")


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
    _keep(_ORIGINS, key, found)
    return found


def _clean_text(value: Mapping[str, Any] | None) -> str:
    if value is None:
        return "null"
    if not value:
        return "{}"
    return _dumps(redact.clean(value))


def _iso(moment: dt.datetime) -> str:
    """``2026-12-04T05:09:19Z`` (UTC); the events of one second share one text."""
    second = moment.toordinal() * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second
    last = _last_second[0]  # one (second, text) pair, replaced whole: safe across threads
    if second != last[0]:
        last = _last_second[0] = (
            second,
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z",
        )
    return last[1]


_last_second: list[tuple[int, str]] = [(-1, "")]


def _uuid() -> str:
    """A UUID for an event: version 7 (RFC 9562), its first 48 bits the time in ms, so that
    new ids land at the end of the id indexes rather than on a random page of them.

    Its 74 other bits are 42 random bits drawn once per process and a 32-bit counter
    that starts at a random value (RFC 9562's "fixed-length dedicated counter"): a
    process's ids of one millisecond never collide, and two processes' ids differ by
    their random bits. A system call per id (``os.urandom``) cost as much as the rest;
    the text of all but the counter is kept for the millisecond."""
    ms = time.time_ns() // 1_000_000
    kept = _id_prefix[0]  # (ms, text), replaced whole: safe across threads
    if kept[0] != ms:
        h = format((ms << 80 | _UUID7 | _id_node[0]) >> 32, "024x")
        kept = _id_prefix[0] = (ms, f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return f"{kept[1]}{next(_id_counter[0]) & 0xFFFFFFFF:08x}"


_UUID7 = 0x7 << 76 | 0b10 << 62  # the version (bits 76-79) and the variant (62-63)
_NODE_BITS = (1 << 12) - 1 << 64 | (1 << 30) - 1 << 32  # rand_a, and rand_b above the counter
_id_prefix: list[tuple[int, str]] = [(-1, "")]
_id_node = [0]  # this process's random bits
_id_counter = [itertools.count()]


def _new_process() -> None:
    """Random bits and a counter of the process's own (at import, and in a forked child)."""
    _id_node[0] = int.from_bytes(os.urandom(10), "big") & _NODE_BITS
    _id_counter[0] = itertools.count(int.from_bytes(os.urandom(4), "big"))
    _id_prefix[0] = (-1, "")


_new_process()
os.register_at_fork(after_in_child=_new_process)


class _Target(NamedTuple):
    """What a request acted on, as its record and its lookup columns name it."""

    listed: str  # ',"resources":[...]'
    lines: str  # the resources column's lines
    role_account: str | None  # a role's account, which sees who assumed its role


def _target(facts: Facts) -> _Target | None:
    """The request's target: an assumed role's ARN, or the entity acted on."""
    assumed = facts.action in _ASSUME
    if assumed and facts.params is not None:
        arn = str(facts.params.get("RoleArn") or facts.params.get("roleArn") or "")
    elif facts.target_arn and facts.target_arn != "*":
        arn = facts.target_arn
    else:
        return None
    return _target_of(arn, assumed)


@functools.lru_cache(maxsize=4096)
def _target_of(arn: str, assumed: bool) -> _Target | None:
    """Kept per ARN: requests repeat their targets."""
    parsed = parse_arn(arn)
    if parsed is None:
        return None
    kind = _RESOURCE_TYPES.get(parsed.resource.partition("/")[0])
    if kind is None:
        return None
    listed = (
        f',"resources":[{{"ARN":{_text(arn)},"accountId":{_text(parsed.account)},"type":"{kind}"}}]'
    )
    name = arn if assumed else arn.rpartition("/")[2]
    role = kind == "AWS::IAM::Role" and parsed.account
    return _Target(listed, f"{kind}\t{_line(name)}\n", column(parsed.account, 12) if role else None)


def _minted(result: Mapping[str, Any]) -> str:
    """Lookup lines for the session and key an assumption minted."""
    found = ""
    user = result.get("AssumedRoleUser")
    if isinstance(user, Mapping) and user.get("Arn"):
        found += f"AWS::STS::AssumedRole\t{_line(str(user['Arn']))}\n"
    credentials = result.get("Credentials")
    if isinstance(credentials, Mapping) and credentials.get("AccessKeyId"):
        found += f"AWS::IAM::AccessKey\t{_line(str(credentials['AccessKeyId']))}\n"
    return found


def _username(caller: Caller) -> str | None:
    """LookupEvents' Username of a signed request's caller."""
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
