"""Schema versions: every change to the tables is an Alembic revision in ``migrations/``.

A store is in one of three states, and ``upgrade`` brings each to the newest revision:

- empty: the tables are made from ``schema.metadata`` in one step and stamped with the
  newest revision (a test proves the revisions build the very same schema);
- made before migrations existed (tables, no ``alembic_version``): stamped with the
  baseline revision, the schema those versions made, then upgraded;
- versioned: upgraded from its revision.

Several processes may start at once on one PostgreSQL database: the upgrade runs under
the schema advisory lock, so one migrates and the others find it done.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from iamd.store import schema

BASELINE = "0001"
# Alembic narrates every run at INFO ("Context impl SQLiteImpl."); iamd says what changed.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
_log = logging.getLogger(__name__)
_SCRIPTS = Path(__file__).with_name("migrations")


class SchemaError(Exception):
    """The store's schema is not one this version of iamd can use or upgrade."""


def _config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = conn
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(_SCRIPTS))


def head() -> str:
    """The newest revision this version of iamd knows."""
    found = _scripts().get_current_head()
    if found is None:  # pragma: no cover - the directory ships with revisions
        raise SchemaError("no schema revisions are installed")
    return found


def current(conn: Connection) -> str | None:
    """The store's revision; None for a store made before migrations (or an empty one)."""
    return MigrationContext.configure(conn).get_current_revision()


def is_empty(conn: Connection) -> bool:
    return not (set(inspect(conn).get_table_names()) & set(schema.metadata.tables))


def pending(conn: Connection) -> bool:
    """Whether ``upgrade`` would change anything."""
    return is_empty(conn) or current(conn) != head()


def upgrade(conn: Connection) -> str | None:
    """Bring the store to the newest revision; returns the revision it started from."""
    started = current(conn)
    config = _config(conn)
    if started is None and is_empty(conn):
        schema.metadata.create_all(conn)
        command.stamp(config, "head")
        return None
    if started is None:
        command.stamp(config, BASELINE)
    elif started not in _known():
        raise SchemaError(
            f"the store is at schema revision {started}, which this version of iamd does not "
            "know: it was written by a newer iamd"
        )
    command.upgrade(config, "head")
    if started != head():
        _log.warning("upgraded the store's schema from revision %s to %s", started, head())
    return started


def _known() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}
