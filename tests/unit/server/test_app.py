"""The ASGI app in-process: the error handler, transactions, bodies, unsigned operations.

Test-only operations are put into the registry with ``monkeypatch`` for one test each,
under names the STS model has, so that nothing test-only exists in production code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

import pytest

from iamd import operations
from iamd.model.caller import CallerKind
from iamd.operations import Operation, OperationContext, Params, Result, no_resource
from iamd.server.app import IamdApp
from iamd.server.forms import MAX_BODY_BYTES
from iamd.server.runtime import Runtime
from iamd.store.db import change_counter, touch_account

from .asgi import FORM, call, signed

STS = "Version=2011-06-15"


def install(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    handler: Any,
    *,
    readonly: bool = False,
    signed_only: bool = True,
) -> None:
    op = Operation(
        service="sts",
        name=name,
        handler=handler,
        action=f"sts:{name}",
        target=no_resource,
        request_context=None,
        readonly=readonly,
        authorize=False,
        signed=signed_only,
    )
    monkeypatch.setitem(operations._REGISTRY, ("sts", name), op)


def test_an_unexpected_exception_is_an_internal_failure(
    app: IamdApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(ctx: OperationContext, params: Params) -> Result:
        raise RuntimeError("the hidden detail")

    install(monkeypatch, "GetSessionToken", explode)
    with caplog.at_level(logging.ERROR, logger="iamd.server"):
        reply = signed(app, f"Action=GetSessionToken&{STS}".encode())
    assert reply.status == 500
    assert "<Code>InternalFailure</Code>" in reply.text
    assert "<Type>Receiver</Type>" in reply.text
    rid = reply.headers["x-amzn-requestid"]
    assert f"<RequestId>{rid}</RequestId>" in reply.text
    for leak in ("Traceback", "RuntimeError", "the hidden detail", "explode"):
        assert leak not in reply.text
    logged = [r for r in caplog.records if rid in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "the hidden detail" in str(logged[0].exc_info[1])


def test_a_failed_handler_rolls_its_writes_back(
    app: IamdApp, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write_then_fail(ctx: OperationContext, params: Params) -> Result:
        touch_account(ctx.db, ctx.account_id)
        raise RuntimeError("after the write")

    install(monkeypatch, "GetSessionToken", write_then_fail)
    account = runtime.settings.account_id
    before = runtime.database.run(False, lambda c: change_counter(c, account))
    assert signed(app, f"Action=GetSessionToken&{STS}".encode()).status == 500
    assert runtime.database.run(False, lambda c: change_counter(c, account)) == before


def test_a_handler_sees_its_context(app: IamdApp, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[OperationContext] = []

    def record(ctx: OperationContext, params: Params) -> Result:
        seen.append(ctx)
        return {}

    install(monkeypatch, "GetSessionToken", record)
    reply = signed(app, f"Action=GetSessionToken&{STS}&DurationSeconds=900".encode())
    assert reply.status == 200, reply.text
    (ctx,) = seen
    assert ctx.caller.kind is CallerKind.ROOT
    assert ctx.service == "sts" and ctx.action == "GetSessionToken"
    assert ctx.request.source_ip == "10.1.2.3"
    assert ctx.request.secure_transport is False
    assert ctx.request_id == reply.headers["x-amzn-requestid"]
    assert ctx.now.tzinfo is not None


def test_unsigned_operations_run_as_anonymous(
    app: IamdApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[OperationContext] = []

    def record(ctx: OperationContext, params: Params) -> Result:
        seen.append(ctx)
        return {}

    install(monkeypatch, "AssumeRoleWithWebIdentity", record, signed_only=False)
    body = (
        f"Action=AssumeRoleWithWebIdentity&{STS}&RoleArn=arn:aws:iam::123456789012:role/r"
        "&RoleSessionName=session&WebIdentityToken=" + "t" * 10
    ).encode()
    reply = call(app, body, headers=[("Content-Type", FORM)])
    assert reply.status == 200, reply.text
    assert 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in reply.text
    assert seen[0].caller.kind is CallerKind.ANONYMOUS


def test_unsigned_operations_still_validate(app: IamdApp, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, "AssumeRoleWithWebIdentity", lambda c, p: {}, signed_only=False)
    reply = call(app, f"Action=AssumeRoleWithWebIdentity&{STS}".encode())
    assert reply.status == 400
    assert "<Code>ValidationError</Code>" in reply.text


def test_an_operation_in_the_model_that_iamd_lacks(app: IamdApp) -> None:
    reply = signed(app, f"Action=GetWebIdentityToken&{STS}".encode())
    assert reply.status == 400
    assert "<Code>InvalidAction</Code>" in reply.text


def test_a_body_in_chunks(app: IamdApp) -> None:
    body = f"Action=GetCallerIdentity&{STS}".encode()
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from .asgi import KEY_ID, SECRET

    request = AWSRequest(
        method="POST", url="http://127.0.0.1:4566/", data=body, headers={"Content-Type": FORM}
    )
    SigV4Auth(Credentials(KEY_ID, SECRET), "sts", "us-east-1").add_auth(request)
    headers = [("Host", "127.0.0.1:4566"), *((k, str(v)) for k, v in request.headers.items())]
    reply = call(app, body, headers=headers, chunks=7)
    assert reply.status == 200, reply.text
    assert "<Arn>arn:aws:iam::123456789012:root</Arn>" in reply.text


def test_too_large_by_content_length(app: IamdApp) -> None:
    reply = call(app, b"", headers=[("Content-Length", str(MAX_BODY_BYTES + 1))])
    assert reply.status == 413
    assert "<Code>RequestEntityTooLarge</Code>" in reply.text


def test_too_large_while_streaming(app: IamdApp) -> None:
    reply = call(app, b"x" * (MAX_BODY_BYTES + 10), chunks=20)
    assert reply.status == 413


def test_healthz_and_not_found(app: IamdApp) -> None:
    assert call(app, method="GET", path="/healthz").status == 200
    reply = call(app, method="GET", path="/favicon.ico")
    assert reply.status == 404 and "<Code>NotFound</Code>" in reply.text


def test_lifespan_closes_the_database(app: IamdApp, runtime: Runtime) -> None:
    messages: list[MutableMapping[str, Any]] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    sent: list[str] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
