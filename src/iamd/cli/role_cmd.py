"""``iamd role revoke-sessions``: deny every session of a role issued before now.

It puts AWS's ``AWSRevokeOlderSessions`` inline policy on the role (``iamd.sts.revoke``),
directly in the store, also while servers run on it; every node applies it to the next
request. Delete the inline policy (DeleteRolePolicy) to undo it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlalchemy import Connection

from iamd.clock import SystemClock
from iamd.config import Settings
from iamd.errors import NoSuchEntity
from iamd.store.db import Database
from iamd.sts.revoke import POLICY_NAME, revoke_sessions


def register(commands: Any) -> None:
    role = commands.add_parser("role", help="operator actions on roles")
    sub = role.add_subparsers(dest="role_command", metavar="SUBCOMMAND", required=True)
    revoke = sub.add_parser("revoke-sessions", help="deny the role's sessions issued before now")
    revoke.add_argument("--account", required=True, help="the role's 12-digit account id")
    revoke.add_argument("--role", required=True, help="the role's name")
    where = revoke.add_mutually_exclusive_group()
    where.add_argument("--data-dir", help="data directory (default: IAMD_DATA_DIR)")
    where.add_argument("--db", dest="db_url", help="database URL")
    revoke.add_argument("--json", action="store_true", help="print JSON")
    revoke.set_defaults(handler=run_revoke)


def run_revoke(args: argparse.Namespace) -> int:
    settings = Settings.from_env(data_dir=args.data_dir, db_url=args.db_url)
    now = SystemClock().now()
    with Database(settings.database_url) as db:

        def revoke(conn: Connection) -> str:
            before = revoke_sessions(conn, args.account, args.role, now)
            return before.strftime("%Y-%m-%dT%H:%M:%SZ")

        try:
            before = db.run(True, revoke)
        except NoSuchEntity as exc:
            print(f"iamd: {exc.message}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({"RoleName": args.role, "PolicyName": POLICY_NAME, "Before": before}))
    else:
        print(f"sessions of role {args.role} issued before {before} are denied ({POLICY_NAME})")
    return 0
