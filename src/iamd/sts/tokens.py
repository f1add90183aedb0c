"""Self-contained session tokens: the session, sealed under the key ring.

A session token carries everything a server needs to act for a temporary credential
(``SessionClaims``): who (account, role or user, session name), when (issue and expiry
time, MFA time), its secret access key, its session policies and tags, transitive tag
keys, source identity, and whether it came from role chaining. Nothing about a session is
stored, so any node verifies it without a database read.

Wire form (URL-safe base64 without padding)::

    0x01 | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM(plaintext) with its 16-byte tag
    associated data: b"iamd-sts-token" 0x01 | key id | the ASIA access key id
    plaintext: 0x00 + JSON, or 0x01 + zlib(JSON) when that is shorter

Binding the access key id as associated data means a token only opens for the key it was
issued with. The JSON uses one- and two-letter names and omits defaults, so a plain role
session's token is about 350 characters (AWS's are typically under 4096 bytes).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection

from iamd.sts.keyring import KEY_ID_BYTES, KeyRing, Purpose, RandomBytes, RingKey

VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
_AAD_PREFIX = b"iamd-sts-token" + VERSION
_RAW, _ZLIB = b"\x00", b"\x01"
_HEADER = len(VERSION) + KEY_ID_BYTES + NONCE_BYTES


class InvalidToken(Exception):
    """The token is not one of ours, was altered, truncated or issued for another key."""


class SessionKind(StrEnum):
    ROLE = "r"  # AssumeRole*
    FEDERATED_USER = "f"  # GetFederationToken
    USER = "u"  # GetSessionToken by an IAM user
    ROOT = "o"  # GetSessionToken by an account root


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a session token seals. Times are epoch seconds.

    ``principal_id``/``principal_arn`` are the role's id and ARN for a role session, and
    the IAM user's (or, for root, the account id and root ARN) otherwise; ``name`` is the
    role session name, the federated user's name or the IAM user's name.
    """

    kind: SessionKind
    account_id: str
    principal_id: str
    principal_arn: str
    name: str
    issued_at: int
    expires_at: int
    secret: str
    policies: tuple[str, ...] = ()
    has_policy: bool = False
    tags: tuple[tuple[str, str], ...] = ()
    transitive_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    chained: bool = False
    mfa_at: int | None = None
    # Condition keys the session carries into later requests (federation: the
    # aws:FederatedProvider and the identity provider's surviving keys).
    context: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    # A console sign-in's session (an IAM user's or the root's, by password): it acts as
    # the user itself, IAM included, as AWS's console sessions do.
    console: bool = False

    def __repr__(self) -> str:  # the secret stays out of logs
        return (
            f"SessionClaims({self.kind.value}, {self.account_id}, {self.principal_arn!r}, "
            f"{self.name!r}, issued={self.issued_at}, expires={self.expires_at})"
        )


def _to_json(c: SessionClaims) -> dict[str, Any]:
    out: dict[str, Any] = {
        "k": c.kind.value,
        "a": c.account_id,
        "i": c.principal_id,
        "r": c.principal_arn,
        "n": c.name,
        "t": c.issued_at,
        "e": c.expires_at,
        "s": c.secret,
    }
    if c.policies:
        out["p"] = list(c.policies)
    if c.has_policy:
        out["hp"] = 1
    if c.tags:
        out["g"] = [list(pair) for pair in c.tags]
    if c.transitive_keys:
        out["tk"] = list(c.transitive_keys)
    if c.source_identity is not None:
        out["si"] = c.source_identity
    if c.chained:
        out["c"] = 1
    if c.mfa_at is not None:
        out["m"] = c.mfa_at
    if c.console:
        out["cs"] = 1
    if c.context:
        out["x"] = [[k, v if isinstance(v, str) else list(v)] for k, v in c.context]
    return out


def _from_json(d: dict[str, Any]) -> SessionClaims:
    return SessionClaims(
        kind=SessionKind(d["k"]),
        account_id=str(d["a"]),
        principal_id=str(d["i"]),
        principal_arn=str(d["r"]),
        name=str(d["n"]),
        issued_at=int(d["t"]),
        expires_at=int(d["e"]),
        secret=str(d["s"]),
        policies=tuple(str(p) for p in d.get("p", ())),
        has_policy=bool(d.get("hp")),
        tags=tuple((str(k), str(v)) for k, v in d.get("g", ())),
        transitive_keys=tuple(str(k) for k in d.get("tk", ())),
        source_identity=d.get("si"),
        chained=bool(d.get("c")),
        mfa_at=int(d["m"]) if d.get("m") is not None else None,
        console=bool(d.get("cs")),
        context=tuple(
            (str(k), v if isinstance(v, str) else tuple(str(i) for i in v))
            for k, v in d.get("x", ())
        ),
    )


def pack(payload: dict[str, Any]) -> bytes:
    """Compact JSON, compressed when that makes it shorter."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packed = zlib.compress(raw, 9)
    return _ZLIB + packed if len(packed) < len(raw) else _RAW + raw


def unpack(data: bytes) -> Any:
    flag, body = data[:1], data[1:]
    if flag == _ZLIB:
        body = zlib.decompress(body)
    elif flag != _RAW:
        raise ValueError("unknown encoding")
    return json.loads(body.decode("utf-8"))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64_TEXT = re.compile(r"[A-Za-z0-9_-]*")


def b64decode(text: str) -> bytes:
    """The bytes ``b64encode`` wrote as ``text``; ValueError for any other spelling.

    Python's decoder is lenient: it takes the ``+/`` alphabet, padding, characters it
    skips and any value in the unused low bits of the last character. Only the one
    spelling iamd writes is taken, so a token (or message) has exactly one string form
    for everything keyed on it: caches, deny lists, logs.
    """
    if len(text) % 4 == 1 or not _B64_TEXT.fullmatch(text):
        raise ValueError("not base64")
    raw = text.encode("ascii")
    try:
        data = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except binascii.Error:
        raise ValueError("not base64") from None
    if b64encode(data) != text:  # nonzero unused bits in the last character
        raise ValueError("not base64")
    return data


def _aad(key_id: bytes, access_key_id: str) -> bytes:
    return _AAD_PREFIX + key_id + access_key_id.encode("ascii", "replace")


def seal(
    ring: KeyRing,
    conn: Connection,
    claims: SessionClaims,
    access_key_id: str,
    *,
    now: dt.datetime,
    random: RandomBytes,
) -> str:
    """The session token for ``claims``, bound to ``access_key_id``."""
    key = ring.sealing_key(conn, now, random)
    nonce = random(NONCE_BYTES)
    body = key.aead(Purpose.SESSION_TOKEN).encrypt(
        nonce, pack(_to_json(claims)), _aad(key.key_id, access_key_id)
    )
    return b64encode(VERSION + key.key_id + nonce + body)


def open_token(ring: KeyRing, conn: Connection, token: str, access_key_id: str) -> SessionClaims:
    """The claims ``token`` seals for ``access_key_id``; InvalidToken if it does not open.

    Expiry is not checked here: the caller compares ``expires_at`` with its clock.
    """
    return open_token_with_key(ring, conn, token, access_key_id)[0]


def open_token_with_key(
    ring: KeyRing, conn: Connection, token: str, access_key_id: str
) -> tuple[SessionClaims, RingKey]:
    """:func:`open_token`, and the ring key that opened the token."""
    try:
        data = b64decode(token)
    except ValueError:
        raise InvalidToken("not base64") from None
    if len(data) < _HEADER + TAG_BYTES + 1 or data[:1] != VERSION:
        raise InvalidToken("too short or of an unknown version")
    key_id = data[1 : 1 + KEY_ID_BYTES]
    nonce = data[1 + KEY_ID_BYTES : _HEADER]
    key = ring.opening_key(conn, key_id)
    if key is None:
        raise InvalidToken("sealed under a key the ring does not have")
    try:
        plaintext = key.aead(Purpose.SESSION_TOKEN).decrypt(
            nonce, data[_HEADER:], _aad(key_id, access_key_id)
        )
    except InvalidTag:
        raise InvalidToken("does not authenticate") from None
    try:
        return _from_json(unpack(plaintext)), key
    except (ValueError, KeyError, TypeError, zlib.error):  # INVARIANT: only we seal tokens
        raise InvalidToken("authenticated but unreadable") from None
