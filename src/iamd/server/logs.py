"""The server's log: text lines, or one JSON object per line (``--log-format json``).

``configure`` runs in ``iamd serve`` and again in each worker process (the workers are
fresh interpreters), from ``IAMD_LOG_LEVEL`` and ``IAMD_LOG_FORMAT``. A JSON line carries
the time, level, logger and message, the fields a request line adds (``iamd.request``:
request id, operation, status, outcome, duration, client, caller) and a traceback when
there is one. Nothing iamd logs holds a request parameter, so nothing secret.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

FORMATS = ("text", "json")
_TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "iamd", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str | None = None, fmt: str | None = None) -> None:
    """Log to stderr at ``level`` in ``fmt`` (defaults: the environment's, else info/text)."""
    level = (level or os.environ.get("IAMD_LOG_LEVEL") or "info").upper()
    fmt = fmt or os.environ.get("IAMD_LOG_FORMAT") or "text"
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
