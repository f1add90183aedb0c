#!/usr/bin/env python3
"""Decisions per second of iamd's policy engine, and of cedarpy on the same workload.

Workload: ``policies.json`` beside this file (one role, ten identity policies, twenty
requests with the decision AWS gives). Both engines are checked against the expected
decisions before they are timed; both are timed single-threaded in the same run, one
decision per call, cycling through the request mix.

    pip install -e '.[bench]'
    python bench/policy_eval.py [--seconds 2] [--repeats 5]

The last line reads ``iamd/cedarpy: R``, R being the ratio of decisions per second.
The engine also plugs into ../shared/bench/compare_engines.py:
``--engine policy_eval:make_engine`` with this folder on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iamd import policy

HERE = Path(__file__).resolve().parent
Decide = Callable[[str, str, dict[str, Any]], bool]


def make_engine(workload: dict[str, Any]) -> Decide:
    """iamd's engine for the workload's role: f(action, resource, context) -> allowed."""
    compiled = [
        policy.compile_policy(
            policy.parse_policy(json.dumps(p["document"]), policy.PolicyKind.IDENTITY), p["name"]
        )
        for p in workload["policies"]
    ]
    policies = policy.PolicySet(identity=compiled)
    role = workload["role"]
    caller = policy.role_session(role["arn"], role["role_id"], "bench")
    evaluate, request, make_context = policy.evaluate, policy.Request, policy.make_context

    def decide(action: str, resource: str, context: dict[str, Any]) -> bool:
        return evaluate(request(caller, action, resource, make_context(context)), policies).allowed

    return decide


def make_cedar(workload: dict[str, Any]) -> Callable[[int], bool]:
    """cedarpy with pre-parsed handles, the policies translated to Cedar."""
    import cedarpy
    from cedar_translation import entities, requests, to_cedar

    policy_set = cedarpy.PolicySet.from_str(to_cedar(workload))
    ents = cedarpy.Entities.from_json_str(json.dumps(entities(workload)))
    reqs = requests(workload)
    allow = cedarpy.Decision.Allow

    def decide(i: int) -> bool:
        return bool(cedarpy.is_authorized(reqs[i], policy_set, ents).decision == allow)

    return decide


def rate(call: Callable[[int], bool], n: int, seconds: float, repeats: int) -> list[float]:
    for i in range(200):
        call(i % n)
    rates = []
    for _ in range(repeats):
        done = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            for i in range(n):
                call(i)
            done += n
            now = time.perf_counter()
            if now >= deadline:
                break
        rates.append(done / (now - start))
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default=str(HERE / "policies.json"))
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    workload = json.loads(Path(args.workload).read_text())
    reqs = workload["requests"]
    expected = [r["expected"] == "Allow" for r in reqs]
    iamd_decide = make_engine(workload)

    def iamd_call(i: int) -> bool:
        r = reqs[i]
        return iamd_decide(r["action"], r["resource"], r.get("context", {}))

    engines: dict[str, Callable[[int], bool]] = {"iamd": iamd_call}
    try:
        engines["cedarpy"] = make_cedar(workload)
    except ImportError:
        print("cedarpy is not installed (pip install -e '.[bench]'); timing iamd alone")

    print(
        f"python {platform.python_version()} on {platform.machine()}; "
        f"{len(workload['policies'])} policies, {len(reqs)} requests"
    )
    for name, call in engines.items():
        got = [call(i) for i in range(len(reqs))]
        wrong = [i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e]
        if wrong:
            raise SystemExit(f"{name} decides requests {wrong} differently from AWS")
    print(f"all engines give AWS's decision on all {len(reqs)} requests")

    medians = {}
    for name, call in engines.items():
        rates = rate(call, len(reqs), args.seconds, args.repeats)
        medians[name] = statistics.median(rates)
        print(
            f"{name:10s} median {medians[name]:12,.0f} decisions/s   best {max(rates):12,.0f}"
            f"   {1e6 / medians[name]:6.2f} us/decision"
        )
    if "cedarpy" in medians:
        print(f"iamd/cedarpy: {medians['iamd'] / medians['cedarpy']:.1f}")


if __name__ == "__main__":
    main()
