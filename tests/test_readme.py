"""The README's test command is the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _code_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "README must open with a sh block of the two commands"
    return [ln for ln in block.group(1).splitlines() if ln and not ln.startswith("#")]


def test_readme_opens_with_install_and_test_commands() -> None:
    lines = _code_lines()
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && iamd ")


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _code_lines()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci
