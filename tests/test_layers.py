"""Imports point downward only, as the layer map in DESIGN.md says.

Each package under src/iamd may import the packages listed for it (and the top-level
shared modules errors, config, clock, operations where allowed); third-party imports
are checked for policy/ and model/, which stay pure.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "iamd"

SHARED = {"errors", "config", "clock", "metrics"}
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "policy": {"model"},
    "protocol": {"model", "errors"},
    "store": {"model", "errors", "config", "clock", "metrics"},
    "auth": {"model", "store", "sts", "errors", "config", "clock", "policy"},
    "authz": {"policy", "model", "store", "errors", "config", "clock", "operations", "metrics"},
    "iam": {"policy", "model", "store", "operations", *SHARED},
    "sts": {"policy", "model", "store", "operations", "iam", *SHARED},
    "audit": {"model", "store", "operations", *SHARED},
    "rolesanywhere": {"policy", "model", "store", "operations", "sts", *SHARED},
    "console": {
        "server",
        "operations",
        "protocol",
        "policy",
        "model",
        "iam",
        "sts",
        "auth",
        "audit",
        *SHARED,
    },
    "server": {"*"},
    "cli": {"*"},
}
PURE = {"model", "policy"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _modules() -> list[tuple[str, Path]]:
    return [
        (path.relative_to(SRC).parts[0], path)
        for path in sorted(SRC.rglob("*.py"))
        if len(path.relative_to(SRC).parts) > 1
    ]


@pytest.mark.parametrize(("layer", "path"), _modules(), ids=str)
def test_imports_follow_the_layer_map(layer: str, path: Path) -> None:
    allowed = ALLOWED.get(layer)
    assert allowed is not None, f"src/iamd/{layer}/ is not on the layer map"
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "iamd" and len(parts) > 1:
            target = parts[1]
            if target != layer and "*" not in allowed:
                assert target in allowed, f"{path.relative_to(SRC)} imports {name}"
        elif layer in PURE and parts[0] != "iamd":
            assert parts[0] in sys.stdlib_module_names, f"{path.relative_to(SRC)} imports {name}"
