#!/usr/bin/env python3
"""CreateSession (IAM Roles Anywhere) against AssumeRole, requests per second, same server.

One ``iamd serve`` (SQLite, ``--workers``) gets a fixture through boto3: a CA (ECDSA
P-256 or RSA 2048, ``--key``) as an enabled trust anchor, a role whose trust policy allows
both ``rolesanywhere.amazonaws.com`` and an IAM user with a key, and an enabled profile
listing the role. Then two requests are signed ahead of time and replayed by wrk over
``--connections`` keep-alive connections (``api_load.replay``), each call for
``--seconds`` per round, ``--rounds`` rounds alternating the two:

- CreateSession, ``POST /sessions``, signed with an end-entity certificate's key by the
  PyPI package ``iam-rolesanywhere-session``'s signer (X.509 signature, chain to the
  anchor, profile, trust policy, minting);
- AssumeRole as the IAM user (SigV4, trust policy, minting).

A signed request stays valid for 15 minutes, so one request replayed is a fair load. The
table shows each call's median round. ``--inprocess`` measures the CPU time of each call
inside the process instead (the ASGI app called directly, ``bench/inprocess.py``'s
driver; the fixture made through boto3 clients whose requests go to the app directly).

    apt-get install wrk && pip install -e '.[bench,test]'
    python bench/rolesanywhere.py [--seconds 5] [--connections 16] [--workers 2] [--rounds 3]
    python bench/rolesanywhere.py --inprocess [--count 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from api_load import Call, Keys, Result, have_wrk, replay, signed_request, write_requests
from api_servers import ACCOUNT, IamdServer
from botocore.awsrequest import AWSRequest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from iam_rolesanywhere_session import IAMRolesAnywhereSigner

USER = "ra-bench-user"


def _key(kind: str) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(
    subject: str, key: Any, issuer: tuple[x509.Name, Any] | None, ca: bool
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
    issuer_name, issuer_key = issuer if issuer else (name, key)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def seed(server: IamdServer, kind: str) -> tuple[bytes, Keys, str]:
    """(raw signed CreateSession request, the user's keys, the role's ARN)."""
    iam = server.client("iam")
    ra = server.client("rolesanywhere")
    iam.create_user(UserName=USER)
    created = iam.create_access_key(UserName=USER)["AccessKey"]
    user = Keys(created["AccessKeyId"], created["SecretAccessKey"])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{USER}"},
                "Action": "sts:AssumeRole",
            },
        ],
    }
    role_arn = iam.create_role(RoleName="ra-bench", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    ca_key = _key(kind)
    ca = _certificate("Bench CA", ca_key, None, ca=True)
    anchor = ra.create_trust_anchor(
        name="bench",
        source={
            "sourceType": "CERTIFICATE_BUNDLE",
            "sourceData": {"x509CertificateData": _pem(ca).decode()},
        },
        enabled=True,
    )["trustAnchor"]["trustAnchorArn"]
    profile = ra.create_profile(name="bench", roleArns=[role_arn], enabled=True)["profile"][
        "profileArn"
    ]
    leaf_key = _key(kind)
    leaf = _certificate("workload.bench", leaf_key, (ca.subject, ca_key), ca=False)
    signer = IAMRolesAnywhereSigner(
        certificate=_pem(leaf),
        private_key=leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    body = json.dumps({"profileArn": profile, "roleArn": role_arn, "trustAnchorArn": anchor})
    request = AWSRequest(method="POST", url=f"{server.endpoint}/sessions", data=body)
    signer.add_auth(request)
    host = urllib.parse.urlsplit(server.endpoint).netloc
    raw_body = body.encode("ascii")
    lines = ["POST /sessions HTTP/1.1", f"Host: {host}", f"Content-Length: {len(raw_body)}"]
    lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + raw_body, user, role_arn


def check(server: IamdServer, raw: bytes, expect: bytes) -> None:
    """Send ``raw`` once over a plain socket and insist on ``expect`` in the answer."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < 200:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
            if expect in answer:
                return
    raise RuntimeError(f"unexpected answer: {answer[:400]!r}")


class InProcess:
    """The app in this process, with boto3 clients that call it directly."""

    endpoint = "http://localhost"
    port = 0

    def __init__(self, workdir: Path) -> None:
        import os

        from inprocess import Driver

        os.environ.update(
            IAMD_DATA_DIR=str(workdir),
            IAMD_ACCOUNT_ID=ACCOUNT,
            IAMD_ROOT_ACCESS_KEY_ID="test",
            IAMD_ROOT_SECRET_ACCESS_KEY="test",
        )
        from iamd.config import Settings
        from iamd.server.app import build_app
        from iamd.server.runtime import open_runtime, prepare_store

        settings = Settings.from_env()
        prepare_store(settings)
        self.driver = Driver(build_app(open_runtime(settings)))

    def client(self, service: str) -> Any:
        import boto3
        from botocore.awsrequest import AWSResponse

        def send(request: AWSRequest, **_: Any) -> AWSResponse:
            status, body = self.driver.call(
                scope_of(request.method, request.url, request.headers, request.body)
            )
            response = AWSResponse(request.url, status, {}, None)
            response._content = body  # type: ignore[attr-defined]
            return response

        client = boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.meta.events.register("before-send", send)
        return client


def scope_of(method: str, url: str, headers: Any, body: Any) -> dict[str, Any]:
    """The ASGI scope of a request (``body`` kept under "body" for the driver)."""
    parts = urllib.parse.urlsplit(url)
    data = body.encode() if isinstance(body, str) else bytes(body or b"")
    pairs = [(b"host", b"localhost"), (b"content-length", str(len(data)).encode())]
    for name, value in headers.items():
        if name.lower() not in ("host", "content-length"):
            raw = value if isinstance(value, bytes) else str(value).encode()
            pairs.append((name.lower().encode(), raw))
    return {
        "type": "http",
        "method": method,
        "path": urllib.parse.unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": pairs,
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "body": data,
    }


def scope_of_raw(raw: bytes) -> dict[str, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    method, target, _version = lines[0].split(" ")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return scope_of(method, "http://localhost" + target, headers, body)


def inprocess(args: argparse.Namespace) -> int:
    import time

    with tempfile.TemporaryDirectory(prefix="iamd-ra-inprocess-") as tmp:
        app = InProcess(Path(tmp))
        session_raw, user, role_arn = seed(app, args.key)  # type: ignore[arg-type]
        assume = Call("sts", "AssumeRole", (("RoleArn", role_arn), ("RoleSessionName", "bench")))
        scopes = {
            "CreateSession": scope_of_raw(session_raw),
            "AssumeRole": scope_of_raw(signed_request(app.endpoint, assume, user)),
        }
        print(f"| call | CPU per request, us (best / median of {args.repeats}) |\n|---|---|")
        for name, scope in scopes.items():
            status, body = app.driver.call(scope)
            if status not in (200, 201):
                raise RuntimeError(body[:300])
            for _ in range(args.count // 5):
                app.driver.call(scope)
            costs = []
            for _ in range(args.repeats):
                started = time.process_time()
                for _ in range(args.count):
                    app.driver.call(scope)
                costs.append((time.process_time() - started) / args.count * 1e6)
            print(f"| {name} | {min(costs):,.0f} / {statistics.median(costs):,.0f} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inprocess", action="store_true")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--key", choices=("ec", "rsa"), default="ec")
    args = parser.parse_args()
    if args.inprocess:
        return inprocess(args)
    if not have_wrk():
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    print(f"{platform.machine()} Python {platform.python_version()}, {args}", flush=True)
    with tempfile.TemporaryDirectory(prefix="iamd-ra-bench-") as tmp:
        workdir = Path(tmp)
        with IamdServer(workdir / "iamd", args.workers) as server:
            assert isinstance(server, IamdServer)
            session_raw, user, role_arn = seed(server, args.key)
            assume = Call(
                "sts", "AssumeRole", (("RoleArn", role_arn), ("RoleSessionName", "bench"))
            )
            assume_raw = signed_request(server.endpoint, assume, user)
            check(server, session_raw, b'"credentialSet"')
            check(server, assume_raw, b"<AssumeRoleResult>")
            files = {"CreateSession": workdir / "session.txt", "AssumeRole": workdir / "ar.txt"}
            write_requests(files["CreateSession"], [session_raw])
            write_requests(files["AssumeRole"], [assume_raw])
            for path in files.values():  # warm-up
                replay(server.endpoint, path, seconds=1, connections=args.connections)
            results: dict[str, list[Result]] = {name: [] for name in files}
            for round_ in range(args.rounds):
                for name, path in files.items():
                    result = replay(
                        server.endpoint, path, seconds=args.seconds, connections=args.connections
                    )
                    results[name].append(result)
                    flag = f" ({result.non_2xx} non-2xx)" if result.non_2xx else ""
                    print(
                        f"  round {round_ + 1} {name:<14} {result.rate:>8,.0f} req/s  "
                        f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms{flag}",
                        flush=True,
                    )
    print(f"\n| call | requests/s (median of {args.rounds}) | p50 / p99 ms |\n|---|---|---|")
    for name, runs in results.items():
        middle = sorted(runs, key=lambda r: r.rate)[len(runs) // 2]
        rate = statistics.median(r.rate for r in runs)
        print(f"| {name} | {rate:,.0f} | {middle.p50_ms:.1f} / {middle.p99_ms:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
