"""``iamd idp oidc``: a small OpenID Connect identity provider for development and tests.

``iamd idp oidc --port 9400`` serves, over plain HTTP on a loopback address:

- ``GET /.well-known/openid-configuration``: the discovery document (``issuer``,
  ``jwks_uri``...);
- ``GET /jwks.json``: the public signing keys (the current one and the one before the
  last rotation);
- ``POST /token``: a signed ID token for the JSON body ``{"sub", "aud", "claims",
  "tags", "transitive_tag_keys", "source_identity", "expires_in", "not_before",
  "issued_at"}`` (times in seconds relative to now), returned as ``{"token": JWT}``;
- ``POST /rotate``: a new signing key (new ``kid``).

``iamd idp oidc token --port 9400 --sub alice --aud my-client --tags team=red`` asks the
running provider for a token and prints it. The key is RSA 2048 (RS256), made at start or
loaded from ``--key FILE`` (written there if the file does not exist yet).

This is a development tool: it issues a token to anyone who can reach it, so it only
listens on loopback addresses. AWS requires ``https://`` issuers; iamd accepts an
``http://`` issuer only when its host is a loopback address, which is what this serves.
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEFAULT_PORT = 9400
DEFAULT_HOST = "127.0.0.1"
DEFAULT_LIFETIME = 3600
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
MAX_BODY = 64 * 1024


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def load_or_create_key(path: Path | None) -> rsa.RSAPrivateKey:
    """The RSA key in ``path`` (PEM), or a new one, saved there when a path is given."""
    if path is not None and path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return key
    key = _new_key()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return key


class OidcIdp:
    """The provider's state: its issuer, its signing keys, and how it mints tokens."""

    def __init__(self, issuer: str, key: rsa.RSAPrivateKey | None = None) -> None:
        self.issuer = issuer
        self._lock = threading.Lock()
        self._keys: list[tuple[str, rsa.RSAPrivateKey]] = [(_kid(), key or _new_key())]

    @property
    def kid(self) -> str:
        return self._keys[-1][0]

    def rotate(self) -> str:
        """A new signing key; the JWKS keeps the previous one too."""
        with self._lock:
            self._keys = [*self._keys[-1:], (_kid(), _new_key())]
            return self._keys[-1][0]

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/jwks.json",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self._keys:
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(
        self,
        sub: str,
        aud: str | Sequence[str],
        *,
        claims: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        transitive_tag_keys: Sequence[str] = (),
        source_identity: str | None = None,
        expires_in: int = DEFAULT_LIFETIME,
        not_before: int | None = None,
        issued_at: int = 0,
        now: int | None = None,
    ) -> str:
        """A signed ID token; times are seconds relative to ``now`` (default: the clock)."""
        moment = int(time.time()) if now is None else now
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": aud if isinstance(aud, str) else list(aud),
            "iat": moment + issued_at,
            "exp": moment + expires_in,
        }
        if not_before is not None:
            payload["nbf"] = moment + not_before
        if tags or transitive_tag_keys:
            payload[TAGS_CLAIM] = {
                "principal_tags": {k: [v] for k, v in (tags or {}).items()},
                "transitive_tag_keys": list(transitive_tag_keys),
            }
        if source_identity is not None:
            payload[SOURCE_IDENTITY_CLAIM] = source_identity
        payload.update(claims or {})
        kid, key = self._keys[-1]
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})

    def token_from_request(self, body: Mapping[str, Any]) -> str:
        """``token`` for the JSON body of ``POST /token``."""
        return self.token(
            str(body["sub"]),
            body.get("aud", "iamd"),
            claims=body.get("claims"),
            tags=body.get("tags"),
            transitive_tag_keys=body.get("transitive_tag_keys", ()),
            source_identity=body.get("source_identity"),
            expires_in=int(body.get("expires_in", DEFAULT_LIFETIME)),
            not_before=body.get("not_before"),
            issued_at=int(body.get("issued_at", 0)),
        )


def _kid() -> str:
    return secrets.token_hex(8)


def _handler(idp: OidcIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, document: Any) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._send(200, idp.discovery())
            elif self.path == "/jwks.json":
                self._send(200, idp.jwks())
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"error": "too_large"})
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/token":
                    self._send(200, {"token": idp.token_from_request(body)})
                elif self.path == "/rotate":
                    self._send(200, {"kid": idp.rotate()})
                else:
                    self._send(404, {"error": "not_found"})
            except (ValueError, KeyError, TypeError) as exc:
                self._send(400, {"error": "invalid_request", "detail": str(exc)})

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"iamd idp oidc: {self.address_string()} {format % args}\n")

    return Handler


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class IdpServer:
    """The provider served over HTTP on a thread (``start``/``stop``), or in the
    foreground (``serve_forever``)."""

    def __init__(
        self, host: str = DEFAULT_HOST, port: int = 0, key: rsa.RSAPrivateKey | None = None
    ):
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the development IdP only listens on loopback, not {host!r}")
        self.idp = OidcIdp("", key)
        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self.httpd = server_class((host, port), _handler(self.idp))
        self.httpd.daemon_threads = True
        shown = f"[{host}]" if ":" in host else host
        self.idp.issuer = f"http://{shown}:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        return self.idp.issuer

    def start(self) -> IdpServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


# --- the command -----------------------------------------------------------------------------


def register(sub: Any) -> None:
    oidc = sub.add_parser(
        "oidc",
        help="a local OpenID Connect provider: discovery, JWKS and signed ID tokens",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    _where(oidc)
    oidc.add_argument("--key", type=Path, help="RSA key file (PEM); created if missing")
    oidc.set_defaults(handler=run_serve)
    commands = oidc.add_subparsers(dest="oidc_command", metavar="SUBCOMMAND")
    token = commands.add_parser("token", help="ask the running provider for an ID token")
    _where(token)
    token.add_argument("--sub", required=True, help="the subject (sub claim)")
    token.add_argument("--aud", required=True, action="append", help="audience (client id)")
    token.add_argument("--claim", action="append", default=[], metavar="K=V", help="extra claim")
    token.add_argument("--tags", action="append", default=[], metavar="K=V", help="session tag")
    token.add_argument("--transitive", action="append", default=[], metavar="KEY")
    token.add_argument("--source-identity")
    token.add_argument("--expires-in", type=int, default=DEFAULT_LIFETIME, metavar="SECONDS")
    token.set_defaults(handler=run_token)


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--issuer-host", default=DEFAULT_HOST, help=f"loopback host (default {DEFAULT_HOST})"
    )


def _pairs(items: Sequence[str], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"iamd idp oidc: {what} must be KEY=VALUE, not {item!r}")
        out[key] = value
    return out


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def run_serve(args: argparse.Namespace) -> int:
    try:
        server = IdpServer(args.issuer_host, args.port, load_or_create_key(args.key))
    except (OSError, ValueError) as exc:
        print(f"iamd idp oidc: {exc}", file=sys.stderr)
        return 1
    print(
        f"iamd idp oidc: issuer {server.issuer} (discovery at "
        f"{server.issuer}/.well-known/openid-configuration); Ctrl-C stops it",
        flush=True,
    )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def run_token(args: argparse.Namespace) -> int:
    host = f"[{args.issuer_host}]" if ":" in args.issuer_host else args.issuer_host
    body = {
        "sub": args.sub,
        "aud": args.aud[0] if len(args.aud) == 1 else args.aud,
        "claims": {k: _json_value(v) for k, v in _pairs(args.claim, "--claim").items()},
        "tags": _pairs(args.tags, "--tags"),
        "transitive_tag_keys": args.transitive,
        "expires_in": args.expires_in,
    }
    if args.source_identity:
        body["source_identity"] = args.source_identity
    request = urllib.request.Request(
        f"http://{host}:{args.port}/token",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(json.loads(response.read())["token"])
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        print(f"iamd idp oidc: no provider answered on port {args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
