"""Patterns written to make a backtracking matcher take hours are decided, and rightly.

``bench/adversarial_globs.py --check`` runs every case (Action, NotAction, Resource,
NotResource, StringLike, ArnLike, with and without policy variables, ``*`` and ``?``)
once and checks its decision. It runs in a subprocess with a generous deadline, so a
matcher that backtracks fails this test instead of hanging the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 300  # seconds; the cases take milliseconds, and hours on a backtracking matcher


def test_adversarial_patterns_are_decided() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")])}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "adversarial_globs.py"), "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WRONG" not in done.stdout
    assert done.stdout.count("\n") == 10
