"""Minting temporary credentials, and the steps every credential operation shares.

``issue`` turns a session's claims into ``Credentials``: an ``ASIA`` key id that carries
the account (spec 4.10), a fresh 40-character secret, and the session token that seals
both with the claims (``iamd.sts.tokens``), expiring ``duration`` seconds from the
request's time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection

from iamd.errors import AccessDenied
from iamd.model.ids import IdPrefix, access_key_id, secret_access_key
from iamd.operations import OperationContext
from iamd.sts import tokens
from iamd.sts.keyring import KeyRing, RandomBytes, keyring_for
from iamd.sts.sessions import epoch, from_epoch
from iamd.sts.tokens import SessionClaims


@dataclass(frozen=True, slots=True)
class Minted:
    """New temporary credentials."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: dt.datetime

    def as_output(self) -> dict[str, object]:
        """The ``Credentials`` output shape."""
        return {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expiration,
        }


def ring(ctx: OperationContext) -> KeyRing:
    """The process's key ring for this store."""
    return keyring_for(ctx.secrets)


def issue(ctx: OperationContext, claims: SessionClaims) -> Minted:
    """Credentials for ``claims`` (their ``secret`` is replaced by a fresh one)."""
    return mint(ring(ctx), ctx.db, claims, now=ctx.now, random=ctx.random)


def mint(
    keys: KeyRing, conn: Connection, claims: SessionClaims, *, now: dt.datetime, random: RandomBytes
) -> Minted:
    """:func:`issue` outside an operation (the console's sign-in)."""
    key_id = access_key_id(IdPrefix.TEMPORARY_KEY, claims.account_id, random)
    sealed = replace(claims, secret=secret_access_key(random))
    token = tokens.seal(keys, conn, sealed, key_id, now=now, random=random)
    return Minted(key_id, sealed.secret, token, from_epoch(claims.expires_at))


def times(ctx: OperationContext, duration: int) -> tuple[int, int]:
    """``(issued_at, expires_at)`` in epoch seconds for a session of ``duration`` seconds."""
    issued = epoch(ctx.now)
    return issued, issued + duration


def refuse_session_credentials(ctx: OperationContext, operation: str) -> None:
    """GetSessionToken and GetFederationToken need long-term credentials (spec 4.7, 4.8)."""
    if ctx.caller.is_temporary:
        raise AccessDenied(f"Cannot call {operation} with session credentials")
