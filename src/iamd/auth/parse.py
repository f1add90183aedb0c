"""Pull the SigV4 parameters out of a request: the Authorization header or a presigned query.

Everything here is syntax: a problem is an ``IncompleteSignature`` (400) whose message
follows the wording AWS uses (observed texts quoted in spec §6.4; where AWS's text is not
known the wording is ours and in the same style). Meaning (time, scope, secret) is checked
in :mod:`iamd.auth.sigv4`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NoReturn

from iamd.auth.canonical import ALGORITHM
from iamd.auth.request import PRESIGN_PARAMS, AuthKind, HttpRequest, detect_auth
from iamd.errors import IncompleteSignature, MissingAuthenticationToken

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_EXPIRES = 604800  # seconds: one week
SECURITY_TOKEN = "X-Amz-Security-Token"

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)
_HEADER_PARTS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARTS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date")


@dataclass(frozen=True, slots=True)
class Credential:
    """The five parts of ``AKID/yyyymmdd/region/service/aws4_request``."""

    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str

    @property
    def scope(self) -> str:
        """Everything after the access key id, as it appears in the string to sign."""
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


@dataclass(frozen=True, slots=True)
class AuthParams:
    """What the request claims about its own signature, before anything is verified."""

    kind: AuthKind
    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str  # ISO 8601 basic, exactly as it goes into the string to sign
    signed_at: datetime  # amz_date parsed, UTC
    expires: int | None  # presigned only: X-Amz-Expires in seconds, when given
    session_token: str | None
    token_signed: bool  # whether the session token is covered by the signature


def parse_auth(request: HttpRequest) -> AuthParams:
    """Find and parse the request's SigV4 parameters.

    Raises ``MissingAuthenticationToken`` when the request carries no auth at all and
    ``IncompleteSignature`` when it carries both forms or a malformed one.
    """
    kinds = detect_auth(request)
    if not kinds:
        raise MissingAuthenticationToken()
    if len(kinds) > 1:
        raise IncompleteSignature(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter "
            "or the Authorization header should be specified."
        )
    if AuthKind.HEADER in kinds:
        return _parse_header_auth(request)
    return _parse_query_auth(request)


# The pure steps below are memoized (bounded, and errors are never cached): a client sends
# the same Credential and SignedHeaders all day and, under load, many requests share each
# second's X-Amz-Date; a hit is a fraction of a microsecond.


@lru_cache(maxsize=1024)
def parse_credential(value: str) -> Credential:
    """Split a Credential value into its five slash-delimited parts."""
    parts = value.split("/")
    if len(parts) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{value}'"
        )
    return Credential(*parts)


@lru_cache(maxsize=256)
def parse_amz_date(value: str) -> datetime:
    """Parse ``YYYYMMDDTHHMMSSZ`` (ISO 8601 basic format) as a UTC datetime."""
    if _AMZ_DATE.fullmatch(value):
        # By hand rather than strptime, a fifth of the cost on every signed request; an
        # impossible date (month 13, second 60) is a ValueError either way.
        try:
            return datetime(
                int(value[0:4]),
                int(value[4:6]),
                int(value[6:8]),
                int(value[9:11]),
                int(value[11:13]),
                int(value[13:15]),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    raise IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def format_amz_date(moment: datetime) -> str:
    """Format a datetime as ``YYYYMMDDTHHMMSSZ`` in UTC."""
    return moment.astimezone(UTC).strftime(AMZ_DATE_FORMAT)


def _parse_header_auth(request: HttpRequest) -> AuthParams:
    headers = request.header_values("authorization")
    if len(headers) > 1:
        raise IncompleteSignature("Only one Authorization header is allowed.")
    header = headers[0]
    # AWS splits the Authorization header on commas and whitespace alike, which is what
    # makes "a, b", "a,b" and "a ,  b" all acceptable (and "Credential= x" an error about
    # "x"). str.split() and the regex \s agree on what whitespace is (Py_UNICODE_ISSPACE).
    tokens = header.replace(",", " ").split()
    has_algorithm = bool(tokens) and tokens[0] == ALGORITHM
    if has_algorithm:
        tokens.pop(0)
    elif tokens and tokens[0].startswith("AWS") and "=" not in tokens[0]:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{tokens[0]}'")
    fields: dict[str, str] = {}
    for token in tokens:
        key, equals, value = token.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{token}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{header}'."
            )
        if key not in fields:  # the first of a repeated key counts
            fields[key] = value
    credential = fields.get("Credential")
    signature = fields.get("Signature")
    signed_value = fields.get("SignedHeaders")
    date_value = _header_date(request)
    if not (has_algorithm and credential and signature and signed_value and date_value):
        _report_missing(header, has_algorithm, fields, date_value is not None)
    assert credential and signature and signed_value and date_value  # INVARIANT: reported
    amz_date, signed_at = date_value

    signed = _split_signed_headers(signed_value)
    session_token, token_signed = _header_session_token(request, signed)
    # Positional: the same fields as AuthParams declares, in its order (cheaper than keywords).
    return AuthParams(
        AuthKind.HEADER,
        parse_credential(credential),
        signed,
        signature,
        amz_date,
        signed_at,
        None,
        session_token,
        token_signed,
    )


def _report_missing(
    header: str, has_algorithm: bool, fields: dict[str, str], has_date: bool
) -> NoReturn:
    missing = [
        f"Authorization header requires '{part}' parameter."
        for part in _HEADER_PARTS
        if not fields.get(part)
    ]
    if not has_date:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if not has_algorithm:
        missing.insert(0, f"Authorization header requires the '{ALGORITHM}' algorithm.")
    raise IncompleteSignature(" ".join([*missing, f"Authorization={header}"]))


def _header_date(request: HttpRequest) -> tuple[str, datetime] | None:
    """The signing time from ``X-Amz-Date``, else from ``Date`` (RFC 1123)."""
    amz_dates = request.header_values("x-amz-date")
    if amz_dates:
        value = amz_dates[0].strip()
        return value, parse_amz_date(value)
    dates = request.header_values("date")
    if not dates:
        return None
    try:
        parsed = parsedate_to_datetime(dates[0])
        # A year-9999 date with a negative offset is past datetime's range in UTC.
        signed_at = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (TypeError, ValueError, OverflowError):
        signed_at = None
    if signed_at is None:
        raise IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{dates[0]}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        )
    return format_amz_date(signed_at), signed_at


def _header_session_token(request: HttpRequest, signed: tuple[str, ...]) -> tuple[str | None, bool]:
    header_tokens = request.header_values(SECURITY_TOKEN)
    query_tokens = (
        [v for k, v in request.query_params() if k == SECURITY_TOKEN] if request.raw_query else []
    )
    if len(header_tokens) + len(query_tokens) > 1:
        raise IncompleteSignature(f"Only one '{SECURITY_TOKEN}' is allowed.")
    if header_tokens:
        return header_tokens[0].strip(), _is_signed(SECURITY_TOKEN, signed)
    if query_tokens:
        return query_tokens[0], True  # the whole query string is signed
    return None, False


def _parse_query_auth(request: HttpRequest) -> AuthParams:
    params: dict[str, str] = {}
    tokens: list[str] = []
    for name, value in request.query_params():
        if name == SECURITY_TOKEN:
            tokens.append(value)
        elif name in PRESIGN_PARAMS or name in ("X-Amz-Date", "X-Amz-Expires"):
            if name in params:
                raise IncompleteSignature(f"AWS query-string parameter '{name}' is repeated.")
            params[name] = value
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in (*_QUERY_PARTS, "X-Amz-SignedHeaders")
        if not params.get(name)
    ]
    if missing:
        raise IncompleteSignature(" ".join([*missing, "Re-examine the query-string parameters."]))
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'")
    header_tokens = request.header_values(SECURITY_TOKEN)
    if len(tokens) + len(header_tokens) > 1:
        raise IncompleteSignature(f"Only one '{SECURITY_TOKEN}' is allowed.")
    signed = _split_signed_headers(params["X-Amz-SignedHeaders"])
    if tokens:
        token: str | None = tokens[0]
        token_signed = True
    elif header_tokens:
        token, token_signed = header_tokens[0].strip(), _is_signed(SECURITY_TOKEN, signed)
    else:
        token, token_signed = None, False
    amz_date = params["X-Amz-Date"]
    return AuthParams(
        kind=AuthKind.QUERY,
        credential=parse_credential(params["X-Amz-Credential"]),
        signed_headers=signed,
        signature=params["X-Amz-Signature"],
        amz_date=amz_date,
        signed_at=parse_amz_date(amz_date),
        expires=_parse_expires(params.get("X-Amz-Expires")),
        session_token=token,
        token_signed=token_signed,
    )


def _parse_expires(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise IncompleteSignature(f"X-Amz-Expires should be a number of seconds, not '{value}'.")
    # int() of thousands of digits is refused; a week has six.
    expires = int(value) if len(value.lstrip("0")) <= len(str(MAX_EXPIRES)) else MAX_EXPIRES + 1
    if expires < 1:
        raise IncompleteSignature("X-Amz-Expires must be positive.")
    if expires > MAX_EXPIRES:
        raise IncompleteSignature(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
        )
    return expires


@lru_cache(maxsize=256)
def _split_signed_headers(value: str) -> tuple[str, ...]:
    names = tuple(value.split(";"))
    if any(not name for name in names):
        raise IncompleteSignature(f"SignedHeaders contains an empty header name: '{value}'.")
    lowered = {name.lower() for name in names}
    if "host" not in lowered and ":authority" not in lowered:
        raise IncompleteSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    return names


@lru_cache(maxsize=256)
def _is_signed(header: str, signed: tuple[str, ...]) -> bool:
    return header.lower() in (name.lower() for name in signed)
