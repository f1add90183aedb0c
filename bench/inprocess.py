"""CPU cost of one API call inside the server process: the ASGI app called directly.

What ``bench/api.py`` measures over HTTP, without the HTTP server, the load generator
and the other worker: a Runtime on a fresh SQLite store in a temporary directory, the
same fixture (a user with a key, roles trusting it, a session), and requests signed once
with botocore's ``SigV4Auth`` handed to the app as ASGI scopes. Each call is timed with
``time.process_time`` over ``--count`` requests, repeated; ``--profile CALL`` prints the
cProfile of that call instead, ``--statements`` counts SQL statements per request.

``--audit-ab`` measures the audit trail's cost: in one process, each repeat times a
call with the trail off (no recorder) and then on, the queue that is left stored at the
end of the "on" run counted in it; it prints the best of each and their difference (a
shared machine's slow spells then land on both sides alike), and the wall time of the
batches the event loop stored (while it answered nothing).

    python bench/inprocess.py [--count 2000] [--repeats 5] [--calls GetRole,CreateRole]
    python bench/inprocess.py --audit-ab --count 2000 --repeats 7
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import os
import pstats
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from api_load import FORM, VERSIONS
from api_servers import ACCOUNT, USER
from api_servers import TRUST_POLICY as TRUST
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HOST = "localhost:4566"
ROOT = ("test", "test", None)
CALLS = ("GetRole", "ListRoles", "AssumeRole", "GetCallerIdentity", "CreateRole")

Keys = tuple[str, str, str | None]
Scope = dict[str, Any]


def signed_scope(service: str, action: str, params: list[tuple[str, str]], keys: Keys) -> Scope:
    body = urllib.parse.urlencode(
        [("Action", action), ("Version", VERSIONS[service]), *params]
    ).encode()
    request = AWSRequest(
        method="POST", url=f"http://{HOST}/", data=body, headers={"Content-Type": FORM}
    )
    SigV4Auth(Credentials(*keys), service, "us-east-1").add_auth(request)
    headers = [(b"host", HOST.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    return {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "body": body,
    }


class Driver:
    """Calls the ASGI app the way uvicorn would, one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def call(self, scope: Scope) -> tuple[int, bytes]:
        body = scope["body"]
        out: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
            else:
                out["body"] = message.get("body", b"")

        self.loop.run_until_complete(self.app(scope, receive, send))
        return out["status"], out["body"]

    def ok(self, scope: Scope) -> bytes:
        status, body = self.call(scope)
        if status != 200:
            raise RuntimeError(body.decode())
        return body


def field(body: bytes, name: str) -> str:
    start = body.index(f"<{name}>".encode()) + len(name) + 2
    return body[start : body.index(f"</{name}>".encode(), start)].decode()


def seed(driver: Driver, roles: int) -> dict[str, Keys | str]:
    iam = lambda action, params=(): driver.ok(signed_scope("iam", action, list(params), ROOT))  # noqa: E731
    iam("CreateUser", [("UserName", USER)])
    key = iam("CreateAccessKey", [("UserName", USER)])
    user: Keys = (field(key, "AccessKeyId"), field(key, "SecretAccessKey"), None)
    for index in range(roles):
        iam("CreateRole", [("RoleName", f"r-{index:05d}"), ("AssumeRolePolicyDocument", TRUST)])
    arn = f"arn:aws:iam::{ACCOUNT}:role/r-{roles // 2:05d}"
    params = [("RoleArn", arn), ("RoleSessionName", "bench")]
    creds = driver.ok(signed_scope("sts", "AssumeRole", params, user))
    session: Keys = (
        field(creds, "AccessKeyId"),
        field(creds, "SecretAccessKey"),
        field(creds, "SessionToken"),
    )
    return {"user": user, "session": session, "role": f"r-{roles // 2:05d}", "arn": arn}


def scopes(name: str, fx: dict[str, Any], count: int) -> Iterator[Scope]:
    if name == "CreateRole":
        for index in range(count):
            name_ = f"c-{time.time_ns()}-{index}"
            params = [("RoleName", name_), ("AssumeRolePolicyDocument", TRUST)]
            yield signed_scope("iam", "CreateRole", params, ROOT)
        return
    if name == "GetRole":
        scope = signed_scope("iam", "GetRole", [("RoleName", fx["role"])], ROOT)
    elif name == "ListRoles":
        scope = signed_scope("iam", "ListRoles", [], ROOT)
    elif name == "AssumeRole":
        params = [("RoleArn", fx["arn"]), ("RoleSessionName", "bench")]
        scope = signed_scope("sts", "AssumeRole", params, fx["user"])
    elif name == "GetCallerIdentity":
        scope = signed_scope("sts", "GetCallerIdentity", [], fx["session"])
    else:
        raise ValueError(name)
    for _ in range(count):
        yield scope


def timed(driver: Driver, batch: list[Scope]) -> float:
    start = time.process_time()
    for scope in batch:
        status, body = driver.call(scope)
        if status != 200:
            raise RuntimeError(body.decode())
    return (time.process_time() - start) / len(batch)


def timed_ab(
    app: Any, driver: Driver, off: list[Scope], on: list[Scope], stalls: list[float]
) -> tuple[float, float]:
    """CPU per request of ``off`` with the trail off, then of ``on`` with it on (the
    queue left at the end stored, and counted); the wall time of each batch the event
    loop stored (the time it answered nothing) is added to ``stalls``."""
    runtime = app.runtime
    recorder = runtime.recorder
    runtime.recorder = None
    try:
        cost_off = timed(driver, off)
    finally:
        runtime.recorder = recorder
    flush = recorder.flush

    def timed_flush() -> None:
        began = time.perf_counter()
        flush()
        stalls.append(time.perf_counter() - began)

    recorder.flush = timed_flush
    try:
        start = time.process_time()
        timed(driver, on)
        flush()
        return cost_off, (time.process_time() - start) / len(on)
    finally:
        del recorder.flush


def count_statements(app: Any, run: Callable[[], None]) -> int:
    """SQL statements run through SQLAlchemy and through store.sql's Query, BEGIN and
    COMMIT not included."""
    from sqlalchemy import event

    from iamd.store import sql

    engine = app.runtime.database.engine
    seen = [0]
    query_run = sql.Query._run

    def before(*_args: Any) -> None:
        seen[0] += 1

    def counted(self: Any, conn: Any, params: Any) -> Any:
        seen[0] += 1
        return query_run(self, conn, params)

    event.listen(engine, "before_cursor_execute", before)
    sql.Query._run = counted  # type: ignore[method-assign]
    try:
        run()
    finally:
        sql.Query._run = query_run  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", before)
    return seen[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="requests per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--roles", type=int, default=100)
    parser.add_argument("--calls", default=",".join(CALLS))
    parser.add_argument("--profile", metavar="CALL", help="print cProfile of CALL instead")
    parser.add_argument("--sort", default="cumulative", help="cProfile order (tottime...)")
    parser.add_argument("--statements", action="store_true", help="SQL statements per call")
    parser.add_argument("--audit-ab", action="store_true", help="trail off and on, interleaved")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iamd-inprocess-") as tmp:
        os.environ.update(
            IAMD_DATA_DIR=tmp,
            IAMD_ACCOUNT_ID=ACCOUNT,
            IAMD_ROOT_ACCESS_KEY_ID=ROOT[0],
            IAMD_ROOT_SECRET_ACCESS_KEY=ROOT[1],
            IAMD_QUOTA_ROLES_PER_ACCOUNT="10000000",
        )
        from iamd.config import Settings
        from iamd.server.app import build_app
        from iamd.server.runtime import open_runtime, prepare_store

        settings = Settings.from_env()
        prepare_store(settings)
        app = build_app(open_runtime(settings))
        driver = Driver(app)
        if args.audit_ab and app.runtime.recorder is None:
            parser.error("--audit-ab needs the trail (IAMD_AUDIT on)")
        fx = seed(driver, args.roles)
        calls = [c for c in args.calls.split(",") if c]
        if args.profile:
            batch = list(scopes(args.profile, fx, args.count))
            timed(driver, batch[:50])
            profiler = cProfile.Profile()
            profiler.enable()
            timed(driver, batch[50:])
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)
            return 0
        for name in calls:
            rounds = 2 * args.repeats + 1 if args.audit_ab else args.repeats + 1
            batch = list(scopes(name, fx, args.count * rounds))
            if args.statements:
                n = count_statements(app, functools.partial(timed, driver, batch[:1]))
                print(f"{name:<20} {n} statements")
                continue
            timed(driver, batch[: args.count])  # warm
            if args.audit_ab:
                n = args.count
                halves = [batch[i * n : (i + 1) * n] for i in range(1, rounds)]
                stalls: list[float] = []
                pairs = [
                    timed_ab(app, driver, halves[i], halves[i + 1], stalls)
                    for i in range(0, len(halves), 2)
                ]
                off, on = min(p[0] for p in pairs), min(p[1] for p in pairs)
                stalls.sort()
                print(
                    f"{name:<20} off {off * 1e6:5.0f} us  on {on * 1e6:5.0f} us  "
                    f"added {(on - off) * 1e6:4.0f} us ({(on - off) / off:+.0%}) CPU/request; "
                    f"{len(stalls)} batches stored, each p50 "
                    f"{stalls[len(stalls) // 2] * 1e3:.1f} ms, max {stalls[-1] * 1e3:.1f} ms"
                )
                continue
            costs = [
                timed(driver, batch[i * args.count : (i + 1) * args.count])
                for i in range(1, args.repeats + 1)
            ]
            best, median = min(costs), statistics.median(costs)
            print(
                f"{name:<20} best {best * 1e6:7.0f} us  median {median * 1e6:7.0f} us CPU/request"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
