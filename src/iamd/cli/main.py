"""Entry point of the ``iamd`` command: builds the parser and dispatches to a subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from iamd import __version__
from iamd.cli import (
    account_cmd,
    audit_cmd,
    credentials_cmd,
    db_cmd,
    idp_cmd,
    keys_cmd,
    policy_cmd,
    role_cmd,
    serve_cmd,
    service_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iamd", description="A self-hosted, AWS-compatible IAM and STS service."
    )
    parser.add_argument("--version", action="version", version=f"iamd {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    policy_cmd.register(commands)
    serve_cmd.register(commands)
    account_cmd.register(commands)
    keys_cmd.register(commands)
    db_cmd.register(commands)
    audit_cmd.register(commands)
    role_cmd.register(commands)
    service_cmd.register(commands)
    idp_cmd.register(commands)
    credentials_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
