"""The key ring that seals session tokens, cached in memory by every server process.

Keys live in the store (``iamd.store.keyring``: ``server_keys``, material encrypted under
the master key), so every node shares them; each process keeps them in memory and opens a
token without touching the database:

- the newest *active* key seals new tokens and authorization messages;
- any key still in the ring opens what it sealed, active or not;
- a token naming a key this process has not seen makes it reload the ring (a key rotated
  in by another node), at most once per ``miss_reload_seconds`` so that made-up key ids
  cannot turn into a stream of database reads;
- the ring is reloaded every ``refresh_seconds`` anyway, so a rotation or a retirement
  (``iamd keys rotate`` / ``iamd keys retire``) reaches every node within that time.

Each key is 32 random bytes. It is never used directly: every use has its own key derived
with HKDF-SHA256 (``Purpose``), so a session token can never be passed off as an
authorization message or the other way round. Key ids are 4 random bytes, written as 8 hex
characters in the store and as raw bytes in tokens.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection

from iamd.store import keyring as store
from iamd.store.db import Database
from iamd.store.secrets import SecretBox

KEY_ID_BYTES = 4
MATERIAL_BYTES = 32
RandomBytes = Callable[[int], bytes]


class Purpose(Enum):
    SESSION_TOKEN = b"iamd sts session token v1"
    AUTHORIZATION_MESSAGE = b"iamd sts authorization message v1"
    CONSOLE_SESSION = b"iamd console session cookie v1"
    SIGNIN_TOKEN = b"iamd federation sign-in token v1"


class NoActiveKey(Exception):
    """The ring has no active key (every key was retired): nothing can be sealed."""


@dataclass(frozen=True, slots=True)
class RingKey:
    key_id: bytes
    created_at: dt.datetime
    active: bool
    material: bytes = field(repr=False)
    _derived: dict[Purpose, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def aead(self, purpose: Purpose) -> AESGCM:
        """AES-256-GCM under the key derived from this one for ``purpose``."""
        aead = self._derived.get(purpose)
        if aead is None:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.value)
            aead = AESGCM(hkdf.derive(self.material))
            self._derived[purpose] = aead
        return aead


def _ring_key(stored: store.StoredKey) -> RingKey:
    return RingKey(bytes.fromhex(stored.key_id), stored.created_at, stored.active, stored.material)


class KeyRing:
    """One process's view of the ring; thread-safe."""

    def __init__(
        self,
        box: SecretBox,
        *,
        refresh_seconds: float = 60.0,
        miss_reload_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._box = box
        self._refresh = refresh_seconds
        self._miss_reload = miss_reload_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: dict[bytes, RingKey] = {}
        self._active: RingKey | None = None
        self._loaded_at: float | None = None

    # -- reading ---------------------------------------------------------------------------

    def _load(self, conn: Connection) -> None:
        keys = [_ring_key(k) for k in store.load_keys(conn, self._box)]
        active = [k for k in keys if k.active]
        with self._lock:
            self._keys = {k.key_id: k for k in keys}
            self._active = max(active, key=lambda k: (k.created_at, k.key_id)) if active else None
            self._loaded_at = self._monotonic()

    def _stale(self, after: float) -> bool:
        return self._loaded_at is None or self._monotonic() - self._loaded_at >= after

    def opening_key(self, conn: Connection, key_id: bytes) -> RingKey | None:
        """The key ``key_id`` names, reloading the ring once if it is unknown or stale."""
        if self._stale(self._refresh):
            self._load(conn)
        key = self._keys.get(key_id)
        if key is None and self._stale(self._miss_reload):
            self._load(conn)
            key = self._keys.get(key_id)
        return key

    def sealing_key(self, conn: Connection, now: dt.datetime, random: RandomBytes) -> RingKey:
        """The active key. If the ring is empty it makes the first key in ``conn``'s
        transaction (``ensure`` at startup normally has); that key is not trusted from
        memory until a reload sees it committed."""
        if self._active is None or self._stale(self._refresh):
            self._load(conn)
        if self._active is not None:
            return self._active
        if self._keys:
            raise NoActiveKey("the STS key ring has no active key; run `iamd keys rotate`")
        key = self._add(conn, now, random, deactivate_others=False)
        with self._lock:
            self._loaded_at = None  # reload next time: this transaction may roll back
        return key

    # -- writing ---------------------------------------------------------------------------

    def _add(
        self, conn: Connection, now: dt.datetime, random: RandomBytes, *, deactivate_others: bool
    ) -> RingKey:
        key = RingKey(random(KEY_ID_BYTES), now, True, random(MATERIAL_BYTES))
        store.insert_key(
            conn, self._box, key.key_id_hex, key.material, now, deactivate_others=deactivate_others
        )
        return key

    def rotate(self, conn: Connection, now: dt.datetime, random: RandomBytes) -> RingKey:
        """A new active key; the others stay to open what they sealed until retired."""
        key = self._add(conn, now, random, deactivate_others=True)
        with self._lock:
            self._loaded_at = None
        return key

    def ensure(self, db: Database, now: dt.datetime, random: RandomBytes) -> None:
        """Make the first key in a transaction of its own unless the ring has one."""

        def make(conn: Connection) -> None:
            if not store.load_keys(conn, self._box):
                self._add(conn, now, random, deactivate_others=False)

        db.run(True, make)
        db.run(False, self._load)

    def keys(self, conn: Connection) -> list[RingKey]:
        """Every key of the ring as the store has it now, oldest first."""
        self._load(conn)
        return sorted(self._keys.values(), key=lambda k: (k.created_at, k.key_id))


_RINGS: dict[int, tuple[SecretBox, KeyRing]] = {}
_RINGS_LOCK = threading.Lock()


def keyring_for(box: SecretBox) -> KeyRing:
    """The process's ring for the store whose master key ``box`` holds.

    The credential lookup and the STS operations must share one ring, and the one thing
    both are handed is the secret box, so the ring is kept per box (a box lives as long as
    its server process).
    """
    with _RINGS_LOCK:
        found = _RINGS.get(id(box))
        if found is None or found[0] is not box:
            found = (box, KeyRing(box))
            _RINGS[id(box)] = found
        return found[1]
