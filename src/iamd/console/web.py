"""The console's request plumbing: the page registry, a ``Visit`` per request, forms,
CSRF checks, cookies and the headers every page carries.

A page module registers its handlers with ``@page(path, methods)``; ``app.py`` imports the
modules and mounts what they registered. A handler is ``async def handler(visit) ->
Response``. ``visit.call(service, action, params)`` runs an operation as the signed-in
person (``client.py``); ``visit.render`` fills a template with the header's facts.

Forms: every POST must come from a page of this console: its ``Origin`` (when the browser
sends one) names this host, and its ``csrf`` field matches the session's secret (or,
before sign-in, the ``iamd-csrf`` cookie's: a double submit), compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from iamd.console.session import SIGNED_IN, ConsoleSession
from iamd.model import json_text

if TYPE_CHECKING:
    from iamd.console.app import Console

COOKIE = "iamd-console"
CSRF_COOKIE = "iamd-csrf"
MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 400

Handler = Callable[["Visit"], Awaitable[Response]]
HOME = "/console"


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    methods: tuple[str, ...]
    handler: Handler
    signed_in: bool


PAGES: list[Page] = []


def page(
    path: str, methods: tuple[str, ...] = ("GET",), *, signed_in: bool = True
) -> Callable[[Handler], Handler]:
    """Register a console page; ``signed_in`` pages send others to the sign-in page."""

    def register(handler: Handler) -> Handler:
        PAGES.append(Page(path, methods, handler, signed_in))
        return handler

    return register


def safe_next(target: str) -> str:
    """Only a page of this console: no other host, no scheme, no backslash tricks."""
    path = target.split("?", 1)[0]
    if (
        (path == HOME or path.startswith(HOME + "/"))
        and "//" not in target
        and "\\" not in target
        and ".." not in path
        and len(target) <= 2048
    ):
        return target
    return HOME


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The request's body, or None as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


class FormRefused(Exception):
    """A POST that did not come from this console's own form (CSRF), or is too large."""


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(slots=True)
class Visit:
    """One request to the console."""

    request: Request
    console: Console
    session: ConsoleSession | None
    set_session: ConsoleSession | None = None  # written back as the cookie
    clear_session: bool = False
    _form: dict[str, list[str]] | None = None
    new_csrf_cookie: str | None = None
    flashes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def secure(self) -> bool:
        return self.request.url.scheme == "https"

    @property
    def signed_in(self) -> bool:
        return self.session is not None and self.session.stage == SIGNED_IN

    @property
    def path_name(self) -> str:
        """The entity's name in the page's path (``/console/roles/{name}``...)."""
        return str(self.request.path_params["name"])

    # -- forms -------------------------------------------------------------------------

    async def form(self) -> dict[str, list[str]]:
        """The POSTed form, checked to come from this console."""
        if self._form is not None:
            return self._form
        body = await self._own_body()
        try:
            pairs = urllib.parse.parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS
            )
        except (UnicodeDecodeError, ValueError):
            raise FormRefused("The form could not be read.") from None
        form: dict[str, list[str]] = {}
        for key, value in pairs:
            form.setdefault(key, []).append(value)
        expected = (
            self.session.csrf
            if self.session is not None
            else self.request.cookies.get(CSRF_COOKIE, "")
        )
        self._check_csrf(expected, form.get("csrf", [""])[0])
        self._form = form
        return form

    async def json_body(self) -> Any:
        """A JSON request from this console's own script: same origin, the session's CSRF
        secret in the ``X-CSRF-Token`` header, at most ``MAX_FORM_BYTES``."""
        body = await self._own_body()
        expected = self.session.csrf if self.session is not None else ""
        self._check_csrf(expected, self.request.headers.get("x-csrf-token", ""))
        try:
            return json_text.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise FormRefused("The request could not be read.") from None

    async def _own_body(self) -> bytes:
        """The request's body, refused if another site sent it or it is too large."""
        origin = self.request.headers.get("origin")
        if origin is not None and origin != "null":
            host = self.request.headers.get("host", "")
            if urllib.parse.urlsplit(origin).netloc != host:
                raise FormRefused("The form was sent from another site.")
        body = await read_capped(self.request, MAX_FORM_BYTES)
        if body is None:
            raise FormRefused("The form is too large.")
        return body

    @staticmethod
    def _check_csrf(expected: str, sent: str) -> None:
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise FormRefused("The form has expired; reload the page and try again.")

    async def field(self, name: str, default: str = "") -> str:
        values = (await self.form()).get(name)
        return values[0] if values else default

    def csrf(self) -> str:
        """The value this page's forms carry."""
        if self.session is not None:
            return self.session.csrf
        current = self.request.cookies.get(CSRF_COOKIE)
        if current and len(current) <= 64:
            return current
        if self.new_csrf_cookie is None:
            self.new_csrf_cookie = secrets.token_urlsafe(24)
        return self.new_csrf_cookie

    # -- calling iamd ------------------------------------------------------------------

    def call(self, service: str, action: str, params: dict[str, Any] | None = None) -> Any:
        """Run ``action`` as the signed-in person; raises the operation's ServiceError."""
        assert self.session is not None and self.session.identity is not None
        return self.console.client.call(
            self.request, self.session.identity, service, action, params or {}
        )

    def call_json(self, service: str, action: str, params: dict[str, Any] | None = None) -> Any:
        """Run a JSON-protocol ``action`` (CloudTrail's) as the signed-in person."""
        assert self.session is not None and self.session.identity is not None
        return self.console.client.call_json(
            self.request, self.session.identity, service, action, params or {}
        )

    # -- answering -----------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        values.setdefault("visit", self)
        values.setdefault("csrf", self.csrf())
        values.setdefault("flashes", self.flashes)
        html = self.console.templates.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status)

    def redirect(self, to: str) -> Response:
        return RedirectResponse(to, status_code=303)

    def finish(self, response: Response) -> Response:
        """Headers and cookies every console answer carries."""
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if self.new_csrf_cookie is not None:
            response.set_cookie(
                CSRF_COOKIE,
                self.new_csrf_cookie,
                httponly=True,
                samesite="strict",
                secure=self.secure,
                path="/",
            )
        if self.clear_session:
            response.delete_cookie(
                COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure
            )
        elif self.set_session is not None:
            sealed = self.console.seal_session(self.set_session)
            max_age = max(0, int(self.set_session.expires - self.console.now().timestamp()))
            response.set_cookie(
                COOKIE,
                sealed,
                max_age=max_age,
                httponly=True,
                samesite="lax",
                secure=self.secure,
                path="/",
            )
        return response
