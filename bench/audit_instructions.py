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

    apt-get install valgrind
    python bench/audit_instructions.py [--calls GetRole,AssumeRole,GetCallerIdentity]
        [--trails worker,process] [--small 1000] [--large 3000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import os
import re
import shutil
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
                "valgrind",
                "--tool=callgrind",
                "--trace-children=yes",
                f"--callgrind-out-file={flag}.%p.out",
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
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], check=False, capture_output=True, text=True
        ).stdout.split()
        for pid in (process.pid, *map(int, children)):
            zero = ["callgrind_control", "-z", str(pid)]
            subprocess.run(zero, check=True, capture_output=True)
        flag.with_suffix(".zeroed").touch()
        process.wait()
    text = log.read_text()
    found = {int(pid): int(n) for pid, n in re.findall(r"==(\d+)== Collected : (\d+)", text)}
    if process.returncode != 0 or process.pid not in found:
        raise RuntimeError(f"{call} {trail} failed:\n{text[-2000:]}")
    worker = found.pop(process.pid)
    # Every other process valgrind followed (the storer; a pgrep would count 0 here).
    return worker, sum(found.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default=",".join(CALLS))
    parser.add_argument("--trails", default="worker,process", help="besides off")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at once")
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
        counts = dict(zip(runs, pool.map(lambda r: count(*r, Path(tmp)), runs), strict=True))
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
                + (f"; storing process {storer / 1000:5.0f}k" if trail == "process" else "")
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
