"""``iamd db upgrade|version|backup``: the store's schema and its copies.

- ``upgrade`` brings the store's schema to this version's revision (``iamd serve`` does it
  on start unless given ``--no-upgrade``); a store made before migrations is taken over.
- ``version`` prints the store's revision and this version's.
- ``backup FILE`` copies a SQLite store into FILE while servers keep serving from it: one
  consistent snapshot (SQLite's online backup), taken in a read transaction that writers
  do not wait for. PostgreSQL stores are backed up with PostgreSQL's own tools.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from iamd.config import Settings
from iamd.store import migrate
from iamd.store.db import Database


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="upgrade, inspect and back up the store")
    sub = db.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)
    upgrade = sub.add_parser("upgrade", help="upgrade the store's schema to this version's")
    version = sub.add_parser("version", help="print the store's schema revision")
    backup = sub.add_parser("backup", help="copy a SQLite store while it is in use")
    backup.add_argument("file", help="where to write the copy (must not exist)")
    for parser, handler in ((upgrade, run_upgrade), (version, run_version), (backup, run_backup)):
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--data-dir", help="data directory (default: IAMD_DATA_DIR)")
        where.add_argument("--db", dest="db_url", help="database URL")
        parser.set_defaults(handler=handler)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(data_dir=args.data_dir, db_url=args.db_url)


def run_upgrade(args: argparse.Namespace) -> int:
    db = Database(_settings(args).database_url)
    try:
        with db.transaction(write=True) as conn:
            before = migrate.current(conn)
        db.create_schema()
    except migrate.SchemaError as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    after = migrate.head()
    if before == after:
        print(f"the store is at revision {after}: nothing to do")
    else:
        print(f"upgraded the store from revision {before or 'none'} to {after}")
    return 0


def run_version(args: argparse.Namespace) -> int:
    db = Database(_settings(args).database_url)
    try:
        with db.transaction() as conn:
            store = migrate.current(conn)
    finally:
        db.dispose()
    print(json.dumps({"Store": store, "Head": migrate.head()}))
    return 0


def run_backup(args: argparse.Namespace) -> int:
    url = make_url(_settings(args).database_url)
    if not url.drivername.startswith("sqlite") or not url.database:
        print(
            "iamd: `iamd db backup` copies SQLite stores; back a PostgreSQL store up with "
            "pg_dump (or pg_basebackup)",
            file=sys.stderr,
        )
        return 2
    source_path = Path(url.database)
    target = Path(args.file)
    if not source_path.exists():
        print(f"iamd: there is no store at {source_path}", file=sys.stderr)
        return 1
    try:
        # O_EXCL: never overwrite a file, and the copy holds secrets: owner-only from birth.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        print(f"iamd: cannot create {target}: {exc.strerror}", file=sys.stderr)
        return 1
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        copy.close()
        target.unlink(missing_ok=True)
        print(f"iamd: backup failed: {exc}", file=sys.stderr)
        return 1
    finally:
        source.close()
    copy.close()
    print(f"copied {source_path} to {target}")
    return 0
