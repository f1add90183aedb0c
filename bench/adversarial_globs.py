#!/usr/bin/env python3
"""Wildcard patterns written to make a backtracking matcher take hours, and what they cost.

Each case is one decision of iamd's engine: a policy whose pattern has many ``*`` (or
``?``) that almost matches a long value (``*a*a*a...*b`` against a run of ``a``), in
every place a policy globs: Action, NotAction, Resource, NotResource, StringLike,
ArnLike, and patterns with policy variables. A regex engine that backtracks takes time
exponential in the stars on these; iamd's matcher takes time linear in the pattern
times the value.

    python bench/adversarial_globs.py [--stars 24] [--length 4000] [--seconds 1]
    python bench/adversarial_globs.py --check    # each case once, decisions checked

``--check`` is what ``tests/unit/policy/test_adversarial_globs.py`` runs (in a
subprocess, so a matcher that hangs fails it instead of hanging the suite).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from iamd import policy

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"


def _policy(statement: dict[str, Any]) -> Any:
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return policy.compile_policy(
        policy.parse_policy(document, policy.PolicyKind.IDENTITY), "adversarial"
    )


Decision = Callable[[], bool]


def cases(stars: int, length: int) -> list[tuple[str, Decision, bool]]:
    """(name, one decision -> allowed, the allowed AWS gives) for each adversarial case."""
    # Never match the run of "a" that ends in "b", the worst case for backtracking; the
    # second makes each place tried in the value cost the most to iamd's matcher.
    almost = "*a" * stars + "*c*b"
    question = "*" + "a?" * stars + "c*b"
    run = "a" * length + "b"
    caller = policy.role_session(ROLE_ARN, "AROAEXAMPLEID12345678", "s1")
    base = policy.principal_context(caller)

    def decide(statement: dict[str, Any], action: str, resource: str, **ctx: Any) -> Decision:
        """One decision, its policy compiled and its request built beforehand."""
        policies = policy.PolicySet(identity=[_policy(statement)])
        context = dict(base)
        context.update(policy.make_context(ctx))
        request = policy.Request(caller, action, resource, context)
        return lambda: policy.evaluate(request, policies).allowed

    role = f"arn:aws:iam::{ACCOUNT}:role/{run}"
    bucket = f"arn:aws:s3:::{run}"
    allow_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    return [
        (
            "Resource",
            decide(
                {**allow_all, "Resource": f"arn:aws:iam::{ACCOUNT}:role/{almost}"},
                "iam:GetRole",
                role,
            ),
            False,
        ),
        (
            "Resource, ? runs",
            decide(
                {**allow_all, "Resource": f"arn:aws:iam::{ACCOUNT}:role/{question}"},
                "iam:GetRole",
                role,
            ),
            False,
        ),
        (
            "NotResource",
            decide(
                {"Effect": "Allow", "Action": "*", "NotResource": f"arn:aws:s3:::{almost}"},
                "s3:GetObject",
                bucket,
            ),
            True,
        ),
        (
            "Action",
            decide({**allow_all, "Action": f"iam:{almost}"}, f"iam:{run}", "*"),
            False,
        ),
        (
            "NotAction",
            decide(
                {"Effect": "Allow", "NotAction": f"iam:{almost}", "Resource": "*"},
                f"iam:{run}",
                "*",
            ),
            True,
        ),
        (
            "StringLike",
            decide(
                {**allow_all, "Condition": {"StringLike": {"aws:RequestTag/team": almost}}},
                "iam:TagRole",
                "*",
                **{"aws:RequestTag/team": run},
            ),
            False,
        ),
        (
            "ArnLike",
            decide(
                {
                    **allow_all,
                    "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{almost}"}},
                },
                "sts:AssumeRole",
                "*",
                **{"aws:SourceArn": bucket},
            ),
            False,
        ),
        (
            "Resource with a variable",
            decide(
                {**allow_all, "Resource": f"arn:aws:s3:::${{aws:username}}{almost}"},
                "s3:GetObject",
                bucket,
                **{"aws:username": "a"},
            ),
            False,
        ),
        (
            "StringLike with a variable",
            decide(
                {
                    **allow_all,
                    "Condition": {
                        "StringLike": {"aws:RequestTag/team": f"${{aws:username}}{question}"}
                    },
                },
                "iam:TagRole",
                "*",
                **{"aws:RequestTag/team": run, "aws:username": "a"},
            ),
            False,
        ),
        (
            "ArnLike with a variable",
            decide(
                {
                    **allow_all,
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::${{aws:username}}{almost}"}
                    },
                },
                "sts:AssumeRole",
                "*",
                **{"aws:SourceArn": bucket, "aws:username": "a"},
            ),
            False,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stars", type=int, default=24, help="wildcards per pattern")
    parser.add_argument("--length", type=int, default=4000, help="characters per value")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per case")
    parser.add_argument("--check", action="store_true", help="run each case once and check it")
    args = parser.parse_args(argv)
    failed = 0
    for name, decide, expected in cases(args.stars, args.length):
        if args.check:
            got = decide()
            failed += got is not expected
            print(
                f"{name}: {'allowed' if got else 'denied'}{'' if got is expected else ' (WRONG)'}"
            )
            continue
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < args.seconds:
            decide()
            count += 1
        print(f"{name:28s} {elapsed / count * 1e6:10.1f} us/decision")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
