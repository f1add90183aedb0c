"""Settings, built once from ``IAMD_*`` environment variables and command-line flags.

Nothing else reads the environment: ``Settings.from_env`` is the one place, and the
settings are passed explicitly to whatever needs them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "iamd"
DEFAULT_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True, slots=True)
class Quotas:
    """AWS's default IAM quotas (spec 5.9); each can be raised as AWS lets customers."""

    roles_per_account: int = 1000
    users_per_account: int = 5000
    groups_per_account: int = 300
    managed_policies_per_account: int = 1500
    instance_profiles_per_account: int = 1000
    groups_per_user: int = 10
    managed_policies_per_entity: int = 10
    policy_versions: int = 5
    access_keys_per_user: int = 2
    roles_per_instance_profile: int = 1
    tags_per_entity: int = 50
    managed_policy_size: int = 6144
    inline_policy_size_user: int = 2048
    inline_policy_size_group: int = 5120
    inline_policy_size_role: int = 10240
    trust_policy_size: int = 2048


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    db_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 4566
    account_id: str = DEFAULT_ACCOUNT_ID
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = None
    master_key: str | None = None
    quotas: Quotas = field(default_factory=Quotas)
    # Peers whose X-Forwarded-For/-Proto iamd believes (uvicorn's syntax: addresses,
    # networks, "*"). None: no one's, and aws:SourceIp is the TCP peer.
    forwarded_allow_ips: str | None = None
    # The regions a request may be signed for, IAM and STS alike; None: any well-formed
    # region (an SDK signs IAM with whatever region it is configured for).
    regions: frozenset[str] | None = None
    # The audit trail: on unless IAMD_AUDIT=off; also written, one JSON event per line, to
    # ``audit_log`` when set; events older than ``audit_retention_days`` are forgotten
    # (90, as CloudTrail's event history; 0 keeps them forever). ``audit_reads`` off records
    # writes and refusals only (a CloudTrail trail's WriteOnly), for the last bit of speed.
    audit: bool = True
    audit_reads: bool = True
    audit_log: str | None = None
    audit_retention_days: int = 90
    # ``iamd serve`` stores the queued events (reads, refusals) in a process of their own
    # unless IAMD_AUDIT_PROCESS=off, and tells its workers where it listens through
    # IAMD_AUDIT_STORER (its socket; not a setting of the user's).
    audit_process: bool = True
    audit_storer: str | None = None

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL: ``--db``/``IAMD_DB_URL``, else SQLite in the data dir."""
        return self.db_url or f"sqlite:///{self.data_dir / 'iamd.sqlite3'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``IAMD_*`` variables, then the non-None ``overrides`` (flags)."""
        env = os.environ if env is None else env
        settings = cls(
            data_dir=Path(env["IAMD_DATA_DIR"]) if env.get("IAMD_DATA_DIR") else DEFAULT_DATA_DIR,
            db_url=env.get("IAMD_DB_URL") or None,
            host=env.get("IAMD_HOST", "127.0.0.1"),
            port=int(env.get("IAMD_PORT", "4566")),
            account_id=env.get("IAMD_ACCOUNT_ID", DEFAULT_ACCOUNT_ID),
            root_access_key_id=env.get("IAMD_ROOT_ACCESS_KEY_ID") or None,
            root_secret_access_key=env.get("IAMD_ROOT_SECRET_ACCESS_KEY") or None,
            master_key=env.get("IAMD_MASTER_KEY") or None,
            quotas=quotas_from_env(env),
            forwarded_allow_ips=env.get("IAMD_FORWARDED_ALLOW_IPS") or None,
            regions=parse_regions(env.get("IAMD_REGIONS")),
            audit=_on(env.get("IAMD_AUDIT", "on")),
            audit_reads=_on(env.get("IAMD_AUDIT_READS", "on")),
            audit_log=env.get("IAMD_AUDIT_LOG") or None,
            audit_retention_days=int(env.get("IAMD_AUDIT_RETENTION_DAYS") or 90),
            audit_process=_on(env.get("IAMD_AUDIT_PROCESS", "on")),
            audit_storer=env.get("IAMD_AUDIT_STORER") or None,
        )
        chosen = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in chosen:
            chosen["data_dir"] = Path(str(chosen["data_dir"]))
        return replace(settings, **chosen)  # type: ignore[arg-type]


def _on(text: str) -> bool:
    return text.strip().lower() not in ("off", "0", "false", "no")


def parse_regions(text: str | None) -> frozenset[str] | None:
    """``us-east-1,eu-west-1`` as a set; None (any region) when empty."""
    regions = frozenset(r.strip() for r in (text or "").split(",") if r.strip())
    return regions or None


def quotas_from_env(env: Mapping[str, str]) -> Quotas:
    """AWS's default quotas, each overridable as ``IAMD_QUOTA_<NAME>`` (e.g.
    ``IAMD_QUOTA_ROLES_PER_ACCOUNT=5000``), as AWS lets customers raise theirs."""
    chosen = {}
    for f in fields(Quotas):
        raw = env.get(f"IAMD_QUOTA_{f.name.upper()}")
        if raw:
            value = int(raw)
            if value < 0:
                raise ValueError(f"IAMD_QUOTA_{f.name.upper()} must not be negative")
            chosen[f.name] = value
    return Quotas(**chosen)
