"""``iamd policy validate`` and ``iamd policy simulate``: the engine, offline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from iamd.policy import PolicyError, PolicyKind, parse_policy, policy_size
from iamd.policy.simulate import SimulationInputError, simulate_custom_policy

# AWS's default size quotas per kind of document (characters, whitespace excluded).
DEFAULT_MAX_SIZE = {
    PolicyKind.IDENTITY: 6144,
    PolicyKind.BOUNDARY: 6144,
    PolicyKind.TRUST: 2048,
    PolicyKind.SESSION: 2048,
    PolicyKind.SCP: 5120,
    PolicyKind.RCP: 5120,
}


def register(commands: Any) -> None:
    policy = commands.add_parser("policy", help="validate and simulate IAM policies offline")
    sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)

    validate = sub.add_parser("validate", help="check a policy document for its kind")
    validate.add_argument(
        "--kind", required=True, choices=[k.value for k in PolicyKind], help="kind of policy"
    )
    validate.add_argument(
        "--max-size", type=int, help="size quota (default: AWS's for the kind, if it has one)"
    )
    validate.add_argument("file", help="policy document (JSON); - for standard input")
    validate.set_defaults(handler=run_validate)

    simulate = sub.add_parser(
        "simulate", help="answer a SimulateCustomPolicy request given as AWS's JSON"
    )
    simulate.add_argument("--input", required=True, help="request JSON file; - for stdin")
    simulate.set_defaults(handler=run_simulate)


def _read(path: str) -> str:
    return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")


def run_validate(args: argparse.Namespace) -> int:
    kind = PolicyKind(args.kind)
    try:
        text = _read(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.file}: cannot read: {exc}", file=sys.stderr)
        return 2
    problems: list[str] = []
    try:
        parse_policy(text, kind)
    except PolicyError as exc:
        problems.extend(exc.problems)
    limit = args.max_size or DEFAULT_MAX_SIZE.get(kind)
    if limit is not None and policy_size(text) > limit:
        problems.append(f"Cannot exceed quota for PolicySize: {limit}")
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}")
        return 1
    print(f"{args.file}: valid {kind.value} policy ({policy_size(text)} characters)")
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    try:
        params = json.loads(_read(args.input))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"{args.input}: cannot read a JSON request: {exc}", file=sys.stderr)
        return 2
    if not isinstance(params, dict):
        print(f"{args.input}: the request must be a JSON object", file=sys.stderr)
        return 2
    try:
        response = simulate_custom_policy(params)
    except PolicyError as exc:
        print(f"MalformedPolicyDocument: {exc}", file=sys.stderr)
        return 1
    except SimulationInputError as exc:
        print(f"InvalidInput: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(response, indent=4))
    return 0
