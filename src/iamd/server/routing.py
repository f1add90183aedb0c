"""Which endpoint a path is, and which service (IAM or STS) a Query request is for.

IAM and STS share ``/``. A signed request names its service in the credential scope
(``AKID/20240101/us-east-1/sts/aws4_request``); an unsigned one (only STS's
AssumeRoleWithWebIdentity and AssumeRoleWithSAML may be) is told apart by its Action,
with STS's API version or none. ``/healthz`` answers once the server is ready;
``/authorize`` is the JSON authorization API for other services (``authorize_endpoint``).
Any other path may belong to a REST-JSON service (IAM Roles Anywhere: ``/profiles``,
``/trustanchor/{id}``, ``/sessions``...), told apart by ``rest_service_for``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from enum import Enum

from iamd.auth import HttpRequest
from iamd.protocol import REST_SERVICE_VERSIONS, SERVICE_VERSIONS, load_rest_service, load_service

DEFAULT_SERVICE = "iam"
QUERY_METHODS = frozenset({"GET", "POST"})
CONSOLE_PATHS = frozenset({"/federation", "/saml"})  # AWS's sign-in endpoints, and /console/*


def browser_visit(method: str, query: bytes, headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """A person's browser opening ``/``: a GET with no query and no signature that
    accepts HTML. It is sent to the console; any other request to ``/`` is the API's."""
    if method != "GET" or query:
        return False
    accept = b""
    for name, value in headers:
        if name == b"authorization":
            return False
        if name == b"accept":
            accept = value
    return b"text/html" in accept


class Endpoint(Enum):
    QUERY = "query"
    HEALTH = "health"
    AUTHORIZE = "authorize"
    VERIFY = "verify-credential"
    METRICS = "metrics"
    CONSOLE = "console"
    NOT_FOUND = "not-found"


def endpoint_for(path: str) -> Endpoint:
    if path == "/":
        return Endpoint.QUERY
    if path == "/healthz":
        return Endpoint.HEALTH
    if path == "/authorize":
        return Endpoint.AUTHORIZE
    if path == "/verify-credential":
        return Endpoint.VERIFY
    if path == "/metrics":
        return Endpoint.METRICS
    if path == "/console" or path.startswith("/console/") or path in CONSOLE_PATHS:
        return Endpoint.CONSOLE
    return Endpoint.NOT_FOUND


def first_value(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in pairs:
        if key == name:
            return value
    return None


def service_by_action(pairs: Sequence[tuple[str, str]]) -> str:
    """STS when Action is one of its operations and Version is STS's (or absent)."""
    action = first_value(pairs, "Action")
    version = first_value(pairs, "Version")
    if (
        action
        and action in load_service("sts").operation_names
        and version in (None, "", SERVICE_VERSIONS["sts"])
    ):
        return "sts"
    return DEFAULT_SERVICE


_SCOPE = re.compile(r"Credential=[^/,\s]*/\d{8}/[^/,\s]*/([^/,\s]*)/")
_QUERY_CREDENTIAL = "x-amz-credential="


def _query_scope_service(raw_query: str) -> str | None:
    """The service part of a presigned URL's X-Amz-Credential (key/date/region/service/...).

    Split, not searched with a regex: a lazy pattern over a value of thousands of slashes
    backtracked for minutes.
    """
    for field in raw_query.split("&"):
        if field[: len(_QUERY_CREDENTIAL)].lower() == _QUERY_CREDENTIAL:
            value = urllib.parse.unquote(field[len(_QUERY_CREDENTIAL) :])
            parts = value.split("/", 4)
            return parts[3] if len(parts) > 3 else None
    return None


def signed_service(request: HttpRequest) -> str | None:
    """The Query service named by the credential scope, when it is one we serve.

    A quick look, not a parse: a malformed signature is reported later by the verifier, in
    its proper order, whatever this returns.
    """
    service = scope_service(request)
    return service if service in SERVICE_VERSIONS else None


def scope_service(request: HttpRequest) -> str | None:
    """The service named by the credential scope, whatever it is."""
    service = None
    for value in request.header_values("authorization"):
        found = _SCOPE.search(value)
        service = found.group(1) if found else None
        break
    if service is None and request.raw_query:
        service = _query_scope_service(request.raw_query)
    return service


_KEY_ID = re.compile(r"Credential=([A-Za-z0-9]{1,128})/")


def signing_key_id(request: HttpRequest) -> str | None:
    """The access key id a request claims to be signed with (for the audit trail of a
    request that failed to authenticate), or None."""
    for value in request.header_values("authorization"):
        found = _KEY_ID.search(value)
        return found.group(1) if found else None
    if request.raw_query:
        for field in request.raw_query.split("&"):
            if field[: len(_QUERY_CREDENTIAL)].lower() == _QUERY_CREDENTIAL:
                key = urllib.parse.unquote(field[len(_QUERY_CREDENTIAL) :]).partition("/")[0]
                return key if key.isalnum() and len(key) <= 128 else None
    return None


def _scope_service(authorization: str) -> str | None:
    found = _SCOPE.search(authorization)
    return found.group(1) if found else None


def rest_service_for(path: str, headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The REST-JSON service (``rolesanywhere``) a request on ``path`` is for, or None.

    The credential scope decides for a signed request (SigV4 or Roles Anywhere's X.509
    variant, whose Credential is scoped the same way); an unsigned one goes to the service
    whose URI templates match the path, and is refused there. The paths of the Query
    endpoint and of iamd's own APIs never reach here.
    """
    for name, value in headers:
        if name.lower() == b"authorization":
            service = _scope_service(value.decode("latin-1"))
            if service in REST_SERVICE_VERSIONS:
                return service
            if service is not None:
                return None
            break
    for service in REST_SERVICE_VERSIONS:
        if load_rest_service(service).serves_path(path):
            return service
    return None
