"""The credential lookup that connects SigV4 verification to the store.

``CredentialLookup.resolve(conn, access_key_id, session_token)`` is the verifier's
``SecretLookup`` once bound to a request's connection (``bind``). It answers with the
secret to check the signature against and the ``Caller`` the key stands for:

- a long-term key (``AKIA...`` or an operator-chosen root key id such as ``test``) is
  read from ``access_keys``: no owner means the account's root, otherwise the IAM user;
  an unknown or inactive key is ``InvalidClientTokenId``, as AWS says it;
- a temporary key (``ASIA...``, or any key sent with a session token) goes to
  ``sessions``, the seam STS fills in when it can open session tokens; until then
  every temporary key is ``InvalidClientTokenId``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select

from iamd.auth.sigv4 import SecretLookup, SigningSecret
from iamd.errors import InvalidClientTokenId
from iamd.model.arn import root_arn
from iamd.model.caller import Caller, CallerKind
from iamd.store import access_keys, schema
from iamd.store.secrets import SecretBox

TEMPORARY_PREFIX = "ASIA"


SessionLookup = Callable[[Connection, str, str | None], SigningSecret[Caller]]
"""``(conn, access_key_id, session_token) -> SigningSecret[Caller]`` for temporary keys;
raises InvalidClientTokenId or ExpiredToken."""


def no_sessions(conn: Connection, access_key_id: str, token: str | None) -> SigningSecret[Caller]:
    """Temporary credentials are not accepted until STS provides a session lookup."""
    raise InvalidClientTokenId()


class CredentialLookup:
    """Resolves access keys into signing secrets and Callers, for one server process."""

    def __init__(self, box: SecretBox, sessions: SessionLookup = no_sessions) -> None:
        self._box = box
        self.sessions = sessions

    def bind(self, conn: Connection) -> SecretLookup[Caller]:
        """The verifier's lookup for one request's transaction."""

        def lookup(access_key_id: str, session_token: str | None) -> SigningSecret[Caller]:
            return self.resolve(conn, access_key_id, session_token)

        return lookup

    def resolve(
        self, conn: Connection, access_key_id: str, session_token: str | None
    ) -> SigningSecret[Caller]:
        if session_token is not None or access_key_id.startswith(TEMPORARY_PREFIX):
            return self.sessions(conn, access_key_id, session_token)
        key = access_keys.get_for_authentication(conn, self._box, access_key_id)
        if key is None or not key.active:
            raise InvalidClientTokenId()
        if key.user_id is None:
            caller = Caller(
                kind=CallerKind.ROOT,
                account_id=key.account_id,
                arn=root_arn(key.account_id),
                user_id=key.account_id,
                access_key_id=access_key_id,
            )
            return SigningSecret(key.secret, caller)
        return SigningSecret(key.secret, _user_caller(conn, key.user_id, access_key_id))


def _user_caller(conn: Connection, user_id: str, access_key_id: str) -> Caller:
    users = schema.users
    row = conn.execute(
        select(users.c.account_id, users.c.name, users.c.arn).where(users.c.user_id == user_id)
    ).first()
    if row is None:  # INVARIANT: keys go with their user; a dangling key is no key
        raise InvalidClientTokenId()
    return Caller(
        kind=CallerKind.USER,
        account_id=row.account_id,
        arn=row.arn,
        user_id=user_id,
        access_key_id=access_key_id,
        name=row.name,
        entity_id=user_id,
    )
