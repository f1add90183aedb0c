"""``iamd account create``, ``list`` and ``password``: manage the accounts a store hosts.

``password`` sets an account root's console password (read from standard input, or asked
for twice at a terminal), which signs in at ``/console`` as the root user.

Both work on the store directly (the SQLite file under ``--data-dir`` or ``--db URL``),
also while servers run on it: SQLite in WAL mode and PostgreSQL let them write alongside.
"""

from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys
from typing import Any

from iamd.clock import SystemClock
from iamd.config import Settings
from iamd.iam import sign_in
from iamd.store import access_keys, accounts
from iamd.store.db import Database
from iamd.store.secrets import MasterKeyError, open_secret_box


def register(commands: Any) -> None:
    account = commands.add_parser("account", help="create and list the accounts of a store")
    sub = account.add_subparsers(dest="account_command", metavar="SUBCOMMAND", required=True)

    create = sub.add_parser("create", help="create an account and its root access key")
    _store_options(create)
    create.add_argument("--id", dest="account_id", help="12-digit account id (default: random)")
    create.add_argument("--alias", help="account alias (3-63 lowercase letters, digits, dashes)")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(handler=run_create)

    listing = sub.add_parser("list", help="list the accounts")
    _store_options(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    password = sub.add_parser("password", help="set the root user's console password")
    _store_options(password)
    password.add_argument("account", help="the account id or alias")
    password.set_defaults(handler=run_password)


def _store_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", help="data directory (default: IAMD_DATA_DIR or ~/.local/...)")
    where.add_argument("--db", dest="db_url", help="database URL, e.g. postgresql+psycopg://...")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(data_dir=args.data_dir, db_url=args.db_url)


def run_create(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.account_id is not None and not accounts.is_account_id(args.account_id):
        print(f"iamd: account id {args.account_id!r} is not 12 digits", file=sys.stderr)
        return 2
    if args.alias is not None and (problem := accounts.alias_problem(args.alias)):
        print(f"iamd: alias {args.alias!r}: {problem}", file=sys.stderr)
        return 2
    with Database(settings.database_url) as db:
        try:
            db.create_schema()
            box = open_secret_box(settings, db)
        except MasterKeyError as exc:
            print(f"iamd: {exc}", file=sys.stderr)
            return 1
        now = SystemClock().now()

        def create(conn: Any) -> tuple[str, str, str]:
            account = accounts.create_account(
                conn,
                now=now,
                random_bytes=secrets.token_bytes,
                account_id=args.account_id,
                alias=args.alias,
            )
            key, secret = access_keys.create_access_key(
                conn,
                box,
                account_id=account.account_id,
                user_id=None,
                now=now,
                random_bytes=secrets.token_bytes,
            )
            return account.account_id, key.access_key_id, secret

        try:
            account_id, key_id, secret = db.run(True, create)
        except accounts.AccountExists as exc:
            print(f"iamd: already exists: {exc.detail}", file=sys.stderr)
            return 1
    if args.json:
        body = {"AccountId": account_id, "AccessKeyId": key_id, "SecretAccessKey": secret}
        print(json.dumps(body, indent=2))
    else:
        print(f"AccountId        {account_id}")
        print(f"AccessKeyId      {key_id}")
        print(f"SecretAccessKey  {secret}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with Database(settings.database_url) as db:
        db.create_schema()
        listed = db.run(False, accounts.list_accounts)
    if args.json:
        body = [
            {
                "AccountId": a.account_id,
                "AccountAlias": a.alias,
                "CreateDate": a.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for a in listed
        ]
        print(json.dumps({"Accounts": body}, indent=2))
    else:
        for a in listed:
            created = a.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"{a.account_id}  {created}  {a.alias or '-'}")
    return 0


MIN_PASSWORD, MAX_PASSWORD = 8, 128


def _read_password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New root password: ")
    if getpass.getpass("Again: ") != first:
        print("iamd: the passwords differ", file=sys.stderr)
        return None
    return first


def run_password(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = _read_password()
    if password is None:
        return 1
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        print(
            f"iamd: a root password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            file=sys.stderr,
        )
        return 2
    with Database(settings.database_url) as db:
        db.create_schema()

        def store(conn: Any) -> str | None:
            account_id = sign_in.resolve_account(conn, args.account)
            if account_id is not None:
                sign_in.set_root_password(conn, account_id, password, SystemClock().now())
            return account_id

        account_id = db.run(True, store)
    if account_id is None:
        print(f"iamd: no account {args.account!r}", file=sys.stderr)
        return 1
    print(f"Root password set for account {account_id}.")
    return 0
