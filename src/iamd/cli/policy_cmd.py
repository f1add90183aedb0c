"""``iamd policy ...``: offline validation and simulation of policy documents."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    policy = commands.add_parser("policy", help="validate and simulate IAM policies offline")
    sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)
    del sub  # subcommands are added as the engine lands


def _unused(args: argparse.Namespace) -> int:  # pragma: no cover
    return 0
