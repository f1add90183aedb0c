"""Signing in and out: an IAM user's or the root's password, the MFA code, a required
new password.

Messages are AWS's sign-in page's: one for every wrong account, user or password. The
password check (one scrypt hash) runs off the event loop; the attempt, its failure count
and the minted session are one transaction (``iam.sign_in``). Every attempt on an account
the store has, refused or not, is a ConsoleLogin event in its trail (``sign_in_events``).

A console session is temporary credentials minted for the person (``sts.credentials.mint``
with ``console`` set): an IAM user's lasts 12 hours and acts as the user, MFA-authenticated
when a code was given; the root's lasts one hour, as the root's GetSessionToken sessions do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from iamd.console import sign_in_events as events
from iamd.console.session import (
    CHANGE_PASSWORD,
    MFA,
    PENDING_SECONDS,
    ConsoleSession,
    Identity,
    new_csrf,
    signed_in,
)
from iamd.console.web import HOME, Visit, page, safe_next
from iamd.errors import ServiceError
from iamd.iam import sign_in
from iamd.iam.sign_in import User
from iamd.model.arn import root_arn
from iamd.sts.credentials import mint
from iamd.sts.sessions import epoch
from iamd.sts.tokens import SessionClaims, SessionKind

USER_SECONDS = 12 * 3600
ROOT_SECONDS = 3600
WRONG = "Your authentication information is incorrect. Please try again."
WRONG_CODE = "The MFA code you entered is not valid. Please try again."


def too_many(wait: int) -> str:
    unit = "second" if wait == 1 else "seconds"
    return f"Too many failed sign-in attempts. Wait {wait} {unit}, then try again."


def _claims(
    account_id: str, user: User | None, now: dt.datetime, mfa_at: int | None
) -> SessionClaims:
    issued = epoch(now)
    if user is None:
        return SessionClaims(
            kind=SessionKind.ROOT,
            account_id=account_id,
            principal_id=account_id,
            principal_arn=root_arn(account_id),
            name="",
            issued_at=issued,
            expires_at=issued + ROOT_SECONDS,
            secret="",
            mfa_at=mfa_at,
            console=True,
        )
    return SessionClaims(
        kind=SessionKind.USER,
        account_id=account_id,
        principal_id=user.user_id,
        principal_arn=user.arn,
        name=user.name,
        issued_at=issued,
        expires_at=issued + USER_SECONDS,
        secret="",
        mfa_at=mfa_at,
        console=True,
    )


def mint_identity(
    visit: Visit, conn: Connection, account_id: str, user: User | None, mfa_at: int | None
) -> Identity:
    rt = visit.console.runtime
    now = rt.clock.now()
    claims = _claims(account_id, user, now, mfa_at)
    minted = mint(visit.console.ring, conn, claims, now=now, random=rt.random)
    return Identity(
        minted.access_key_id,
        minted.session_token,
        claims.expires_at,
        claims.principal_arn,
        account_id,
    )


def _form_values(account: str = "", user: str = "", root: bool = False) -> dict[str, Any]:
    return {"account": account, "user_name": user, "root": root}


@page("/console/signin", signed_in=False)
async def sign_in_form(visit: Visit) -> Response:
    if visit.signed_in:
        return visit.redirect(HOME)
    account = visit.request.query_params.get("account", "")[:63]
    return visit.render(
        "signin.html",
        error="",
        next=safe_next(visit.request.query_params.get("next", HOME)),
        **_form_values(account),
    )


@page("/console/signin", ("POST",), signed_in=False)
async def sign_in_post(visit: Visit) -> Response:
    await visit.form()  # checked against the page's own secret (a pending stage's, or the cookie's)
    visit.session = None  # a new sign-in starts from nothing
    account = (await visit.field("account"))[:256]
    root = (await visit.field("kind")) == "root"
    user_name = None if root else (await visit.field("user_name"))[:256]
    password = (await visit.field("password"))[:256]
    target = safe_next(await visit.field("next", HOME))
    rt = visit.console.runtime

    def attempt(conn: Connection) -> tuple[sign_in.Outcome, Identity | None]:
        outcome = sign_in.attempt(conn, rt.clock.now(), account, user_name, password)
        if not outcome.ok or outcome.mfa_serials or outcome.account_id is None:
            return outcome, None
        return outcome, mint_identity(visit, conn, outcome.account_id, outcome.user, None)

    outcome, identity = await run_in_threadpool(rt.database.run, True, attempt)
    if not (outcome.ok and outcome.mfa_serials):  # a right password is recorded after the code
        events.record(
            visit,
            success=outcome.ok,
            account_id=outcome.account_id,
            user=outcome.user,
            root=root,
            mfa_used=False,
        )
    if not outcome.ok:
        if outcome.retry_after:
            error = too_many(outcome.retry_after)
            status = 429
        else:
            error, status = WRONG, 401
        return visit.render(
            "signin.html",
            status=status,
            error=error,
            next=target,
            **_form_values(account, user_name or "", root),
        )
    assert outcome.account_id is not None
    if outcome.mfa_serials and outcome.user is not None:
        pending = ConsoleSession(
            stage=MFA,
            csrf=new_csrf(),
            pending_user=(outcome.account_id, outcome.user.user_id, outcome.user.name),
            pending_until=int(rt.clock.now().timestamp()) + PENDING_SECONDS,
        )
        visit.set_session = pending
        return visit.redirect("/console/signin/mfa?" + _next_query(target))
    assert identity is not None
    return _signed_in(visit, identity, outcome.must_change, target)


def _next_query(target: str) -> str:
    return urlencode({"next": target})


def _signed_in(visit: Visit, identity: Identity, must_change: bool, target: str) -> Response:
    session = signed_in(identity)
    if must_change:
        visit.set_session = replace(session, stage=CHANGE_PASSWORD)
        return visit.redirect("/console/signin/password?" + _next_query(target))
    visit.set_session = session
    return visit.redirect(target)


@page("/console/signin/mfa", signed_in=False)
async def mfa_form(visit: Visit) -> Response:
    session = visit.session
    if session is None or session.stage != MFA or session.pending_user is None:
        return visit.redirect("/console/signin")
    return visit.render(
        "mfa.html",
        error="",
        user_name=session.pending_user[2],
        next=safe_next(visit.request.query_params.get("next", HOME)),
    )


@page("/console/signin/mfa", ("POST",), signed_in=False)
async def mfa_post(visit: Visit) -> Response:
    session = visit.session
    if session is None or session.stage != MFA or session.pending_user is None:
        return visit.redirect("/console/signin")
    code = (await visit.field("code")).strip()[:16]
    target = safe_next(await visit.field("next", HOME))
    account_id, user_id, user_name = session.pending_user
    rt = visit.console.runtime

    def check(conn: Connection) -> tuple[sign_in.Outcome, Identity | None]:
        now = rt.clock.now()
        outcome = sign_in.attempt_code(conn, rt.box, now, account_id, user_id, user_name, code)
        if not outcome.ok:
            return outcome, None
        return outcome, mint_identity(visit, conn, account_id, outcome.user, epoch(now))

    outcome, identity = await run_in_threadpool(rt.database.run, True, check)
    wait = outcome.retry_after
    if outcome.user is not None:  # None: the user was deleted since the password step
        events.record(
            visit,
            success=outcome.ok,
            account_id=account_id,
            user=outcome.user,
            root=False,
            mfa_used=True,
        )
    if identity is None:
        error = too_many(wait) if wait else WRONG_CODE
        return visit.render(
            "mfa.html", status=429 if wait else 401, error=error, user_name=user_name, next=target
        )
    return _signed_in(visit, identity, outcome.must_change, target)


@page("/console/signin/password", signed_in=False)
async def password_form(visit: Visit) -> Response:
    session = visit.session
    if session is None or session.stage != CHANGE_PASSWORD:
        return visit.redirect(HOME if visit.signed_in else "/console/signin")
    return visit.render(
        "change_password.html",
        error="",
        next=safe_next(visit.request.query_params.get("next", HOME)),
    )


@page("/console/signin/password", ("POST",), signed_in=False)
async def password_post(visit: Visit) -> Response:
    session = visit.session
    if session is None or session.stage != CHANGE_PASSWORD or session.identity is None:
        return visit.redirect("/console/signin")
    old = (await visit.field("old_password"))[:256]
    new = (await visit.field("new_password"))[:256]
    again = (await visit.field("confirm_password"))[:256]
    target = safe_next(await visit.field("next", HOME))
    if new != again:
        return visit.render(
            "change_password.html", status=400, error="The new passwords do not match.", next=target
        )
    try:
        visit.call("iam", "ChangePassword", {"OldPassword": old, "NewPassword": new})
    except ServiceError as exc:
        return visit.render(
            "change_password.html",
            status=exc.http_status,
            error=f"{exc.code}: {exc.message}",
            next=target,
        )
    visit.set_session = replace(session, stage="in")
    return visit.redirect(target)


@page("/console/signout", ("POST",), signed_in=False)
async def sign_out(visit: Visit) -> Response:
    if visit.session is not None:
        await visit.form()  # CSRF: only this console's own button signs out
    visit.clear_session = True
    visit.session = None
    return visit.redirect("/console/signin?signed_out=1")
