"""The console's ASGI application, mounted by the server for ``/console``, ``/federation``
and ``/saml``.

Built on Starlette (routing, requests, static files) with Jinja2 templates (autoescaped);
pages register themselves in ``web.PAGES`` (one module per area) and are wrapped here:
the session cookie is opened, pages that need a signed-in person send others to the
sign-in page, a refused form (CSRF) or an operation's error becomes a page, and every
answer gets the security headers (``web.Visit.finish``).
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from iamd.console import web
from iamd.console.client import Client
from iamd.console.seal import NotSealed, open_sealed, seal
from iamd.console.session import MFA, ConsoleSession
from iamd.errors import ServiceError
from iamd.server.pipeline import Pipeline
from iamd.sts.keyring import Purpose, keyring_for

# Page modules register their pages on import.
from iamd.console import (  # noqa: F401  isort: skip
    federation,
    groups,
    home,
    policies,
    policy_editor,
    providers,
    role_detail,
    role_edit,
    roles,
    saml_signin,
    service_linked,
    signin,
    simulator,
    switch_role,
    trail,
    users,
)

log = logging.getLogger("iamd.console")
HERE = Path(__file__).resolve().parent
SIGN_IN = "/console/signin"


class Console:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.runtime = pipeline.runtime
        self.ring = keyring_for(self.runtime.box)
        self.client = Client(pipeline)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        routes: list[Any] = [
            Route(p.path, self._endpoint(p), methods=list(p.methods)) for p in web.PAGES
        ]
        routes.append(Mount("/console/static", StaticFiles(directory=HERE / "static")))
        self.app = Starlette(routes=routes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:  # Starlette has answered 500 already; it re-raises for the log
            log.exception("unhandled error in the console")

    def now(self) -> dt.datetime:
        return self.runtime.clock.now()

    # -- the session cookie ------------------------------------------------------------

    def seal_session(self, session: ConsoleSession) -> str:
        """The cookie's value. A write transaction: on a new store the ring's first key
        is made here (rare: only sign-in and switch role set a cookie)."""
        rt = self.runtime
        return rt.database.run(
            True,
            lambda conn: seal(
                self.ring,
                conn,
                Purpose.CONSOLE_SESSION,
                session.payload(),
                now=rt.clock.now(),
                random=rt.random,
            ),
        )

    def read_session(self, request: Request) -> ConsoleSession | None:
        sealed = request.cookies.get(web.COOKIE)
        if not sealed:
            return None
        try:
            raw = self.runtime.database.run(
                False, lambda conn: open_sealed(self.ring, conn, Purpose.CONSOLE_SESSION, sealed)
            )
            session = ConsoleSession.of(raw)
        except (NotSealed, KeyError, ValueError, TypeError, IndexError):
            return None
        return None if session.expired(self.now()) else session

    # -- pages -------------------------------------------------------------------------

    def _endpoint(self, page: web.Page) -> Any:
        async def endpoint(request: Request) -> Response:
            session = self.read_session(request)
            visit = web.Visit(request, self, session)
            if request.cookies.get(web.COOKIE) and session is None:
                visit.clear_session = True
            if page.signed_in and not visit.signed_in:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                where = "/console/signin/mfa" if session and session.stage == MFA else SIGN_IN
                if session is not None and session.stage != MFA:
                    where = "/console/signin/password"
                query = urllib.parse.urlencode({"next": target}) if where == SIGN_IN else ""
                return visit.finish(visit.redirect(where + ("?" + query if query else "")))
            try:
                response = await page.handler(visit)
            except web.FormRefused as exc:
                response = visit.render("error.html", status=403, title="Refused", message=str(exc))
            except ServiceError as exc:
                response = visit.render(
                    "error.html",
                    status=exc.http_status,
                    title=exc.code,
                    message=exc.message,
                )
            return visit.finish(response)

        endpoint.__name__ = page.handler.__name__
        return endpoint


def build_console(pipeline: Pipeline) -> Console:
    return Console(pipeline)
