"""``iamd keys list|rotate|retire`` on a SQLite store, called in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamd.cli.main import main


def _keys(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["keys", *args, "--json"]) == 0
    keys: list[dict[str, object]] = json.loads(capsys.readouterr().out)["Keys"]
    return keys


def test_rotate_list_retire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IAMD_DB_URL", raising=False)
    monkeypatch.delenv("IAMD_MASTER_KEY", raising=False)
    where = ["--data-dir", str(tmp_path)]
    assert _keys(capsys, "list", *where) == []
    first = _keys(capsys, "rotate", *where)
    assert [k["Active"] for k in first] == [True]
    second = _keys(capsys, "rotate", *where)
    assert [k["Active"] for k in second] == [False, True]
    old, new = second[0]["KeyId"], second[1]["KeyId"]
    assert main(["keys", "retire", str(new), *where]) == 1
    assert "is active" in capsys.readouterr().err
    assert main(["keys", "retire", "00000000", *where]) == 1
    capsys.readouterr()
    remaining = _keys(capsys, "retire", str(old), *where)
    assert [k["KeyId"] for k in remaining] == [new]
