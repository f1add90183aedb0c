"""Temporary credentials in and out: claims to a ``Caller``, and minting new credentials.

Authentication side (``TemporaryCredentials``, the ``ASIA...`` seam of
``iamd.auth.credentials``): the session token is opened with the key ring, bound to the
access key id it came with; a token that does not open is InvalidClientTokenId, one past
its expiry is ExpiredToken. The claims become the ``Caller`` the rest of iamd sees:

==========  ======================  =========================================  ==============
kind        ``Caller.kind``         ARN / user id                              policies
==========  ======================  =========================================  ==============
role        ROLE_SESSION            ``assumed-role/NAME/SESSION``, ``AROA:S``  the role's
federated   FEDERATED_USER          ``federated-user/NAME``, ``ACCOUNT:NAME``  the user's
user        USER (GetSessionToken)  the IAM user's                             the user's
root        ROOT (GetSessionToken)  ``...:root``, the account id               none needed
==========  ======================  =========================================  ==============

The ``Session`` carries what the authorizer turns into condition keys and policies: issue
time (``aws:TokenIssueTime``), MFA (``aws:MultiFactorAuthPresent``/``Age``), source
identity, session tags (``aws:PrincipalTag/*`` over the entity's tags) and session
policies. Revoking a role's sessions is an inline Deny on ``aws:TokenIssueTime``
(``iamd.sts.revoke``), so nothing here reads the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from threading import Lock

from sqlalchemy import Connection

from iamd.clock import Clock
from iamd.errors import ExpiredToken, InvalidClientTokenId
from iamd.model.arn import assumed_role_arn, federated_user_arn, parse_arn, root_arn
from iamd.model.caller import Caller, CallerKind, Session
from iamd.sts import tokens
from iamd.sts.keyring import KeyRing, RingKey
from iamd.sts.tokens import InvalidToken, SessionClaims, SessionKind

OPENED_CACHE_SIZE = 4096


def from_epoch(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def session_of(claims: SessionClaims) -> Session:
    return Session(
        issued_at=from_epoch(claims.issued_at),
        expires_at=from_epoch(claims.expires_at),
        session_policies=claims.policies,
        has_session_policy=claims.has_policy,
        tags=claims.tags,
        transitive_tag_keys=claims.transitive_keys,
        source_identity=claims.source_identity,
        chained=claims.chained,
        mfa_authenticated_at=from_epoch(claims.mfa_at) if claims.mfa_at is not None else None,
        extra_context=claims.context,
        console=claims.console,
    )


def caller_of(claims: SessionClaims, key_id: str) -> Caller:
    """The Caller a session's claims stand for."""
    session = session_of(claims)
    account = claims.account_id
    mfa = claims.mfa_at is not None
    if claims.kind is SessionKind.ROLE:
        parsed = parse_arn(claims.principal_arn)
        partition = parsed.partition if parsed else "aws"
        role_name = claims.principal_arn.rsplit("/", 1)[-1]
        return Caller(
            kind=CallerKind.ROLE_SESSION,
            account_id=account,
            arn=assumed_role_arn(account, role_name, claims.name, partition),
            user_id=f"{claims.principal_id}:{claims.name}",
            access_key_id=key_id,
            name=role_name,
            entity_id=claims.principal_id,
            role_arn=claims.principal_arn,
            session_name=claims.name,
            session=session,
            mfa=mfa,
        )
    if claims.kind is SessionKind.FEDERATED_USER:
        return Caller(
            kind=CallerKind.FEDERATED_USER,
            account_id=account,
            arn=federated_user_arn(account, claims.name),
            user_id=f"{account}:{claims.name}",
            access_key_id=key_id,
            name=claims.name,
            source_user_arn=claims.principal_arn,
            source_user_id=claims.principal_id,
            session=session,
            mfa=mfa,
        )
    if claims.kind is SessionKind.USER:
        return Caller(
            kind=CallerKind.USER,
            account_id=account,
            arn=claims.principal_arn,
            user_id=claims.principal_id,
            access_key_id=key_id,
            name=claims.name,
            entity_id=claims.principal_id,
            session=session,
            mfa=mfa,
        )
    return Caller(
        kind=CallerKind.ROOT,
        account_id=account,
        arn=root_arn(account),
        user_id=account,
        access_key_id=key_id,
        session=session,
        mfa=mfa,
    )


@dataclass(frozen=True, slots=True)
class Opened:
    """An authenticated temporary credential: the secret to verify with, and its caller."""

    secret: str = field(repr=False)
    caller: Caller


@dataclass(frozen=True, slots=True)
class _Remembered:
    key: RingKey  # the ring key that opened the token
    expires_at: int
    opened: Opened


class TemporaryCredentials:
    """Opens session tokens for one server process (no database read once keys are cached).

    A client sends the same token with every request until it expires, so the tokens this
    process has opened are remembered (at most ``cache_size``, oldest out first) with the
    Caller they stand for: a repeat costs a dict lookup instead of base64, AES-GCM, zlib,
    JSON and a new Caller. Only a token that authenticated is remembered, under the exact
    (access key id, token) strings it opened for, and a repeat is accepted only while the
    ring still holds the key that opened it (a retired key's tokens stop opening, as they
    did) and the session has not expired (checked on every request, as before).
    """

    def __init__(self, ring: KeyRing, clock: Clock, cache_size: int = OPENED_CACHE_SIZE) -> None:
        self.ring = ring
        self.clock = clock
        self._cache_size = cache_size
        self._opened: dict[tuple[str, str], _Remembered] = {}
        self._lock = Lock()  # for writers; a lookup is one atomic dict read

    def open(self, conn: Connection, key_id: str, token: str | None) -> Opened:
        if not token:
            raise InvalidClientTokenId()
        remembered = self._opened.get((key_id, token))
        if remembered is None or not self._in_ring(conn, remembered.key):
            remembered = self._open(conn, key_id, token)
        if remembered.expires_at <= epoch(self.clock.now()):
            raise ExpiredToken()
        return remembered.opened

    def _in_ring(self, conn: Connection, key: RingKey) -> bool:
        found = self.ring.opening_key(conn, key.key_id)
        # A reload of the ring makes new RingKey objects for the same keys.
        return found is key or (found is not None and found.material == key.material)

    def _open(self, conn: Connection, key_id: str, token: str) -> _Remembered:
        try:
            claims, key = tokens.open_token_with_key(self.ring, conn, token, key_id)
        except InvalidToken:
            with self._lock:
                self._opened.pop((key_id, token), None)
            raise InvalidClientTokenId() from None
        opened = Opened(claims.secret, caller_of(claims, key_id))
        remembered = _Remembered(key, claims.expires_at, opened)
        with self._lock:
            self._opened[key_id, token] = remembered
            while len(self._opened) > self._cache_size:
                del self._opened[next(iter(self._opened))]
        return remembered
