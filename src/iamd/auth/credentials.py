"""The credential lookup that connects SigV4 verification to the store.

``CredentialLookup.resolve(conn, access_key_id, session_token)`` is the verifier's
``SecretLookup`` once bound to a request's connection (``bind``). It answers with the
secret to check the signature against and an ``Authenticated``: the ``Caller`` the key
stands for and the account's change counter read on the way (the authorizer keys its
caches on the same number, so a request reads it once):

- a long-term key (``AKIA...`` or an operator-chosen root key id such as ``test``) is
  read from ``access_keys``: no owner means the account's root, otherwise the IAM user;
  an unknown or inactive key is ``InvalidClientTokenId``, as AWS says it;
- a registered service's credentials (``service_credentials``, also ``AKIA...``) stand for
  a SERVICE caller named by its service principal, acting in the credentials' account;
- a temporary key (``ASIA...``, or any key sent with a session token) goes to
  ``sessions``: by default STS's session tokens (``iamd.sts.sessions``), opened with the
  store's key ring and no database read; a token that does not open for that key is
  ``InvalidClientTokenId``, an expired one ``ExpiredToken``.

Resolved keys are cached with the change counter of their account: every IAM write
(deactivating or deleting a key, renaming its user) bumps the counter, so a cached key is
used only while its account has not changed, on every node. A hit costs one indexed read
of the counter; the secret is decrypted only on a miss.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock

from sqlalchemy import Connection, select

from iamd.auth.sigv4 import SecretLookup, SigningSecret
from iamd.clock import Clock, SystemClock
from iamd.errors import InvalidClientTokenId
from iamd.model.arn import root_arn
from iamd.model.caller import Caller, CallerKind
from iamd.store import access_keys, schema, services
from iamd.store.db import change_counter
from iamd.store.secrets import SecretBox
from iamd.sts.keyring import keyring_for
from iamd.sts.sessions import TemporaryCredentials

TEMPORARY_PREFIX = "ASIA"
CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Who signed, and the account's change counter when that was established."""

    caller: Caller
    counter: int | None = None  # None: not read (temporary credentials)


@dataclass(frozen=True, slots=True)
class _Known:
    account_id: str
    counter: int
    secret: str = field(repr=False)
    caller: Caller


SessionLookup = Callable[[Connection, str, str | None], SigningSecret[Authenticated]]
"""``(conn, access_key_id, session_token) -> SigningSecret[Authenticated]`` for temporary
keys; raises InvalidClientTokenId or ExpiredToken."""


def no_sessions(
    conn: Connection, access_key_id: str, token: str | None
) -> SigningSecret[Authenticated]:
    """A lookup that accepts no temporary credentials at all."""
    raise InvalidClientTokenId()


def sts_sessions(box: SecretBox, clock: Clock) -> SessionLookup:
    """STS's session tokens, opened with the key ring of the store ``box`` belongs to."""
    opener = TemporaryCredentials(keyring_for(box), clock)

    def lookup(
        conn: Connection, access_key_id: str, token: str | None
    ) -> SigningSecret[Authenticated]:
        opened = opener.open(conn, access_key_id, token)
        return SigningSecret(opened.secret, Authenticated(opened.caller))

    return lookup


class CredentialLookup:
    """Resolves access keys into signing secrets and Callers, for one server process."""

    def __init__(
        self,
        box: SecretBox,
        sessions: SessionLookup | None = None,
        cache_size: int = CACHE_SIZE,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._box = box
        self.sessions = sessions or sts_sessions(box, clock or SystemClock())
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()

    def bind(self, conn: Connection) -> SecretLookup[Authenticated]:
        """The verifier's lookup for one request's transaction."""

        def lookup(access_key_id: str, session_token: str | None) -> SigningSecret[Authenticated]:
            return self.resolve(conn, access_key_id, session_token)

        return lookup

    def resolve(
        self, conn: Connection, access_key_id: str, session_token: str | None
    ) -> SigningSecret[Authenticated]:
        if session_token is not None or access_key_id.startswith(TEMPORARY_PREFIX):
            return self.sessions(conn, access_key_id, session_token)
        known = self._known.get(access_key_id)
        seen: tuple[str, int] | None = None
        if known is not None:
            counter = change_counter(conn, known.account_id)
            if counter == known.counter:
                return SigningSecret(known.secret, Authenticated(known.caller, counter))
            seen = (known.account_id, counter)
        known = self._load(conn, access_key_id, seen)
        with self._lock:
            self._known[access_key_id] = known
            self._known.move_to_end(access_key_id)
            while len(self._known) > self._cache_size:
                self._known.popitem(last=False)
        return SigningSecret(known.secret, Authenticated(known.caller, known.counter))

    def _load(
        self, conn: Connection, access_key_id: str, seen: tuple[str, int] | None = None
    ) -> _Known:
        """Read the key; ``seen`` is its account and that account's counter when a cached
        key's account has changed (the counter was just read), which saves a first read."""
        if seen is None:
            key = access_keys.get_for_authentication(conn, self._box, access_key_id)
            if key is None:
                return self._load_service(conn, access_key_id)
            # INVARIANT: the counter is read before the row that is cached with it, so a
            # write committed in between leaves the cached counter behind and the next
            # request reloads.
            seen = (key.account_id, change_counter(conn, key.account_id))
        account_id, counter = seen
        key = access_keys.get_for_authentication(conn, self._box, access_key_id)
        if key is None:  # gone, or a service's credentials (cached, its account changed)
            return self._load_service(conn, access_key_id)
        if key.account_id != account_id:  # INVARIANT: keys never move; but if one did
            return self._load(conn, access_key_id)
        if not key.active:
            self._forget(access_key_id)
            raise InvalidClientTokenId()
        if key.user_id is None:
            caller = Caller(
                kind=CallerKind.ROOT,
                account_id=key.account_id,
                arn=root_arn(key.account_id),
                user_id=key.account_id,
                access_key_id=access_key_id,
            )
        else:
            caller = _user_caller(conn, key.user_id, access_key_id)
        return _Known(key.account_id, counter, key.secret, caller)

    def _load_service(self, conn: Connection, access_key_id: str) -> _Known:
        """A registered service's credentials: a SERVICE caller acting in their account."""
        found = services.credential_for_authentication(conn, self._box, access_key_id)
        if found is None:
            self._forget(access_key_id)
            raise InvalidClientTokenId()
        counter = change_counter(conn, found.account_id)
        found = services.credential_for_authentication(conn, self._box, access_key_id)
        if found is None or not found.active or found.secret is None:
            self._forget(access_key_id)
            raise InvalidClientTokenId()
        caller = Caller(
            kind=CallerKind.SERVICE,
            account_id=found.account_id,
            arn=found.principal,
            user_id=found.principal,
            access_key_id=access_key_id,
            name=found.principal,
        )
        return _Known(found.account_id, counter, found.secret, caller)

    def _forget(self, access_key_id: str) -> None:
        with self._lock:
            self._known.pop(access_key_id, None)


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
