"""When, where and for which service each long-term access key was last used.

AWS reports a key's last use (GetAccessKeyLastUsed) to within minutes, so a server need
not write on every request: each process remembers what it last recorded per (key,
service, region) and writes again only after ``granularity``. The write is its own small
transaction after the request's, so read-only requests stay read-only; if it fails, the
request has still succeeded and only the bookkeeping is lost (and logged).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from iamd.store.access_keys import record_last_used
from iamd.store.db import Database, StoreError

log = logging.getLogger("iamd.server")

GRANULARITY = dt.timedelta(minutes=5)
_MAX_REMEMBERED = 100_000


class LastUsed:
    def __init__(self, database: Database, granularity: dt.timedelta = GRANULARITY) -> None:
        self.database = database
        self.granularity = granularity
        self._recorded: dict[tuple[str, str, str], dt.datetime] = {}
        self._lock = threading.Lock()

    def note(self, key_id: str, service: str, region: str, now: dt.datetime) -> None:
        """Record a use of ``key_id`` unless this process recorded one recently."""
        key = (key_id, service, region)
        with self._lock:
            previous = self._recorded.get(key)
            if previous is not None and now - previous < self.granularity:
                return
            if len(self._recorded) >= _MAX_REMEMBERED:
                self._recorded.clear()
            self._recorded[key] = now
        try:
            self.database.run(
                True,
                lambda conn: record_last_used(
                    conn, key_id, at=now, service=service, region=region,
                    granularity=self.granularity,
                ),
            )  # fmt: skip
        except (SQLAlchemyError, StoreError):
            log.warning("could not record the last use of an access key", exc_info=True)
