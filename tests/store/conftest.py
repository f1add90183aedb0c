"""The store tests run every case on SQLite and on a real PostgreSQL (``pg.py``)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.store.db import Database
from iamd.store.secrets import AesGcmBox
from pg import PostgresServer, postgres_server, postgres_url

from .rows import ACCOUNT, NOW, add_account

__all__ = ["postgres_server", "postgres_url"]

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'iamd.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A Database with the schema created."""
    database = Database(db_url)
    database.create_schema()
    yield database
    database.dispose()


@pytest.fixture
def account(db: Database) -> str:
    """The id of an account created in ``db``."""
    with db.transaction() as conn:
        add_account(conn)
    return ACCOUNT


@pytest.fixture
def box() -> AesGcmBox:
    return AesGcmBox(secrets.token_bytes(32))


@pytest.fixture
def now() -> dt.datetime:
    return NOW
