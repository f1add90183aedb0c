"""An in-process app on a temporary SQLite store, for tests that need to reach inside."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.config import Settings
from iamd.server.app import IamdApp, build_app
from iamd.server.runtime import Runtime, open_runtime, prepare_store

from .asgi import KEY_ID, SECRET


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        root_access_key_id=KEY_ID,
        root_secret_access_key=SECRET,
        master_key=base64.b64encode(b"k" * 32).decode(),
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    prepare_store(settings)
    rt = open_runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def app(runtime: Runtime) -> IamdApp:
    return build_app(runtime)
