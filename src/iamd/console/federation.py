"""AWS's federation endpoint: a role session's credentials become a console session.

``GET /federation?Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}``
(optionally ``SessionDuration``, 900 to 43200 seconds) checks the credentials (the token
opens for that key id, the key matches its secret, and they are not expired) and answers
``{"SigninToken": ...}``: the session sealed for 15 minutes under the key ring.
``GET /federation?Action=login&Issuer=...&Destination=...&SigninToken=...`` turns the
token into the console's cookie and goes to ``Destination`` (a page of this console; any
other address, AWS's console included, lands on its home page).

As AWS says, the credentials must be temporary credentials from AssumeRole,
AssumeRoleWithWebIdentity, AssumeRoleWithSAML or GetFederationToken: long-term keys and
GetSessionToken's sessions are refused. The console session ends when the credentials do
(``SessionDuration`` can only shorten it; AWS's can outlive them).
"""

from __future__ import annotations

import hmac
import json
import urllib.parse
from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response

from iamd.auth.credentials import Authenticated
from iamd.console.seal import NotSealed, open_sealed, seal
from iamd.console.session import Identity, signed_in
from iamd.console.web import HOME, Visit, page, safe_next
from iamd.errors import ServiceError
from iamd.model.caller import CallerKind
from iamd.sts.keyring import Purpose

TOKEN_SECONDS = 15 * 60
MIN_DURATION, MAX_DURATION = 900, 43200
MAX_SESSION_PARAM = 16384
_KINDS = (CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER)


def _bad(message: str) -> Response:
    return PlainTextResponse(message, status_code=400)


def _duration(raw: str | None) -> int | str | None:
    if raw is None:
        return None
    if not raw.isdigit() or not MIN_DURATION <= int(raw) <= MAX_DURATION:
        return f"SessionDuration must be between {MIN_DURATION} and {MAX_DURATION} seconds."
    return int(raw)


@page("/federation", signed_in=False)
async def federation(visit: Visit) -> Response:
    action = visit.request.query_params.get("Action", "")
    if action == "getSigninToken":
        return _get_signin_token(visit)
    if action == "login":
        return _login(visit)
    return _bad("Action must be getSigninToken or login.")


def _get_signin_token(visit: Visit) -> Response:
    query = visit.request.query_params
    raw = query.get("Session", "")
    duration = _duration(query.get("SessionDuration"))
    if isinstance(duration, str):
        return _bad(duration)
    if not raw or len(raw) > MAX_SESSION_PARAM:
        return _bad("The Session parameter is missing or too long.")
    try:
        session = json.loads(raw)
        key_id, key, token = (str(session[k]) for k in ("sessionId", "sessionKey", "sessionToken"))
    except (ValueError, TypeError, KeyError):
        return _bad(
            "The Session parameter must be JSON with sessionId, sessionKey and sessionToken."
        )
    rt = visit.console.runtime

    def check(conn: Any) -> str:
        now = rt.clock.now()
        found = rt.credentials.sessions(conn, key_id, token)
        who: Authenticated = found.principal
        if not hmac.compare_digest(found.secret_access_key.encode(), key.encode()):
            raise PermissionError("The session key does not match the session.")
        caller = who.caller
        if caller.kind not in _KINDS or caller.session is None or caller.session.console:
            raise PermissionError(
                "The credentials must come from AssumeRole, AssumeRoleWithWebIdentity, "
                "AssumeRoleWithSAML or GetFederationToken."
            )
        expires = int(caller.session.expires_at.timestamp())
        if isinstance(duration, int):
            expires = min(expires, int(now.timestamp()) + duration)
        payload = {
            "k": key_id,
            "t": token,
            "e": expires,
            "a": caller.arn,
            "c": caller.account_id,
            "u": int(now.timestamp()) + TOKEN_SECONDS,
        }
        return seal(
            visit.console.ring, conn, Purpose.SIGNIN_TOKEN, payload, now=now, random=rt.random
        )

    try:
        signin_token = rt.database.run(True, check)  # may make the ring's first key
    except ServiceError as exc:
        return _bad(f"{exc.code}: {exc.message}")
    except PermissionError as exc:
        return _bad(str(exc))
    return JSONResponse({"SigninToken": signin_token})


def _destination(visit: Visit, raw: str) -> str:
    """A page of this console, named by path or by an address on this host; anything
    else (AWS's console included) is the console's home."""
    parts = urllib.parse.urlsplit(raw)
    host = visit.request.headers.get("host", "")
    if parts.netloc and (parts.scheme not in ("http", "https") or parts.netloc != host):
        return HOME
    return safe_next(parts.path + ("?" + parts.query if parts.query else ""))


def _login(visit: Visit) -> Response:
    query = visit.request.query_params
    text = query.get("SigninToken", "")
    rt = visit.console.runtime
    try:
        payload = rt.database.run(
            False, lambda conn: open_sealed(visit.console.ring, conn, Purpose.SIGNIN_TOKEN, text)
        )
        identity = Identity(
            str(payload["k"]),
            str(payload["t"]),
            int(payload["e"]),
            str(payload["a"]),
            str(payload["c"]),
        )
        usable_until = int(payload["u"])
    except (NotSealed, KeyError, ValueError, TypeError):
        return _bad("The sign-in token is not valid.")
    now = int(rt.clock.now().timestamp())
    if now >= usable_until or now >= identity.expires:
        return _bad("The sign-in token has expired.")
    visit.set_session = signed_in(identity)
    return visit.redirect(_destination(visit, query.get("Destination", "/console")))
