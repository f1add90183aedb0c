"""A separate process that writes to a store, for the multi-process concurrency tests.

Usage: python worker.py URL TASK ARG COUNT; prints a JSON summary on stdout.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rows import add_role, add_version_if_room  # type: ignore[import-not-found]

from iamd.store.db import Database, RowConflict, touch_account


def main(url: str, task: str, arg: str, count: int) -> dict[str, int]:
    summary = {"ok": 0, "conflict": 0, "full": 0}
    with Database(url) as db:
        for i in range(count):
            try:
                if task == "role":
                    name = arg.upper() if i % 2 else arg.lower()
                    db.run(True, functools.partial(add_role, name=name))
                    summary["ok"] += 1
                elif task == "version":
                    added = db.run(True, lambda conn: add_version_if_room(conn, arg))
                    summary["ok" if added else "full"] += 1
                elif task == "touch":
                    db.run(True, lambda conn: touch_account(conn, arg))
                    summary["ok"] += 1
                else:
                    raise SystemExit(f"unknown task {task}")
            except RowConflict:
                summary["conflict"] += 1
    return summary


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))))
