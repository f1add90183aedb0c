"""The operation registry: one handler per IAM or STS action, and what it is given.

A handler is a plain function named after its operation (``create_role``) that takes an
``OperationContext`` and the parsed parameters and returns a dict shaped like the
operation's output shape. It never sees XML, HTTP or SQL text; it raises
``iamd.errors.ServiceError`` subclasses.

``@operation`` registers it with how the request is authorized: the IAM action
(``iam:CreateRole`` by default), the resource it acts on (a function of the context and
parameters, since an existing role's ARN carries its path and only the store knows it),
the request's own condition keys (``aws:RequestTag/*``, ``iam:PermissionsBoundary``...)
and whether the server authorizes it before calling the handler (AssumeRole and
GetCallerIdentity decide for themselves). The server looks operations up here; this
module is the only global registry in iamd.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from iamd.clock import Clock
from iamd.config import Settings
from iamd.model.caller import Caller

Params = dict[str, Any]
Result = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Target:
    """The resource an action acts on: its ARN, owner and tags (``aws:ResourceTag/*``)."""

    arn: str
    tags: Mapping[str, str] = field(default_factory=dict)
    account: str | None = None


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Facts about the HTTP request that become global condition keys."""

    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    user_agent: str = ""
    region: str = "us-east-1"


class SecretBox(Protocol):
    """Authenticated encryption of secrets at rest under the server's master key."""

    def encrypt(self, plaintext: bytes) -> bytes: ...

    def decrypt(self, ciphertext: bytes) -> bytes: ...


class Authorize(Protocol):
    """Raises AccessDenied unless the caller may do ``action`` on ``target``."""

    def __call__(
        self, action: str, target: Target, context: Mapping[str, object] | None = None
    ) -> None: ...


@dataclass(slots=True)
class OperationContext:
    request_id: str
    service: str
    action: str
    caller: Caller
    db: Any  # sqlalchemy.Connection inside the request's transaction
    clock: Clock
    settings: Settings
    random: Callable[[int], bytes]
    secrets: SecretBox
    request: RequestInfo
    authorize: Authorize
    now: dt.datetime
    # What ``target`` read, kept for the handler (GetRole looks its role up once). Only a
    # read-only operation gets a memo: nothing in its transaction changes what was read.
    memo: dict[Hashable, Any] | None = None
    # The caller's account's change counter as authentication read it, in this request's
    # first snapshot (None when it was not read: temporary credentials).
    counter: int | None = None
    # Ends the read part of the request's write transaction (see ``Operation.writes_late``);
    # the server calls it before the handler of every other write. Calling it again, or in
    # a read-only transaction, does nothing.
    start_writing: Callable[[], None] = lambda: None
    # What an operation that authenticates its caller itself was presented with, already
    # verified by the server (CreateSession: the X.509 certificate whose key signed the
    # request, and its chain); None for every other request.
    presented: Any = None

    @property
    def account_id(self) -> str:
        """The account the operation acts in: the caller's."""
        return self.caller.account_id

    def remember(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` for the rest of the request, if this operation has a memo."""
        if self.memo is not None:
            self.memo[key] = value

    def recall(self, key: Hashable) -> Any:
        """What ``remember`` kept under ``key``, or None."""
        return self.memo.get(key) if self.memo is not None else None


Handler = Callable[[OperationContext, Params], Result]
TargetOf = Callable[[OperationContext, Params], Target]
ContextOf = Callable[[OperationContext, Params], Mapping[str, object]]
# Work done before the request's transaction opens, given the store's Database and the
# parameters: slow network fetches (an identity provider's keys) that must not hold a
# write transaction, which on SQLite would stall every writer of every process.
Prepare = Callable[[Any, Params], None]


def no_resource(ctx: OperationContext, params: Params) -> Target:
    """Actions that do not act on one resource are authorized on ``*``."""
    return Target("*")


@dataclass(frozen=True, slots=True)
class Operation:
    service: str
    name: str
    handler: Handler
    action: str
    target: TargetOf
    request_context: ContextOf | None
    readonly: bool
    authorize: bool
    signed: bool
    prepare: Prepare | None = None
    # A write that usually only reads (AssumeRole notes RoleLastUsed once a minute): on
    # SQLite its transaction takes the write lock only when it writes, so concurrent
    # callers in other processes do not queue on it; one that loses a race runs again.
    writes_rarely: bool = False
    # The handler reads and checks before it writes, and says when it starts writing
    # (``ctx.start_writing()``): on SQLite the write lock is taken there, so the checks and
    # lookups before it run in parallel with other processes' writes. What the handler
    # read before it comes from a snapshot that a concurrent write may have overtaken, so
    # only reads whose result stays valid if another write commits first belong there
    # (CreateRole resolves its trust policy's principals; the name is checked by the
    # unique index when the row is inserted).
    writes_late: bool = False


_REGISTRY: dict[tuple[str, str], Operation] = {}


def operation(
    service: str,
    name: str,
    *,
    target: TargetOf = no_resource,
    request_context: ContextOf | None = None,
    action: str | None = None,
    readonly: bool | None = None,
    authorize: bool = True,
    signed: bool = True,
    prepare: Prepare | None = None,
    writes_rarely: bool = False,
    writes_late: bool = False,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``service``'s ``name``."""

    def register(handler: Handler) -> Handler:
        key = (service, name)
        if key in _REGISTRY:
            raise RuntimeError(f"operation {service}:{name} is registered twice")
        _REGISTRY[key] = Operation(
            service=service,
            name=name,
            handler=handler,
            action=action or f"{service}:{name}",
            target=target,
            request_context=request_context,
            readonly=name.startswith(("Get", "List")) if readonly is None else readonly,
            authorize=authorize,
            signed=signed,
            prepare=prepare,
            writes_rarely=writes_rarely,
            writes_late=writes_late,
        )
        return handler

    return register


def lookup(service: str, name: str) -> Operation | None:
    return _REGISTRY.get((service, name))


def registered(service: str | None = None) -> list[Operation]:
    return [op for (svc, _), op in sorted(_REGISTRY.items()) if service in (None, svc)]
