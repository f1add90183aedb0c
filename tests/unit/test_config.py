"""Settings come from IAMD_* variables and flags, in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamd.config import Quotas, Settings


def test_defaults_and_database_url(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path)
    assert settings.account_id == "123456789012"
    assert settings.database_url == f"sqlite:///{tmp_path / 'iamd.sqlite3'}"
    assert settings.quotas == Quotas()


def test_environment_then_flags() -> None:
    env = {
        "IAMD_DB_URL": "postgresql+psycopg://x/y",
        "IAMD_PORT": "9000",
        "IAMD_ACCOUNT_ID": "111111111111",
    }
    settings = Settings.from_env(env, port=9100, host=None)
    assert settings.database_url == "postgresql+psycopg://x/y"
    assert settings.port == 9100
    assert settings.host == "127.0.0.1"
    assert settings.account_id == "111111111111"


def test_quotas_can_be_raised_or_lowered() -> None:
    settings = Settings.from_env(
        {"IAMD_QUOTA_ROLES_PER_ACCOUNT": "3", "IAMD_QUOTA_POLICY_VERSIONS": "7"}
    )
    assert settings.quotas.roles_per_account == 3
    assert settings.quotas.policy_versions == 7
    assert settings.quotas.users_per_account == Quotas().users_per_account


def test_negative_quota_is_refused() -> None:
    with pytest.raises(ValueError, match="IAMD_QUOTA_ROLES_PER_ACCOUNT"):
        Settings.from_env({"IAMD_QUOTA_ROLES_PER_ACCOUNT": "-1"})
