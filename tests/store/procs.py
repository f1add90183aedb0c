"""Run store workers (``worker.py``) in separate processes, all at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).with_name("worker.py")


def run_workers(url: str, task: str, arg: str, count: int, processes: int) -> list[dict[str, int]]:
    """Start ``processes`` workers together and collect their JSON summaries."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, task, arg, str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(processes)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    return results
