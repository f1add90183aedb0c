"""``iamd keys list|rotate|retire``: the key ring that seals STS session tokens.

- ``rotate`` adds a new key and makes it the only active one: new session tokens are
  sealed with it, while tokens sealed before still open with the keys that sealed them.
- ``retire KEY_ID`` deletes an inactive key: tokens it sealed stop working. Wait for the
  longest session to run out first (36 hours covers every STS duration).
- ``list`` shows each key's id, creation time and whether it is active.

They work on the store directly, also while servers run on it; servers pick a change up
within a minute (each reloads the ring periodically, and at once when a token names a key
it has not seen).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from typing import Any

from sqlalchemy import Connection

from iamd.clock import SystemClock
from iamd.config import Settings
from iamd.store import keyring as store
from iamd.store.db import Database
from iamd.store.secrets import MasterKeyError, open_secret_box
from iamd.sts.keyring import KeyRing, RingKey


def register(commands: Any) -> None:
    keys = commands.add_parser("keys", help="list, rotate and retire the STS token keys")
    sub = keys.add_subparsers(dest="keys_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="list the keys of the ring")
    rotate = sub.add_parser("rotate", help="seal new session tokens with a new key")
    retire = sub.add_parser("retire", help="delete an inactive key")
    retire.add_argument("key_id", help="the key's id, as `iamd keys list` shows it")
    for parser, handler in ((listing, run_list), (rotate, run_rotate), (retire, run_retire)):
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--data-dir", help="data directory (default: IAMD_DATA_DIR)")
        where.add_argument("--db", dest="db_url", help="database URL")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.set_defaults(handler=handler)


def _describe(key: RingKey) -> dict[str, object]:
    created = key.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"KeyId": key.key_id_hex, "CreateDate": created, "Active": key.active}


def _print(keys: list[RingKey], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"Keys": [_describe(k) for k in keys]}, indent=2))
        return
    for key in keys:
        info = _describe(key)
        print(f"{info['KeyId']}  {info['CreateDate']}  {'active' if key.active else 'inactive'}")


def _open(args: argparse.Namespace) -> tuple[Database, KeyRing] | None:
    settings = Settings.from_env(data_dir=args.data_dir, db_url=args.db_url)
    db = Database(settings.database_url)
    try:
        db.create_schema()
        box = open_secret_box(settings, db)
    except MasterKeyError as exc:
        db.dispose()
        print(f"iamd: {exc}", file=sys.stderr)
        return None
    return db, KeyRing(box)


def run_list(args: argparse.Namespace) -> int:
    opened = _open(args)
    if opened is None:
        return 1
    db, ring = opened
    with db:
        _print(db.run(False, ring.keys), args.json)
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    opened = _open(args)
    if opened is None:
        return 1
    db, ring = opened
    now = SystemClock().now()
    with db:

        def rotate(conn: Connection) -> list[RingKey]:
            ring.rotate(conn, now, secrets.token_bytes)
            return ring.keys(conn)

        _print(db.run(True, rotate), args.json)
    return 0


def run_retire(args: argparse.Namespace) -> int:
    opened = _open(args)
    if opened is None:
        return 1
    db, ring = opened
    with db:

        def retire(conn: Connection) -> str | None:
            key = next((k for k in ring.keys(conn) if k.key_id_hex == args.key_id), None)
            if key is None:
                return f"no key {args.key_id!r} in the ring"
            if key.active:
                return f"key {args.key_id!r} is active; rotate first, then retire it"
            store.delete_key(conn, key.key_id_hex)
            return None

        problem = db.run(True, retire)
        if problem is not None:
            print(f"iamd: {problem}", file=sys.stderr)
            return 1
        _print(db.run(False, ring.keys), args.json)
    return 0
