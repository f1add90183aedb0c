"""``iamd service ...``: services of your own as principals (see docs/services.md).

- ``register NAME [--account A] [--linked-role-name N ...]``: register a service
  principal (``jobs.example.internal``) and print its first credentials, once;
- ``list``: registered services and their credentials (``--all`` adds the catalog);
- ``credentials create NAME [--account A]`` / ``credentials delete KEY_ID``: more
  credentials for a service (one set per account it acts in), or fewer;
- ``resources set NAME --role ROLE [--resource ARN ...]``: what the service still uses
  its linked role for; DeleteServiceLinkedRole fails while the list is not empty.

All work on the store directly (``--data-dir`` or ``--db``), also while servers run on it.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from iamd.clock import SystemClock
from iamd.config import Settings
from iamd.iam import services
from iamd.model.services import Service
from iamd.store import services as store
from iamd.store.bootstrap import BootstrapError, Store, open_store
from iamd.store.secrets import MasterKeyError


def register(commands: Any) -> None:
    service = commands.add_parser("service", help="register services and their credentials")
    sub = service.add_subparsers(dest="service_command", metavar="SUBCOMMAND", required=True)

    reg = sub.add_parser("register", help="register a service and print its credentials")
    reg.add_argument("name", help="the service principal, e.g. jobs.example.internal")
    reg.add_argument("--account", help="account the credentials act in (default: IAMD_ACCOUNT_ID)")
    reg.add_argument("--title", help="a human name for the service")
    reg.add_argument("--linked-role-name", help="its service-linked role's name")
    reg.add_argument(
        "--custom-suffix", action="store_true", help="the linked role allows a custom suffix"
    )
    reg.add_argument("--linked-role-description", help="the linked role's default description")
    reg.add_argument(
        "--linked-role-policy", type=Path, help="file with the linked role's permissions (JSON)"
    )
    _common(reg, run_register)

    listing = sub.add_parser("list", help="list registered services and their credentials")
    listing.add_argument("--all", action="store_true", help="include the catalog's services")
    _common(listing, run_list)

    creds = sub.add_parser("credentials", help="create or delete a service's credentials")
    creds_sub = creds.add_subparsers(dest="credentials_command", metavar="ACTION", required=True)
    create = creds_sub.add_parser("create", help="new credentials (shown once)")
    create.add_argument("name", help="the registered service")
    create.add_argument("--account", help="account they act in (default: IAMD_ACCOUNT_ID)")
    _common(create, run_credentials_create)
    remove = creds_sub.add_parser("delete", help="delete credentials")
    remove.add_argument("access_key_id")
    _common(remove, run_credentials_delete)

    res = sub.add_parser("resources", help="what a service still uses its linked role for")
    res_sub = res.add_subparsers(dest="resources_command", metavar="ACTION", required=True)
    put = res_sub.add_parser("set", help="replace the list (no --resource clears it)")
    put.add_argument("name", help="the service principal")
    put.add_argument("--role", required=True, help="the linked role's name")
    put.add_argument("--account", help="the role's account (default: IAMD_ACCOUNT_ID)")
    put.add_argument("--region", default=services.DEFAULT_REGION, help="default: us-east-1")
    put.add_argument("--resource", action="append", default=[], metavar="ARN")
    _common(put, run_resources_set)


def _common(parser: argparse.ArgumentParser, handler: Any) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", help="data directory (default: IAMD_DATA_DIR)")
    where.add_argument("--db", dest="db_url", help="database URL, e.g. postgresql+psycopg://...")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handler)


def _open(args: argparse.Namespace) -> tuple[Settings, Store] | None:
    settings = Settings.from_env(data_dir=args.data_dir, db_url=args.db_url)
    try:
        return settings, open_store(settings, announce=sys.stderr)
    except (MasterKeyError, BootstrapError) as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return None


def _run(args: argparse.Namespace, fn: Any) -> tuple[int, Any]:
    """``fn(conn, settings, store)`` in one write transaction; 1 and a message on error."""
    opened = _open(args)
    if opened is None:
        return 1, None
    settings, opened_store = opened
    try:
        result = opened_store.db.run(True, lambda conn: fn(conn, settings, opened_store))
    except services.ServiceError as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 1, None
    finally:
        opened_store.db.dispose()
    return 0, result


def _print_issued(issued: services.Issued, as_json: bool) -> None:
    if as_json:
        body = {
            "ServiceName": issued.principal,
            "AccountId": issued.account_id,
            "AccessKeyId": issued.access_key_id,
            "SecretAccessKey": issued.secret_access_key,
        }
        print(json.dumps(body, indent=2))
        return
    print(f"ServiceName      {issued.principal}")
    print(f"AccountId        {issued.account_id}")
    print(f"AccessKeyId      {issued.access_key_id}")
    print(f"SecretAccessKey  {issued.secret_access_key}")
    print("(the secret is shown once: store it where the service reads its credentials)")


def run_register(args: argparse.Namespace) -> int:
    document = None
    if args.linked_role_policy is not None:
        try:
            document = args.linked_role_policy.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"iamd: cannot read {args.linked_role_policy}: {exc.strerror}", file=sys.stderr)
            return 2

    def register_it(conn: Connection, settings: Settings, opened: Store) -> services.Issued:
        role = services.linked_role_spec(
            args.name,
            args.linked_role_name,
            custom_suffix=args.custom_suffix,
            description=args.linked_role_description,
            policy_document=document,
        )
        return services.register_service(
            conn,
            opened.secrets,
            principal=args.name,
            account_id=args.account or settings.account_id,
            title=args.title,
            linked_role=role,
            now=SystemClock().now(),
            random_bytes=secrets.token_bytes,
        )

    code, issued = _run(args, register_it)
    if issued is not None:
        _print_issued(issued, args.json)
    return code


def run_credentials_create(args: argparse.Namespace) -> int:
    def create(conn: Connection, settings: Settings, opened: Store) -> services.Issued:
        return services.issue_credentials(
            conn,
            opened.secrets,
            principal=args.name,
            account_id=args.account or settings.account_id,
            now=SystemClock().now(),
            random_bytes=secrets.token_bytes,
        )

    code, issued = _run(args, create)
    if issued is not None:
        _print_issued(issued, args.json)
    return code


def run_credentials_delete(args: argparse.Namespace) -> int:
    code, _ = _run(
        args, lambda conn, settings, opened: services.delete_credentials(conn, args.access_key_id)
    )
    return code


def run_resources_set(args: argparse.Namespace) -> int:
    def put(conn: Connection, settings: Settings, opened: Store) -> None:
        services.set_resources(
            conn,
            principal=args.name,
            account_id=args.account or settings.account_id,
            role_name=args.role,
            resources=args.resource,
            region=args.region,
        )

    code, _ = _run(args, put)
    return code


def _describe(conn: Connection, service: Service) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ServiceName": service.principal,
        "Title": service.title,
        "Registered": service.registered,
    }
    role = service.linked_role
    if role is not None:
        body["LinkedRole"] = {
            "RoleName": role.role_name,
            "Path": service.role_path,
            "CustomSuffix": role.custom_suffix,
        }
    if service.registered:
        body["Credentials"] = [
            {
                "AccessKeyId": c.access_key_id,
                "AccountId": c.account_id,
                "Status": c.status,
                "CreateDate": c.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for c in store.credentials_of(conn, service.principal)
        ]
    return body


def run_list(args: argparse.Namespace) -> int:
    def listing(conn: Connection, settings: Settings, opened: Store) -> list[dict[str, Any]]:
        found = services.all_services(conn) if args.all else store.list_registered(conn)
        return [_describe(conn, s) for s in found]

    code, described = _run(args, listing)
    if described is None:
        return code
    if args.json:
        print(json.dumps({"Services": described}, indent=2))
        return code
    for body in described:
        role = body.get("LinkedRole", {}).get("RoleName", "-")
        kind = "registered" if body["Registered"] else "catalog"
        print(f"{body['ServiceName']}  {kind}  {role}")
        for cred in body.get("Credentials", ()):
            print(f"  {cred['AccessKeyId']}  {cred['AccountId']}  {cred['Status']}")
    return code
