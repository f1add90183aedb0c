"""``iamd credentials``: role credentials from an X.509 certificate (IAM Roles Anywhere).

``credential-process`` prints them once for ``credential_process``; ``serve`` answers the
instance metadata protocol on a loopback port (``imds``), refreshing them before expiry;
``update`` keeps a profile of the shared credentials file fresh (``credentials_file``).

For ``credential_process =`` in ``~/.aws/config``, so that an unmodified AWS SDK gets (and
refreshes, before the printed Expiration) a role's credentials through IAM Roles
Anywhere, from iamd or from AWS. The flags are those of AWS's ``aws_signing_helper
credential-process``, so existing configurations move over by changing the command::

    [profile workload]
    credential_process = iamd credentials credential-process \\
        --certificate app.pem --private-key app.key \\
        --trust-anchor-arn TA_ARN --profile-arn PROFILE_ARN --role-arn ROLE_ARN \\
        --endpoint https://iamd.example.com:4566

It prints ``{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
"Expiration"}`` and exits 0, or prints the refusal on stderr and exits 1. The private
key is read from its file and never printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iamd.cli import credentials_file, imds
from iamd.cli.rolesanywhere_client import (
    Identity,
    SessionError,
    create_session,
    credential_process_output,
)


def _identity_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--certificate", required=True, type=Path, help="PEM certificate")
    parser.add_argument("--private-key", required=True, type=Path, help="PEM private key")
    parser.add_argument("--intermediates", type=Path, help="PEM intermediate certificates")
    parser.add_argument("--trust-anchor-arn", required=True)
    parser.add_argument("--profile-arn", required=True)
    parser.add_argument("--role-arn", required=True)
    parser.add_argument("--endpoint", required=True, help="e.g. https://127.0.0.1:4566")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--session-duration", type=int, help="seconds (900-43200)")
    parser.add_argument("--role-session-name")
    parser.add_argument("--no-verify-ssl", action="store_true", help="skip TLS verification")


def register(commands: Any) -> None:
    credentials = commands.add_parser(
        "credentials", help="role credentials for workloads (IAM Roles Anywhere)"
    )
    sub = credentials.add_subparsers(
        dest="credentials_command", metavar="SUBCOMMAND", required=True
    )
    process = sub.add_parser(
        "credential-process", help="print credential_process JSON from a certificate"
    )
    _identity_flags(process)
    process.set_defaults(handler=run_credential_process)
    serve = sub.add_parser(
        "serve", help="serve the credentials on a loopback instance metadata endpoint (IMDSv2)"
    )
    _identity_flags(serve)
    serve.add_argument("--port", type=int, default=9911, help="loopback port (default 9911)")
    serve.add_argument(
        "--refresh-window",
        type=int,
        default=300,
        help="seconds before expiry at which new credentials are fetched (default 300)",
    )
    serve.set_defaults(handler=run_serve)
    update = sub.add_parser("update", help="keep a profile of the shared credentials file fresh")
    _identity_flags(update)
    update.add_argument("--profile", default="default", help="profile to write (default)")
    update.add_argument("--once", action="store_true", help="write once and exit")
    update.add_argument(
        "--refresh-window",
        type=int,
        default=300,
        help="seconds before expiry at which new credentials are written (default 300)",
    )
    update.set_defaults(handler=run_update)


def _fetch(args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    identity = Identity.load(args.certificate, args.private_key, args.intermediates)

    def fetch() -> dict[str, Any]:
        return create_session(
            identity,
            args.endpoint,
            trust_anchor_arn=args.trust_anchor_arn,
            profile_arn=args.profile_arn,
            role_arn=args.role_arn,
            region=args.region,
            duration=args.session_duration,
            role_session_name=args.role_session_name,
            verify=not args.no_verify_ssl,
        )

    return fetch


def run_serve(args: argparse.Namespace) -> int:
    try:
        fetch = _fetch(args)
        cache = imds.CredentialCache(fetch, args.refresh_window, lambda: dt.datetime.now(dt.UTC))
        cache.get()  # fail now, not at the SDK's first request, if nothing works
        server = imds.make_server(args.port, args.role_arn.rsplit("/", 1)[-1], cache)
    except (OSError, ValueError, SessionError) as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 1
    port = server.server_address[1]
    print(f"serving {args.role_arn} on http://127.0.0.1:{port}/ (IMDSv2)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def run_update(args: argparse.Namespace) -> int:
    try:
        credentials_file.keep_fresh(
            credentials_file.default_path(),
            args.profile,
            _fetch(args),
            refresh_window=args.refresh_window,
            once=args.once,
        )
    except (OSError, ValueError, SessionError) as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def run_credential_process(args: argparse.Namespace) -> int:
    try:
        credentials = _fetch(args)()
    except (OSError, ValueError, SessionError) as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(credential_process_output(credentials)))
    return 0
