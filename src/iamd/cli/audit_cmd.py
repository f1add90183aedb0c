"""``iamd audit``: search and follow the audit trail, straight from the store.

For the operator of the store (every account's events, and those of requests no account
could be told for); an account's own users read theirs with CloudTrail's LookupEvents.

    iamd audit [--account ID] [--event-name N | --user U | --resource R | --access-key-id K
               | --event-source S | --event-id E | --read-only true|false]
               [--since 2h|ISO] [--until ISO] [--limit 50] [--json] [--follow]

Without ``--follow`` the newest ``--limit`` events matching are printed oldest first;
``--follow`` then keeps printing new ones as they are stored (like ``tail -f``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import re
import sys
import time
from typing import Any

from sqlalchemy import Connection

from iamd.config import Settings
from iamd.store import audit_events
from iamd.store.db import Database

_FILTERS = (
    ("event_name", "EventName"),
    ("user", "Username"),
    ("resource", "ResourceName"),
    ("access_key_id", "AccessKeyId"),
    ("event_source", "EventSource"),
    ("event_id", "EventId"),
    ("read_only", "ReadOnly"),
)
_DURATION = re.compile(r"^(\d{1,9})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="search and follow the audit trail")
    where = audit.add_mutually_exclusive_group()
    where.add_argument("--data-dir", help="data directory (default: IAMD_DATA_DIR)")
    where.add_argument("--db", dest="db_url", help="database URL")
    audit.add_argument("--account", help="only this account's events")
    match = audit.add_mutually_exclusive_group()
    for dest, key in _FILTERS:
        flag = "--" + dest.replace("_", "-")
        match.add_argument(flag, dest=dest, metavar=key, help=f"events whose {key} is this")
    audit.add_argument("--since", help="a time (ISO 8601) or an age such as 30m, 2h, 7d")
    audit.add_argument("--until", help="a time (ISO 8601)")
    audit.add_argument("--limit", type=int, default=50, help="how many events (default 50)")
    audit.add_argument("--json", action="store_true", help="print each event's JSON record")
    audit.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    audit.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    audit.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        since = _moment(args.since) if args.since else None
        until = _moment(args.until) if args.until else None
    except (ValueError, OverflowError) as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 2
    if not 1 <= args.limit <= 10_000:
        print("iamd: --limit must be between 1 and 10000", file=sys.stderr)
        return 2
    attribute = next(
        ((key, getattr(args, dest)) for dest, key in _FILTERS if getattr(args, dest)), None
    )
    db = Database(Settings.from_env(data_dir=args.data_dir, db_url=args.db_url).database_url)
    try:
        found = db.run(
            False,
            lambda conn: audit_events.lookup(
                conn, args.account, attribute=attribute, start=since, end=until, limit=args.limit
            ),
        )
        found.reverse()
        for one in found:
            _print(one.event, args.json)
        if not args.follow:
            return 0
        last = max((one.seq for one in found), default=0)
        while True:
            newer = db.run(False, functools.partial(_newer, args, attribute, since, last))
            for one in newer:
                _print(one.event, args.json)
            if newer:
                last = newer[-1].seq
            sys.stdout.flush()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # the reader went away (``iamd audit | head``)
        sys.stdout = None  # nothing left to flush at exit
        return 0
    finally:
        db.dispose()


def _newer(
    args: argparse.Namespace,
    attribute: tuple[str, str] | None,
    since: dt.datetime | None,
    last: int,
    conn: Connection,
) -> list[audit_events.Found]:
    return audit_events.lookup(
        conn, args.account, attribute=attribute, start=since, after=last, limit=1000
    )


def _print(event: audit_events.StoredEvent, as_json: bool) -> None:
    if as_json:
        print(event.record)
        return
    record = json.loads(event.record)
    outcome = record.get("errorCode") or "ok"
    who = event.username or record.get("userIdentity", {}).get("arn") or "-"
    print(
        f"{event.event_time:%Y-%m-%dT%H:%M:%SZ} {event.account_id or '-':12} "
        f"{event.event_source.split('.')[0]}:{event.event_name} {who} "
        f"{record.get('sourceIPAddress') or '-'} {outcome}"
    )


def _moment(text: str) -> dt.datetime:
    """An ISO 8601 time (UTC unless it says otherwise) or an age before now."""
    age = _DURATION.match(text)
    if age is not None:
        amount, unit = age.groups()
        return dt.datetime.now(dt.UTC) - dt.timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time or an age: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
