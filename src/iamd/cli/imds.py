"""A loopback instance metadata endpoint (IMDSv2) that serves a role's credentials.

What ``iamd credentials serve`` runs: the SDKs' instance metadata provider, pointed at it
with ``AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT/``, finds the role's
credentials with no change to the program. The protocol is the EC2 instance metadata
service's, version 2 only (a session token is required, as on hardened instances):

- ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds`` (1-21600): a
  token, valid that long;
- ``GET /latest/meta-data/iam/security-credentials/`` with ``X-aws-ec2-metadata-token``:
  the role's name;
- ``GET /latest/meta-data/iam/security-credentials/NAME``: ``{"Code": "Success",
  "LastUpdated", "Type": "AWS-HMAC", "AccessKeyId", "SecretAccessKey", "Token",
  "Expiration"}``.

Credentials come from ``fetch`` (CreateSession) and are kept until ``refresh_window``
seconds before they expire; then the next request gets new ones. Only loopback
addresses are served.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN_PATH = "/latest/api/token"
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TTL = 21600
MAX_TOKENS = 1024

Fetch = Callable[[], dict[str, Any]]  # CreateSession's ``credentials`` (JSON form)
Now = Callable[[], dt.datetime]


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class CredentialCache:
    """The role's current credentials, fetched again ``refresh_window`` before expiry."""

    def __init__(self, fetch: Fetch, refresh_window: int, now: Now) -> None:
        self._fetch = fetch
        self._window = dt.timedelta(seconds=refresh_window)
        self._now = now
        self._lock = threading.Lock()
        self._current: dict[str, Any] | None = None
        self._updated = now()

    def get(self) -> tuple[dict[str, Any], dt.datetime]:
        """The credentials and when they were fetched."""
        with self._lock:
            current = self._current
            if current is None or _parse_time(current["expiration"]) - self._now() <= self._window:
                self._current = current = self._fetch()
                self._updated = self._now()
            return current, self._updated


class Tokens:
    """IMDSv2 session tokens and their expiry (at most ``MAX_TOKENS`` at once)."""

    def __init__(self, now: Now) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._tokens: dict[str, dt.datetime] = {}

    def issue(self, ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._now()
            self._tokens = {t: e for t, e in self._tokens.items() if e > now}
            while len(self._tokens) >= MAX_TOKENS:
                del self._tokens[next(iter(self._tokens))]
            self._tokens[token] = now + dt.timedelta(seconds=ttl)
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expires = self._tokens.get(token)
        return expires is not None and expires > self._now()


def make_server(
    port: int,
    role_name: str,
    cache: CredentialCache,
    *,
    now: Now | None = None,
    host: str = "127.0.0.1",
) -> ThreadingHTTPServer:
    """The metadata server on ``host:port`` (not started)."""
    clock: Now = now or (lambda: dt.datetime.now(dt.UTC))
    tokens = Tokens(clock)

    class Handler(BaseHTTPRequestHandler):
        server_version = "iamd-imds"

        def log_message(self, format: str, *args: Any) -> None:
            return  # no access log: nothing secret would be in it, but it is noise

        def _send(self, status: int, body: str, content_type: str = "text/plain") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:
            if self.path != TOKEN_PATH:
                self._send(404, "Not Found")
                return
            raw = self.headers.get(TTL_HEADER, "")
            if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw[:6]) <= MAX_TTL:
                self._send(400, "Bad Request")
                return
            self._send(200, tokens.issue(int(raw)))

        def do_GET(self) -> None:
            if not tokens.valid(self.headers.get(TOKEN_HEADER)):
                self._send(401, "Unauthorized")
                return
            if self.path == CREDENTIALS_PATH:
                self._send(200, role_name)
                return
            if self.path != CREDENTIALS_PATH + role_name:
                self._send(404, "Not Found")
                return
            try:
                credentials, updated = cache.get()
            except Exception as exc:
                print(f"iamd: no credentials: {exc}", file=sys.stderr, flush=True)
                self._send(500, "Internal Server Error")
                return
            document = {
                "Code": "Success",
                "LastUpdated": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "Type": "AWS-HMAC",
                "AccessKeyId": credentials["accessKeyId"],
                "SecretAccessKey": credentials["secretAccessKey"],
                "Token": credentials["sessionToken"],
                "Expiration": credentials["expiration"],
            }
            self._send(200, json.dumps(document), "application/json")

    return ThreadingHTTPServer((host, port), Handler)
