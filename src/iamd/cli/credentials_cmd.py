"""``iamd credentials credential-process``: role credentials from an X.509 certificate.

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
import json
import sys
from pathlib import Path
from typing import Any

from iamd.cli.rolesanywhere_client import (
    Identity,
    SessionError,
    create_session,
    credential_process_output,
)


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
    process.add_argument("--certificate", required=True, type=Path, help="PEM certificate")
    process.add_argument("--private-key", required=True, type=Path, help="PEM private key")
    process.add_argument("--intermediates", type=Path, help="PEM intermediate certificates")
    process.add_argument("--trust-anchor-arn", required=True)
    process.add_argument("--profile-arn", required=True)
    process.add_argument("--role-arn", required=True)
    process.add_argument("--endpoint", required=True, help="e.g. https://127.0.0.1:4566")
    process.add_argument("--region", default="us-east-1")
    process.add_argument("--session-duration", type=int, help="seconds (900-43200)")
    process.add_argument("--role-session-name")
    process.add_argument("--no-verify-ssl", action="store_true", help="skip TLS verification")
    process.set_defaults(handler=run_credential_process)


def run_credential_process(args: argparse.Namespace) -> int:
    try:
        identity = Identity.load(args.certificate, args.private_key, args.intermediates)
        credentials = create_session(
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
    except (OSError, ValueError, SessionError) as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(credential_process_output(credentials)))
    return 0
