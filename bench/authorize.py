#!/usr/bin/env python3
"""Decisions per second through ``POST /authorize`` on loopback, and in process.

Through the server: a service (an IAM user allowed ``iamd:Authorize``) asks about a
client's request signed with botocore's SigV4 for the ``storage`` service, once as an
IAM user with long-term keys and once as a role session (ASIA keys with a session
token). Each question is signed ahead of time, written as raw HTTP/1.1 and replayed by
wrk over ``--connections`` keep-alive connections for ``--seconds`` (``api_load.py``),
so the load generator is not the bottleneck; every answer is a full decision: two SigV4
verifications (the service's and its client's), ``iamd:Authorize`` for the service, and
the client's policies with a bucket-style resource policy.

In process: ``Authorizer.evaluate`` for the same user and question on the server's own
SQLite store (the per-call change-counter read included), and ``BoundAuthorizer.evaluate``
(bound once per request, as the server does for secondary checks).

    apt-get install wrk && pip install -e '.[bench]'
    python bench/authorize.py [--seconds 5] [--connections 16] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import socket
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from api_load import REGION, Keys, Result, have_wrk, replay, write_requests
from api_servers import ACCOUNT, IamdServer
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from iamd.authz import Authorizer
from iamd.model.caller import Caller, CallerKind
from iamd.operations import RequestInfo, Target
from iamd.store.db import Database

RESOURCE = "arn:aws:storage:::photos/2024/cat.jpg"
ACTION = "storage:GetObject"
SERVICE_URL = "https://storage.example.internal"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CLIENT_POLICIES = [
    policy(
        {"Effect": "Allow", "Action": ["storage:Get*", "storage:List*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "storage:*", "Resource": "arn:aws:storage:::secret/*"},
    ),
    policy(
        {
            "Effect": "Allow",
            "Action": "storage:PutObject",
            "Resource": "arn:aws:storage:::photos/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
        }
    ),
]
BUCKET_POLICY = policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "storage:*",
        "Resource": "arn:aws:storage:::photos/*",
    }
)


def seed(server: IamdServer) -> dict[str, Any]:
    """The service's keys, a user's keys and a role session's keys."""
    iam = server.client("iam")
    iam.create_user(UserName="storage-service")
    iam.put_user_policy(
        UserName="storage-service",
        PolicyName="authorize",
        PolicyDocument=policy({"Effect": "Allow", "Action": "iamd:Authorize", "Resource": "*"}),
    )
    service = iam.create_access_key(UserName="storage-service")["AccessKey"]
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    for i, text in enumerate(CLIENT_POLICIES):
        iam.put_user_policy(UserName="alice", PolicyName=f"p{i}", PolicyDocument=text)
    iam.put_user_policy(
        UserName="alice",
        PolicyName="assume",
        PolicyDocument=policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
    )
    alice_key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = iam.get_user(UserName="alice")["User"]
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": alice["Arn"]}, "Action": "sts:AssumeRole"}
    )
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust)["Role"]
    for i, text in enumerate(CLIENT_POLICIES):
        iam.put_role_policy(RoleName="reader", PolicyName=f"p{i}", PolicyDocument=text)
    alice_keys = Keys(alice_key["AccessKeyId"], alice_key["SecretAccessKey"])
    sts = server.client("sts", alice_keys)
    session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bench")["Credentials"]
    return {
        "service": Keys(service["AccessKeyId"], service["SecretAccessKey"]),
        "user": alice_keys,
        "user_id": alice["UserId"],
        "user_arn": alice["Arn"],
        "session": Keys(
            session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
        ),
    }


def question(client: Keys) -> dict[str, Any]:
    """What the storage service received from ``client``, as /authorize's JSON body."""
    path = "/photos/2024/cat.jpg"
    request = AWSRequest(method="GET", url=SERVICE_URL + path)
    SigV4Auth(client.botocore(), "storage", REGION).add_auth(request)
    headers = [["host", urllib.parse.urlsplit(SERVICE_URL).netloc]]
    headers += [[k, v] for k, v in request.headers.items()]
    return {
        "method": "GET",
        "path": path,
        "query": "",
        "headers": headers,
        "payloadHash": hashlib.sha256(b"").hexdigest(),
        "action": ACTION,
        "resource": RESOURCE,
        "resourceOwner": ACCOUNT,
        "resourcePolicy": BUCKET_POLICY,
        "sourceIp": "203.0.113.7",
    }


def signed_authorize(endpoint: str, body: dict[str, Any], service: Keys) -> bytes:
    """The raw HTTP/1.1 request a service sends to /authorize, signed now."""
    host = urllib.parse.urlsplit(endpoint).netloc
    data = json.dumps(body, separators=(",", ":")).encode()
    request = AWSRequest(
        method="POST",
        url=endpoint + "/authorize",
        data=data,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(service.botocore(), "iamd", REGION).add_auth(request)
    lines = ["POST /authorize HTTP/1.1", f"Host: {host}", f"Content-Length: {len(data)}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def check_once(server: IamdServer, raw: bytes) -> None:
    """Send the request once and insist on an Allow, before timing it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = json.loads(response.read())
        response.close()
    if answer.get("decision") != "Allow":
        raise SystemExit(f"expected Allow, got {answer}")


def in_process(data_dir: Path, fixture: dict[str, Any], seconds: float) -> dict[str, float]:
    """Decisions/s of Authorizer.evaluate and BoundAuthorizer.evaluate, one thread."""
    database = Database(f"sqlite:///{data_dir / 'iamd.sqlite3'}")
    caller = Caller(
        kind=CallerKind.USER,
        account_id=ACCOUNT,
        arn=fixture["user_arn"],
        user_id=fixture["user_id"],
        access_key_id=fixture["user"].access_key_id,
        name="alice",
        entity_id=fixture["user_id"],
    )
    authorizer = Authorizer()
    info = RequestInfo("203.0.113.7", True, "bench", REGION)
    target = Target(RESOURCE, account=ACCOUNT)
    rates: dict[str, float] = {}
    try:
        with database.transaction(False) as conn:
            now = dt.datetime.now(dt.UTC)
            assert authorizer.evaluate(conn, caller, ACTION, target, request=info, now=now).allowed

            def timed(step: Any) -> float:
                count, start = 0, time.perf_counter()
                deadline = start + seconds
                while time.perf_counter() < deadline:
                    for _ in range(200):
                        step()
                    count += 200
                return count / (time.perf_counter() - start)

            rates["Authorizer.evaluate"] = timed(
                lambda: authorizer.evaluate(conn, caller, ACTION, target, request=info, now=now)
            )
            bound = authorizer.bind(conn, caller, info, now)
            rates["BoundAuthorizer.evaluate"] = timed(lambda: bound.evaluate(ACTION, target))
    finally:
        database.dispose()
    return rates


def describe(result: Result) -> str:
    return (
        f"{result.rate:10,.0f} decisions/s  p50 {result.p50_ms:6.2f} ms  "
        f"p99 {result.p99_ms:6.2f} ms  non-2xx {result.non_2xx}  errors {result.socket_errors}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", default="1,2", help="iamd worker counts (default 1,2)")
    args = parser.parse_args(argv)
    if not have_wrk():
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    print(
        f"# {dt.date.today()} {platform.machine()} {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}; {args.connections} connections, {args.seconds:g}s each"
    )
    with tempfile.TemporaryDirectory(prefix="iamd-bench-authorize-") as tmp:
        for workers in [int(w) for w in args.workers.split(",")]:
            workdir = Path(tmp) / f"w{workers}"
            with IamdServer(workdir, workers) as server:
                fixture = seed(server)
                for scenario in ("user", "session"):
                    raw = signed_authorize(
                        server.endpoint, question(fixture[scenario]), fixture["service"]
                    )
                    check_once(server, raw)
                    requests_file = workdir / f"{scenario}.requests"
                    write_requests(requests_file, [raw])
                    result = replay(
                        server.endpoint,
                        requests_file,
                        seconds=args.seconds,
                        connections=args.connections,
                        threads=args.threads,
                    )
                    print(f"/authorize {scenario:8s} workers={workers}: {describe(result)}")
                if workers == 1:
                    for name, rate in in_process(server.data_dir, fixture, args.seconds).items():
                        print(f"in process {name:26s}: {rate:10,.0f} decisions/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
