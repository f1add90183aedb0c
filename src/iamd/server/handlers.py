"""Find every operation: import each module of ``iamd.iam``, ``iamd.sts`` and
``iamd.audit`` (CloudTrail's LookupEvents) and ``iamd.rolesanywhere``.

Operation modules register themselves with ``@iamd.operations.operation`` when imported,
so a new module under ``src/iamd/iam/`` (or a subpackage) is served without anyone
editing a list.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import iamd.audit
import iamd.iam
import iamd.rolesanywhere
import iamd.sts

PACKAGES: tuple[ModuleType, ...] = (iamd.iam, iamd.sts, iamd.audit, iamd.rolesanywhere)


def load_operations(packages: tuple[ModuleType, ...] = PACKAGES) -> list[str]:
    """Import every module of ``packages`` (recursively); returns their names."""
    names: list[str] = []
    for package in packages:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
            names.append(info.name)
    return names
