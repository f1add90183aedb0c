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
table shows each call's median round.

    apt-get install wrk && pip install -e '.[bench,test]'
    python bench/rolesanywhere.py [--seconds 5] [--connections 16] [--workers 2] [--rounds 3]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--key", choices=("ec", "rsa"), default="ec")
    args = parser.parse_args()
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
