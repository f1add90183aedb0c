"""What a server process holds for its whole life, built once at startup.

``Runtime`` gathers the settings, the database, the secret box, the clock, the shared
caches (authorizer, signing keys, credential lookup) and the compiled wire protocol of
both services. ``open_runtime`` builds it for a store that ``prepare_store`` has made
ready (schema, master key, default account): ``iamd serve`` prepares the store once in
the parent process, then each worker opens its own Runtime.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from iamd import protocol
from iamd.audit.recorder import Recorder
from iamd.auth import SigningKeyCache
from iamd.auth.credentials import CredentialLookup
from iamd.authz import Authorizer
from iamd.clock import Clock, SystemClock
from iamd.config import Settings
from iamd.operations import SecretBox
from iamd.server.forms import MAX_BODY_BYTES
from iamd.server.handlers import load_operations
from iamd.store.bootstrap import open_store
from iamd.store.db import Database
from iamd.store.secrets import open_secret_box

log = logging.getLogger("iamd.server")

SERVICES = ("iam", "sts")


@dataclass(slots=True)
class Runtime:
    settings: Settings
    database: Database
    box: SecretBox
    clock: Clock
    random: Callable[[int], bytes]
    authorizer: Authorizer
    credentials: CredentialLookup
    services: dict[str, protocol.Service]
    key_cache: SigningKeyCache = field(default_factory=SigningKeyCache)
    max_body_bytes: int = MAX_BODY_BYTES
    recorder: Recorder | None = None  # the audit trail (None: IAMD_AUDIT=off)

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
        self.database.dispose()


def prepare_store(settings: Settings, *, upgrade: bool = True) -> None:
    """Create or upgrade the schema, the master key, the default account with its root
    user and the AWS managed policies (printing generated root credentials once).
    ``upgrade=False``: a store that needs a schema upgrade is refused (SchemaError).

    Safe to run from several processes at once and on every start.
    """
    open_store(settings, upgrade=upgrade).db.dispose()


def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    random: Callable[[int], bytes] = secrets.token_bytes,
    database: Database | None = None,
) -> Runtime:
    """Everything a worker needs, with the operations imported and the protocol warm."""
    load_operations()
    services = {name: protocol.load_service(name) for name in SERVICES}
    for service in services.values():
        service.warm()
    database = database or Database(settings.database_url)
    box = open_secret_box(settings, database)
    clock = clock or SystemClock()
    return Runtime(
        settings=settings,
        database=database,
        box=box,
        clock=clock,
        random=random,
        authorizer=Authorizer(),
        credentials=CredentialLookup(box, clock=clock),
        services=services,
        recorder=Recorder(
            database,
            log_path=settings.audit_log,
            retention_days=settings.audit_retention_days or None,
            reads=settings.audit_reads,
            now=clock.now,
            storer=settings.audit_storer,
        )
        if settings.audit
        else None,
    )
