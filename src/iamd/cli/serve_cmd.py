"""``iamd serve``: prepare the store, then serve IAM and STS with uvicorn.

The store is made ready once, in this process (schema, master key, default account and
root key, printed once if generated); then the workers start, each building its own
runtime from the same ``IAMD_*`` settings (``iamd.server.app:app_from_env``). Flags
override the environment and are handed to the workers through it. Several workers each
listen on their own socket (``server.workers``), so that the kernel spreads clients'
connections among them. The audit trail's queued events are stored by a process of their
own (``server.audit_storer``), started before the workers and stopped after them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Any

from iamd.config import Settings
from iamd.metrics import MULTIPROCESS_ENV as metrics_env
from iamd.server import logs
from iamd.store.bootstrap import BootstrapError
from iamd.store.migrate import SchemaError
from iamd.store.secrets import MasterKeyError

APP_FACTORY = "iamd.server.app:app_from_env"


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the IAM and STS APIs over HTTP")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 4566)")
    serve.add_argument("--data-dir", help="where the SQLite file and master key live")
    serve.add_argument("--db", help="SQLAlchemy database URL (default: SQLite in --data-dir)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--log-format",
        default="text",
        choices=logs.FORMATS,
        help="text lines, or one JSON object per line (default text)",
    )
    serve.add_argument("--certfile", help="serve HTTPS with this PEM certificate (and chain)")
    serve.add_argument("--keyfile", help="the certificate's private key (PEM)")
    serve.add_argument(
        "--no-upgrade",
        action="store_true",
        help="refuse to start on a store whose schema needs an upgrade (see `iamd db upgrade`)",
    )
    serve.add_argument(
        "--regions",
        help="the regions requests may be signed for, comma-separated (default: any; IAMD_REGIONS)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        help="proxies whose X-Forwarded-For sets aws:SourceIp: comma-separated addresses or "
        "networks, or * (default: none; IAMD_FORWARDED_ALLOW_IPS)",
    )
    serve.add_argument(
        "--audit-log",
        help="also write every audit event, one JSON record per line, to this file "
        "(IAMD_AUDIT_LOG)",
    )
    serve.add_argument(
        "--audit-retention-days",
        type=int,
        help="forget audit events older than this (default 90; 0: keep them; "
        "IAMD_AUDIT_RETENTION_DAYS)",
    )
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from iamd.server import audit_storer
    from iamd.server.runtime import prepare_store

    # The workers configure their logging from the environment: pass the flags on.
    os.environ["IAMD_LOG_LEVEL"] = args.log_level
    os.environ["IAMD_LOG_FORMAT"] = args.log_format
    logs.configure()
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        db_url=args.db,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    # The workers read their settings from the environment: pass the flags on.
    os.environ["IAMD_DATA_DIR"] = str(settings.data_dir)
    if args.regions:
        os.environ["IAMD_REGIONS"] = args.regions
    if args.audit_log:
        os.environ["IAMD_AUDIT_LOG"] = os.path.abspath(args.audit_log)
    if args.audit_retention_days is not None:
        if args.audit_retention_days < 0:
            print("iamd: --audit-retention-days must be 0 or more", file=sys.stderr)
            return 2
        os.environ["IAMD_AUDIT_RETENTION_DAYS"] = str(args.audit_retention_days)
    if settings.db_url:
        os.environ["IAMD_DB_URL"] = settings.db_url
    if bool(args.certfile) != bool(args.keyfile):
        print("iamd: --certfile and --keyfile go together", file=sys.stderr)
        return 2
    try:
        prepare_store(settings, upgrade=not args.no_upgrade)
    except (MasterKeyError, BootstrapError, SchemaError) as exc:
        print(f"iamd: {exc}", file=sys.stderr)
        return 2
    if args.workers > 1:
        # Each worker (and the audit storing process) counts into files here, and /metrics
        # on any of them sums them all.
        os.environ.setdefault(metrics_env, tempfile.mkdtemp(prefix="iamd-metrics-"))
    # Only the storing process started here is named to the workers, never one inherited.
    os.environ.pop("IAMD_AUDIT_STORER", None)
    with audit_storer.running(settings) as storer:
        if storer is not None:  # the workers ship their queued audit events there
            os.environ["IAMD_AUDIT_STORER"] = storer
        return _serve(args, settings)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from iamd.server import workers

    options: dict[str, Any] = {
        "app": APP_FACTORY,
        "factory": True,
        "log_level": args.log_level,
        "access_log": False,
        # JSON logs: uvicorn's own lines go through the root logger's JSON handler too.
        **({"log_config": None} if args.log_format == "json" else {}),
        "lifespan": "on",
        "server_header": False,
        "date_header": False,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise, which
        # would let any local process choose its own aws:SourceIp.
        "proxy_headers": settings.forwarded_allow_ips is not None,
        "forwarded_allow_ips": settings.forwarded_allow_ips or "",
    }
    if args.certfile:
        options.update(ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)
    if args.workers > 1 and workers.reuse_port_supported():
        try:
            return workers.serve(options, settings.host, settings.port, args.workers)
        except OSError as exc:
            print(f"iamd: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
            return 1
    uvicorn.run(
        host=settings.host,
        port=settings.port,
        workers=args.workers if args.workers > 1 else None,
        **options,
    )
    return 0
