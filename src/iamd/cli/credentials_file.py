"""Keeping a profile of the shared credentials file (``~/.aws/credentials``) fresh.

What ``iamd credentials update`` does, for tools that read only that file: it writes the
role's temporary credentials into one profile (``aws_access_key_id``,
``aws_secret_access_key``, ``aws_session_token``), leaving the file's other profiles as
they are, and with ``once`` unset writes new ones ``refresh_window`` seconds before they
expire, until stopped. The file is replaced atomically and readable by its owner only.
Comments in the file are not kept (``configparser`` drops them).
"""

from __future__ import annotations

import configparser
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Fetch = Callable[[], dict[str, Any]]


def default_path() -> Path:
    configured = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    return Path(configured).expanduser() if configured else Path.home() / ".aws" / "credentials"


def write_profile(path: Path, profile: str, credentials: dict[str, Any]) -> None:
    """Put ``credentials`` (CreateSession's JSON form) under ``[profile]`` in ``path``."""
    parser = configparser.RawConfigParser()
    if path.exists():
        parser.read(path, encoding="utf-8")
    if not parser.has_section(profile):
        parser.add_section(profile)
    parser.set(profile, "aws_access_key_id", credentials["accessKeyId"])
    parser.set(profile, "aws_secret_access_key", credentials["secretAccessKey"])
    parser.set(profile, "aws_session_token", credentials["sessionToken"])
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            parser.write(out)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def keep_fresh(
    path: Path,
    profile: str,
    fetch: Fetch,
    *,
    refresh_window: int,
    once: bool,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> None:
    """Write credentials now and, unless ``once``, again before each set expires."""
    while True:
        credentials = fetch()
        write_profile(path, profile, credentials)
        if once:
            return
        expires = dt.datetime.fromisoformat(credentials["expiration"].replace("Z", "+00:00"))
        wait = (expires - now()).total_seconds() - refresh_window
        sleep(max(wait, 1.0))
