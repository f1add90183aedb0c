#!/usr/bin/env python3
"""Requests per second and latency of ``iamd serve`` and of moto's server, same calls, same run.

Calls: GetRole, ListRoles (first page), CreateRole (a new name each time) as the
account's root; AssumeRole as an IAM user the role trusts; GetCallerIdentity with the
session credentials AssumeRole returned. Each server gets the same fixture through boto3
(a user with a key, 100 roles) and then the same load: requests signed ahead of time
with botocore's SigV4 signer and replayed by wrk over ``--connections`` keep-alive
connections for ``--seconds`` each (``api_load.py``). iamd runs with each of
``--workers``; moto's server is one process. All servers run side by side, and each of
``--rounds`` measures every call on each of them in turn; the table shows each call's
median round, so that a slow spell of a shared machine, which lands on one round, is
left out for every server alike. Then GetRole and ListRoles are measured on one iamd
with 100 roles and again after its store is grown to ``--large`` roles by direct
inserts.

    apt-get install wrk && pip install -e '.[bench]'
    python bench/api.py [--seconds 5] [--connections 16] [--workers 1,2] [--rounds 3]
    python bench/api.py --audit-ab --workers 1 --rounds 5 --calls GetRole,AssumeRole

``--audit-ab`` runs, for each worker count, iamd servers side by side instead of moto:
the audit trail off (``IAMD_AUDIT=off``), on (its queued events stored by the storing
process of ``iamd serve``) and on with the workers storing them (``IAMD_AUDIT_PROCESS=off``),
and ends with each call's cost of the trail: the requests per second it took, of the
median runs and by the median of the rounds' own ratios. With ``--rounds``, each round
measures a call on every server in turn, then the next call: a run is compared with
runs a few seconds from it.

The last lines read ``iamd/moto GetRole: R`` per call, R being the ratio of the median
requests/s (iamd with the most workers), followed by each round's own ratio. Loopback
only; every server and wrk run stops by itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

from api_load import Call, Keys, Result, have_wrk, replay, signed_request, write_requests
from api_servers import ROOT, Fixture, IamdServer, MotoServer, Server, seed, seed_roles_sql

CALLS = ("GetRole", "ListRoles", "AssumeRole", "GetCallerIdentity", "CreateRole")
SIZE_CALLS = ("GetRole", "ListRoles")
EXPECT = {  # a fragment of a successful answer, checked once before each call is timed
    "GetRole": b"<GetRoleResult>",
    "ListRoles": b"<ListRolesResult>",
    "AssumeRole": b"<AssumeRoleResult>",
    "GetCallerIdentity": b":assumed-role/",
    "CreateRole": b"<CreateRoleResult>",
}


def call_of(name: str, fx: Fixture, role: str = "") -> tuple[Call, Keys]:
    """The call ``name`` against the fixture, and the keys it is signed with."""
    if name == "GetRole":
        return Call("iam", "GetRole", (("RoleName", fx.role_name),)), ROOT
    if name == "ListRoles":
        return Call("iam", "ListRoles", ()), ROOT
    if name == "CreateRole":
        params = (("RoleName", role), ("AssumeRolePolicyDocument", fx.trust_policy))
        return Call("iam", "CreateRole", params), ROOT
    if name == "AssumeRole":
        params = (("RoleArn", fx.role_arn), ("RoleSessionName", "bench"))
        return Call("sts", "AssumeRole", params), fx.user
    if name == "GetCallerIdentity":
        return Call("sts", "GetCallerIdentity", ()), fx.session
    raise ValueError(name)


def check(server: Server, raw: bytes, expect: bytes) -> None:
    """Send one signed request and insist on a 200 with the expected answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")[1:]
    headers = dict(line.split(": ", 1) for line in lines)
    headers.pop("Content-Length")
    request = urllib.request.Request(server.endpoint + "/", body, headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = response.read()
    if expect not in answer:
        raise RuntimeError(f"{server.name}: unexpected answer {answer[:300]!r}")


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.calls = tuple(c for c in CALLS if c in args.calls.split(","))
        self.runs = 0

    def requests_file(self, requests: Iterator[bytes]) -> Path:
        self.runs += 1
        path = self.workdir / f"requests-{self.runs}.txt"
        write_requests(path, requests)
        return path

    def measure(self, server: Server, name: str, fx: Fixture, seconds: float) -> Result:
        if name == "CreateRole":
            tag = f"c{self.runs:02d}-"
            call, keys = call_of(name, fx, role=f"{tag}check")
            check(server, signed_request(server.endpoint, call, keys), EXPECT[name])
            path = self.requests_file(
                signed_request(server.endpoint, *call_of(name, fx, role=f"{tag}{i:06d}"))
                for i in range(self.args.create_requests)
            )
        else:
            call, keys = call_of(name, fx)
            raw = signed_request(server.endpoint, call, keys)
            check(server, raw, EXPECT[name])
            path = self.requests_file(iter([raw]))
        result = replay(server.endpoint, path, seconds=seconds, connections=self.args.connections)
        path.unlink()
        flag = ""
        if result.non_2xx or result.socket_errors:
            flag = f"  ({result.non_2xx} non-2xx, {result.socket_errors} socket errors)"
        if name == "CreateRole" and result.requests > self.args.create_requests:
            flag += "  (names ran out: raise --create-requests)"
        print(
            f"  {server.name:<18} {name:<18} {result.rate:>9,.0f} req/s  "
            f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms{flag}",
            flush=True,
        )
        return result

    def warm(self, server: Server, fx: Fixture) -> None:
        for name in (c for c in CALLS if c != "CreateRole"):
            call, keys = call_of(name, fx)
            path = self.requests_file(iter([signed_request(server.endpoint, call, keys)]))
            replay(server.endpoint, path, seconds=1, connections=self.args.connections)
            path.unlink()

    def sizes(self, workers: int) -> dict[tuple[str, int], Result]:
        """GetRole and ListRoles on one iamd with 100 roles, then with ``--large``."""
        results: dict[tuple[str, int], Result] = {}
        with IamdServer(self.workdir / "iamd-size", workers) as server:
            assert isinstance(server, IamdServer)
            fx = seed(server)
            self.warm(server, fx)
            for name in SIZE_CALLS:
                results[name, 100] = self.measure(server, name, fx, self.args.seconds)
            started = time.monotonic()
            added = seed_roles_sql(server, self.args.large)
            print(
                f"  seeded {added:,} roles by SQL in {time.monotonic() - started:.1f} s",
                flush=True,
            )
            self.warm(server, fx)
            for name in SIZE_CALLS:
                results[name, self.args.large] = self.measure(server, name, fx, self.args.seconds)
        return results


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def median(runs: list[Result]) -> Result:
    """The run with the median rate (the lower middle one of an even number)."""
    ordered = sorted(runs, key=lambda r: r.rate)
    return ordered[(len(ordered) - 1) // 2]


def cell(r: Result) -> str:
    return f"{r.rate:,.0f} ({r.p50_ms:.2f} / {r.p99_ms:.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per call (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--workers", default="1,2", help="iamd worker counts (default 1,2)")
    parser.add_argument(
        "--create-requests",
        type=int,
        default=40_000,
        metavar="N",
        help="distinct signed CreateRole requests per server (40000)",
    )
    parser.add_argument("--large", type=int, default=100_000, help="roles in the large store")
    parser.add_argument("--calls", default=",".join(CALLS), help="which calls (default all)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure every server this often; report medians"
    )
    parser.add_argument("--no-moto", action="store_true", help="measure iamd only")
    parser.add_argument("--no-sizes", action="store_true", help="skip 100 vs --large roles")
    parser.add_argument(
        "--audit-ab", action="store_true", help="iamd with the trail off and on (no moto)"
    )
    args = parser.parse_args(argv)
    if args.audit_ab:
        args.no_moto = args.no_sizes = True
    if not have_wrk():
        print("bench/api.py needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    workers = [int(w) for w in args.workers.split(",")]
    load = os.getloadavg()
    print(
        f"{dt.date.today()}  {platform.machine()}  {os.cpu_count()} cores  "
        f"Python {platform.python_version()}  load {load[0]:.1f}  "
        f"{args.connections} connections, {args.seconds:g} s per call",
        flush=True,
    )
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="iamd-bench-")))
        bench = Bench(args, workdir)
        rounds: dict[str, dict[str, list[Result]]] = {}
        trails = ("off", "on", "worker") if args.audit_ab else (None,)
        makers: list[Callable[[], Server]] = [
            functools.partial(IamdServer, workdir / f"iamd-{w}-{t}", w, t)
            for w in workers
            for t in trails
        ]
        if not args.no_moto:
            makers.append(functools.partial(MotoServer, workdir / "moto"))
        # Every server runs for the whole benchmark, and each round measures them one after
        # another: a slow spell of a shared machine then lands on every server's round, and
        # the median of the rounds leaves it out.
        servers = [stack.enter_context(make()) for make in makers]
        fixtures = [seed(server) for server in servers]
        for server, fx in zip(servers, fixtures, strict=True):
            bench.warm(server, fx)
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}", flush=True)
            # Call by call, every server in turn: the runs compared are seconds apart.
            for call in bench.calls:
                for server, fx in zip(servers, fixtures, strict=True):
                    result = bench.measure(server, call, fx, args.seconds)
                    rounds.setdefault(server.name, {}).setdefault(call, []).append(result)
        for server in reversed(servers):
            server.stop()
        sizes = {} if args.no_sizes else bench.sizes(max(workers))
    print(f"load at the end {os.getloadavg()[0]:.1f}\n")
    results = {
        name: {call: median(runs) for call, runs in calls.items()} for name, calls in rounds.items()
    }
    names = list(results)
    rows = [["call", *[f"{n} req/s (p50 / p99 ms)" for n in names]]]
    rows += [[call, *[cell(results[n][call]) for n in names]] for call in bench.calls]
    if args.rounds > 1:
        print(f"median of {args.rounds} rounds")
    print(table(rows))
    if sizes:
        print()
        rows = [["call", "100 roles", f"{args.large:,} roles", "ratio"]]
        for call in SIZE_CALLS:
            small, large = sizes[call, 100], sizes[call, args.large]
            ratio = large.rate / small.rate if small.rate else 0.0
            rows.append([call, cell(small), cell(large), f"{ratio:.2f}"])
        print(table(rows))
    if args.audit_ab:
        print()
        for w in workers:
            off = IamdServer(workdir, w, "off").name
            for on in (IamdServer(workdir, w, t).name for t in ("on", "worker")):
                for call in bench.calls:
                    slower = 1 - results[on][call].rate / results[off][call].rate
                    own = [
                        1 - b.rate / a.rate
                        for a, b in zip(rounds[off][call], rounds[on][call], strict=True)
                    ]
                    each = ", ".join(f"{x:+.1%}" for x in own)
                    print(
                        f"{on}: {call} {slower:+.1%} fewer requests/s, "
                        f"{statistics.median(own):+.1%} by the median round (rounds: {each})"
                    )
    if "moto" in results:
        best = IamdServer(workdir, max(workers)).name
        for name in [n for n in names if n not in ("moto", best)] + [best]:
            print()
            label = "iamd" if name == best else name
            for call in bench.calls:
                moto = results["moto"][call].rate
                ratio = results[name][call].rate / moto if moto else 0.0
                each = ""
                if args.rounds > 1:
                    pairs = zip(rounds[name][call], rounds["moto"][call], strict=True)
                    each = (
                        "  (rounds: "
                        + ", ".join(f"{r.rate / m.rate:.1f}" if m.rate else "-" for r, m in pairs)
                        + ")"
                    )
                print(f"{label}/moto {call}: {ratio:.1f}{each}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
