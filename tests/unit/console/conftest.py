"""Fixtures for the console unit tests: a real SQLite store, a master-key box, a fixed clock."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.clock import FixedClock
from iamd.store.db import Database
from iamd.store.secrets import AesGcmBox
from iamd.sts.keyring import KeyRing

START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'iamd.sqlite3'}")
    database.create_schema()
    yield database
    database.dispose()


@pytest.fixture
def box() -> AesGcmBox:
    return AesGcmBox(secrets.token_bytes(32))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(11)


@pytest.fixture
def ring(box: AesGcmBox, db: Database, rng: random.Random) -> KeyRing:
    keyring = KeyRing(box)
    keyring.ensure(db, START, rng.randbytes)
    return keyring
