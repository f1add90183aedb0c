#!/usr/bin/env python3
"""Instructions per request that the audit trail adds, counted by valgrind's callgrind.

A shared machine moves CPU time by a third from one run to the next; counted
instructions do not move with load. For each call, the in-process driver of
``inprocess.py`` runs under ``valgrind --tool=callgrind`` with the trail off and on; the
counters are zeroed after the fixture and a warm-up (``callgrind_control -z``), and the
run is made with ``--small`` and with ``--large`` requests, so that what does not grow
with the requests (the last batch, the interpreter's exit) cancels out:

    per request = (count(large) - count(small)) / (large - small)

Every thread is counted: the recorder's storing thread and SQLite's work in it too.
Kernel work (the write-ahead log's writes, fsync) is not an instruction of the process
and is not counted. Batches are stored as a busy server stores them: full, every
``BATCH`` events, not on the 0.2 s timer (valgrind runs 50 times slower).

    apt-get install valgrind
    python bench/audit_instructions.py [--calls GetRole,AssumeRole,GetCallerIdentity]
        [--small 1000] [--large 3000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures
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

    with tempfile.TemporaryDirectory(prefix="iamd-icount-") as tmp:
        os.environ.update(
            IAMD_DATA_DIR=tmp,
            IAMD_ACCOUNT_ID=ACCOUNT,
            IAMD_ROOT_ACCESS_KEY_ID=inprocess.ROOT[0],
            IAMD_ROOT_SECRET_ACCESS_KEY=inprocess.ROOT[1],
            IAMD_QUOTA_ROLES_PER_ACCOUNT="10000000",
            IAMD_AUDIT=trail,
        )
        from iamd.config import Settings
        from iamd.server.app import build_app
        from iamd.server.runtime import open_runtime, prepare_store

        settings = Settings.from_env()
        prepare_store(settings)
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
            recorder.close()  # the storing thread's last round, and the rest


def count(call: str, trail: str, requests: int, workdir: Path) -> int:
    """Instructions from the zeroing to the end of a run of ``requests``."""
    flag = workdir / f"{call}-{trail}-{requests}"
    log = flag.with_suffix(".log")
    env = dict(os.environ, PYTHONHASHSEED="0")
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={flag}.out",
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
        zero = ["callgrind_control", "-z", str(process.pid)]
        subprocess.run(zero, check=True, capture_output=True)
        flag.with_suffix(".zeroed").touch()
        process.wait()
    found = re.search(r"Collected : (\d+)", log.read_text())
    if process.returncode != 0 or found is None:
        raise RuntimeError(f"{call} {trail} failed:\n{log.read_text()[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default=",".join(CALLS))
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
    runs = [(c, t, n) for c in calls for t in ("off", "on") for n in (args.small, args.large)]
    with (
        tempfile.TemporaryDirectory(prefix="iamd-icount-") as tmp,
        concurrent.futures.ThreadPoolExecutor(args.jobs) as pool,
    ):
        counts = dict(zip(runs, pool.map(lambda r: count(*r, Path(tmp)), runs), strict=True))
    span = args.large - args.small
    for call in calls:
        off, on = (
            (counts[call, t, args.large] - counts[call, t, args.small]) / span
            for t in ("off", "on")
        )
        print(
            f"{call:<18} trail off {off / 1000:7.0f}k  on {on / 1000:7.0f}k  "
            f"added {(on - off) / 1000:5.0f}k ({(on - off) / off:+.1%}) instructions/request"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
