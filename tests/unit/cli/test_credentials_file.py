"""``iamd credentials update``'s loop and file writing, with an injected clock and sleep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from iamd.cli import credentials_file

NOW = dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC)


class Stop(Exception):
    pass


def test_new_credentials_are_written_the_refresh_window_before_expiry(tmp_path: Path) -> None:
    issued: list[str] = []
    waits: list[float] = []

    def fetch() -> dict[str, Any]:
        key = f"ASIA{len(issued):016d}"
        issued.append(key)
        expires = NOW + dt.timedelta(hours=1)
        return {
            "accessKeyId": key,
            "secretAccessKey": "s",
            "sessionToken": "t",
            "expiration": expires.isoformat().replace("+00:00", "Z"),
        }

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise Stop

    path = tmp_path / "credentials"
    path.write_text("[keep]\naws_access_key_id = AKIAKEEP\n")
    with pytest.raises(Stop):
        credentials_file.keep_fresh(
            path, "app", fetch, refresh_window=300, once=False, sleep=sleep, now=lambda: NOW
        )
    assert waits == [3300.0, 3300.0]
    text = path.read_text()
    assert issued[-1] in text and issued[0] not in text
    assert "AKIAKEEP" in text
