"""Hostile requests to the console's endpoints: none reaches a 5xx, none signs anyone in.

Forged, truncated and oversized cookies, forms and tokens; federation parameters of every
wrong shape; SAML responses that are not XML, or XML bombs; open redirects."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .conftest import IamdServer


def _send(
    server: IamdServer,
    path: str,
    *,
    data: bytes | None = None,
    cookie: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(f"{server.endpoint}{path}", data=data)
    if cookie is not None:
        request.add_header("Cookie", cookie)
    for name, value in (headers or {}).items():
        request.add_header(name, value)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=20) as answer:
            return answer.status, dict(answer.headers), answer.read().decode(errors="replace")
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, dict(refused.headers), refused.read().decode(errors="replace")


COOKIES = [
    "iamd-console=",
    "iamd-console=" + "A" * 5000,
    "iamd-console=" + "%ZZ",
    "iamd-console=" + base64.urlsafe_b64encode(b"\x00" * 64).decode().rstrip("="),
    "iamd-console=!!!!; iamd-csrf=" + "x" * 10000,
]


@pytest.mark.parametrize("cookie", COOKIES)
@pytest.mark.parametrize("path", ["/console", "/console/switchrole", "/console/signin"])
def test_forged_cookies_are_nobody(iamd_server: IamdServer, cookie: str, path: str) -> None:
    status, headers, _ = _send(iamd_server, path, cookie=cookie)
    assert status in (200, 303), status
    if path != "/console/signin":
        assert headers["location"].startswith("/console/signin")


FORMS = [
    b"",
    b"csrf=",
    b"%ZZ=%ZZ",
    b"\xff\xfe=\xff",
    b"a=" + b"b" * 70_000,
    b"&".join(b"f%d=1" % i for i in range(1000)),
]


@pytest.mark.parametrize("body", FORMS, ids=range(len(FORMS)))
@pytest.mark.parametrize(
    "path",
    ["/console/signin", "/console/signin/mfa", "/console/signin/password", "/console/signout"],
)
def test_crafted_forms_are_refused_cleanly(iamd_server: IamdServer, body: bytes, path: str) -> None:
    status, _, _ = _send(iamd_server, path, data=body, cookie="iamd-csrf=abc")
    assert status < 500
    assert status in (303, 403)


def test_a_form_from_another_site_is_refused(iamd_server: IamdServer) -> None:
    status, _, body = _send(
        iamd_server,
        "/console/signin",
        data=b"csrf=abc&kind=root&account=123456789012&password=x",
        cookie="iamd-csrf=abc",
        headers={"Origin": "https://evil.example"},
    )
    assert status == 403 and "another site" in body


FEDERATION = [
    {},
    {"Action": "nope"},
    {"Action": "getSigninToken"},
    {"Action": "getSigninToken", "Session": "not json"},
    {"Action": "getSigninToken", "Session": "[]"},
    {"Action": "getSigninToken", "Session": json.dumps({"sessionId": 1})},
    {
        "Action": "getSigninToken",
        "Session": json.dumps({"sessionId": "ASIA", "sessionKey": "k", "sessionToken": "t"}),
    },
    {"Action": "getSigninToken", "Session": "{" * 20000},
    {"Action": "getSigninToken", "Session": "{}", "SessionDuration": "99999999999999999999"},
    {"Action": "login"},
    {"Action": "login", "SigninToken": "A" * 9000},
    {"Action": "login", "SigninToken": "%00"},
]


@pytest.mark.parametrize("query", FEDERATION, ids=range(len(FEDERATION)))
def test_the_federation_endpoint_refuses_bad_input(
    iamd_server: IamdServer, query: dict[str, str]
) -> None:
    status, headers, _ = _send(iamd_server, "/federation?" + urllib.parse.urlencode(query))
    assert status == 400
    assert "set-cookie" not in {k.lower() for k in headers}


SAML = [
    b"",
    b"SAMLResponse=",
    b"SAMLResponse=%%%",
    b"SAMLResponse=" + base64.b64encode(b"not xml"),
    b"SAMLResponse="
    + urllib.parse.quote(
        base64.b64encode(
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;&b;&b;</r>'
        )
    ).encode(),
    b"SAMLResponse=" + b"A" * 300_000,
]


@pytest.mark.parametrize("body", SAML, ids=range(len(SAML)))
def test_crafted_saml_posts_sign_nobody_in(iamd_server: IamdServer, body: bytes) -> None:
    status, headers, _ = _send(iamd_server, "/saml", data=body)
    assert status == 400
    assert "iamd-console" not in headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/console", "/console/../x", "/\\evil.example"],
)
def test_sign_in_never_redirects_off_the_console(iamd_server: IamdServer, target: str) -> None:
    status, _, body = _send(iamd_server, "/console/signin?next=" + urllib.parse.quote(target))
    assert status == 200
    assert 'name="next" value="/console"' in body
