from __future__ import annotations

from sqlalchemy import select, text

from iamd.store import schema
from iamd.store.db import Database


def test_schema_is_created(db: Database) -> None:
    with db.transaction(write=False) as conn:
        assert conn.execute(select(schema.accounts)).all() == []
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
