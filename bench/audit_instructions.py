#!/usr/bin/env python3
"""Instructions per request that the audit trail adds, counted by valgrind's callgrind.

A shared machine moves CPU time by a third from one run to the next; counted
instructions do not move with load. For each call, the in-process driver of
``inprocess.py`` runs under ``valgrind --tool=callgrind`` with the trail off and on; the
counters are zeroed after the fixture and a warm-up (``callgrind_control -z``), and the
run is made with ``--small`` and with ``--large`` requests, so that what does not grow
with the requests (the last batch, the interpreter's exit) cancels out:

    per request = (count(large) - count(small)) / (large - small)

Three trails: ``off``; ``worker``, the worker storing its own batches (a server with
``IAMD_AUDIT_PROCESS=off``); ``process``, the worker shipping them to the storing process
that ``iamd serve`` runs (``server.audit_storer``), which is counted apart: valgrind
follows it (``--trace-children``) and its instructions are printed as the storer's.
Every thread is counted: SQLite's checkpoints in the executor's too. Kernel work (the
write-ahead log's writes, fsync, the socket) is not an instruction of a process and is
not counted. A worker stores (or ships) its batches as a busy server does: full, every
``BATCH`` events, not on the 0.2 s timer (valgrind runs 50 times slower); the storing
process stores on its timer, so its batches are smaller than a busy server's.

With ``--http`` the count is of the real server instead: ``iamd serve`` with one worker
runs under valgrind, and requests signed once are sent to it over eight keep-alive
connections. That counts all a worker does for a request (the HTTP parsing, the event
loop, the timers that ship its batches) but the kernel's part, which the trail barely
adds to: the percentages are of a smaller total than the CPU a request costs, so they are
larger than what a client sees. The storing process runs outside valgrind (under it, it
would not start within the 30 s a server gives it) and is not counted here. Under
valgrind a worker answers a few hundred requests a second, so it ships small batches on
its 0.2 s timer, each with its own send, not the full ones of a busy server: more per
event, not less.

    apt-get install valgrind
    python bench/audit_instructions.py [--calls GetRole,AssumeRole,GetCallerIdentity]
        [--trails worker,process] [--small 1000] [--large 3000] [--jobs 2] [--http]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CALLS = ("GetRole", "AssumeRole", "GetCallerIdentity")


def child(call: str, trail: str, count: int, flag: Path) -> None:
    """Under valgrind: the fixture and a warm-up, a flag file, wait to be zeroed, then
    ``count`` requests and the queue stored."""
    sys.path.insert(0, str(HERE))
    import inprocess
    from api_servers import ACCOUNT

    with tempfile.TemporaryDirectory(prefix="iamd-icount-") as tmp, contextlib.ExitStack() as on:
        os.environ.update(
            IAMD_DATA_DIR=tmp,
            IAMD_ACCOUNT_ID=ACCOUNT,
            IAMD_ROOT_ACCESS_KEY_ID=inprocess.ROOT[0],
            IAMD_ROOT_SECRET_ACCESS_KEY=inprocess.ROOT[1],
            IAMD_QUOTA_ROLES_PER_ACCOUNT="10000000",
            IAMD_AUDIT="off" if trail == "off" else "on",
        )
        from iamd.config import Settings
        from iamd.server import audit_storer
        from iamd.server.app import build_app
        from iamd.server.runtime import open_runtime, prepare_store

        settings = Settings.from_env()
        prepare_store(settings)
        if trail == "process":
            storer = on.enter_context(audit_storer.running(settings, start_timeout=900))
            assert storer is not None, "the storing process did not start"
            settings = dataclasses.replace(settings, audit_storer=storer)
        app = build_app(open_runtime(settings))
        driver = inprocess.Driver(app)
        recorder = app.runtime.recorder
        if recorder is not None:
            recorder.interval = 1e9  # full batches only, as a busy server stores them
        fx = inprocess.seed(driver, 20)
        batch = list(inprocess.scopes(call, fx, count + 200))
        inprocess.timed(driver, batch[:200])
        if recorder is not None:
            recorder.flush()
        flag.with_suffix(".ready").touch()
        while not flag.with_suffix(".zeroed").exists():
            time.sleep(0.05)
        inprocess.timed(driver, batch[200:])
        if recorder is not None:
            recorder.close()  # the last batch (shipped: the storer stores it as it stops)


def count(call: str, trail: str, requests: int, workdir: Path) -> tuple[int, int]:
    """Instructions from the zeroing to the end of a run of ``requests``: the worker's,
    and the storing process's (0 without one)."""
    flag = workdir / f"{call}-{trail}-{requests}"
    log = flag.with_suffix(".log")
    env = dict(os.environ, PYTHONHASHSEED="0")
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *_valgrind(flag),
                sys.executable,
                __file__,
                "--child",
                call,
                trail,
                str(requests),
                str(flag),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        while not flag.with_suffix(".ready").exists():
            if process.poll() is not None:
                raise RuntimeError(f"{call} {trail} failed:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        _zero(process.pid)
        flag.with_suffix(".zeroed").touch()
        process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"{call} {trail} failed:\n{log.read_text()[-2000:]}")
    return _collected(log.read_text(), process.pid, f"{call} {trail}")


def count_http(call: str, trail: str, requests: int, workdir: Path) -> tuple[int, int]:
    """``count``, of ``iamd serve`` answering ``requests`` over HTTP."""
    sys.path.insert(0, str(HERE))
    from api_load import signed_request
    from api_servers import IamdServer, seed

    from api import call_of

    flag = workdir / f"http-{call}-{trail}-{requests}"

    class Counted(IamdServer):
        start_timeout = stop_timeout = 900.0  # 50 times slower under valgrind

        def command(self) -> list[str]:
            # The storing process runs as it is: under valgrind it would not start within
            # the 30 s a server gives it. Its instructions per event are the in-process
            # run's.
            return [*_valgrind(flag, children=False), *super().command()]

        def env(self) -> dict[str, str]:
            return dict(super().env(), PYTHONHASHSEED="0")

    server = Counted(flag, 1, trail)
    with server:
        assert server.process is not None
        fixture = seed(server, roles=20)
        raw = signed_request(server.endpoint, *call_of(call, fixture))
        _send(server.port, raw, 200)  # the warm-up
        time.sleep(2)  # its last batch, stored
        pid = server.process.pid
        _zero(pid, children=False)
        _send(server.port, raw, requests)
        time.sleep(2)
    log = server.log_path.read_text()
    if "storing process did not start" in log:
        raise RuntimeError(f"{call} {trail} over HTTP: the storing process did not start")
    return _collected(log, pid, f"{call} {trail} over HTTP")


def _valgrind(flag: Path, children: bool = True) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        f"--trace-children={'yes' if children else 'no'}",
        f"--callgrind-out-file={flag}.%p.out",
    ]


def _zero(pid: int, children: bool = True) -> None:
    """Zero the counters of ``pid`` and of its children (the storing process)."""
    found = subprocess.run(
        ["pgrep", "-P", str(pid)], check=False, capture_output=True, text=True
    ).stdout.split()
    for each in (pid, *(map(int, found) if children else ())):
        subprocess.run(["callgrind_control", "-z", str(each)], check=True, capture_output=True)


def _collected(log: str, pid: int, what: str) -> tuple[int, int]:
    """From valgrind's log: ``pid``'s instructions, and every other process's it followed
    (the storer; a pgrep would count 0 here)."""
    found = {int(p): int(n) for p, n in re.findall(r"==(\d+)== Collected : (\d+)", log)}
    if pid not in found:
        raise RuntimeError(f"{what} failed:\n{log[-2000:]}")
    worker = found.pop(pid)
    return worker, sum(found.values())


def _send(port: int, raw: bytes, count: int, connections: int = 8) -> None:
    """Send ``raw`` ``count`` times over ``connections`` keep-alive connections at once,
    each waiting for its answer (a 200) before the next."""

    def run(share: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=600) as sock:
            answers = sock.makefile("rb")
            for _ in range(share):
                sock.sendall(raw)
                status = answers.readline()
                if b" 200 " not in status:
                    raise RuntimeError(f"answered {status!r}")
                length = 0
                while (line := answers.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answers.read(length)

    shares = [count // connections + (i < count % connections) for i in range(connections)]
    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        list(pool.map(run, shares))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default=",".join(CALLS))
    parser.add_argument("--trails", default="worker,process", help="besides off")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at once")
    parser.add_argument("--http", action="store_true", help="count iamd serve over HTTP")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        call, trail, requests, flag = args.child
        child(call, trail, int(requests), Path(flag))
        return 0
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("bench/audit_instructions.py needs valgrind: apt-get install -y valgrind")
        return 2
    calls = [c for c in args.calls.split(",") if c]
    trails = ["off", *(t for t in args.trails.split(",") if t in ("worker", "process"))]
    runs = [(c, t, n) for c in calls for t in trails for n in (args.small, args.large)]
    with (
        tempfile.TemporaryDirectory(prefix="iamd-icount-") as tmp,
        concurrent.futures.ThreadPoolExecutor(args.jobs) as pool,
    ):
        counter = count_http if args.http else count
        counts = dict(zip(runs, pool.map(lambda r: counter(*r, Path(tmp)), runs), strict=True))
    span = args.large - args.small

    def per_request(call: str, trail: str, which: int) -> float:
        large, small = counts[call, trail, args.large], counts[call, trail, args.small]
        return (large[which] - small[which]) / span

    for call in calls:
        off = per_request(call, "off", 0)
        print(f"{call:<18} trail off {off / 1000:7.0f}k instructions/request")
        for trail in trails[1:]:
            on, storer = per_request(call, trail, 0), per_request(call, trail, 1)
            print(
                f"{'':<18} {trail:<8} worker {on / 1000:7.0f}k, added {(on - off) / 1000:5.0f}k "
                f"({(on - off) / off:+.1%})"
                + (
                    f"; storing process {storer / 1000:5.0f}k"
                    if trail == "process" and not args.http
                    else ""
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
