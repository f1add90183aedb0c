"""Reading condition values as their types: numbers, instants, IP addresses, base64, booleans.

Every reader takes the string form of a value, from the policy or from the request, and
returns the typed value or None when the text is not one. Readers never raise: a request
value that cannot be read simply matches nothing, and the validator decides which policy
values AWS rejects on save. Both sides go through the same reader, so "1.0" in a policy
equals "1" in a request and "2020-01-01" equals "1577836800".
"""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
from datetime import datetime
from decimal import Decimal

Number = int | Decimal

# Decimal() alone would also take "NaN", "Infinity", "1_000" and surrounding spaces.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,6})?", re.ASCII)


def read_number(text: str) -> Number | None:
    """An integer or decimal (``3600``, ``-1.5``, ``1e+30``); ints stay ints for speed."""
    if text.isascii() and text.isdigit():
        return int(text)
    if _NUMBER.fullmatch(text) is None:
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and abs(value) < 10**30 else value


# --- instants -------------------------------------------------------------------------

NANOS = 1_000_000_000
_MAX_EPOCH = 2**63 - 1
_UNIX = datetime(1970, 1, 1)
_MIN_YEAR, _MAX_YEAR = -292275054, 292278993  # the range AWS accepts in a policy
_EPOCH = re.compile(r"-?\d{1,19}(?:\.(\d{1,9}))?", re.ASCII)
_CANONICAL = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T\d\d:\d\d:\d\dZ", re.ASCII
)
_ISO = re.compile(
    r"(-?\d{1,9})(?:-(\d{1,2})(?:-(\d{1,2}))?)?"  # year, month, day
    r"(?:[Tt](?:(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?)?)?"  # time
    r"(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?",  # zone
    re.ASCII,
)


def read_instant(text: str) -> int | None:
    """Nanoseconds since the Unix epoch, from epoch seconds or W3C ISO-8601.

    Epoch seconds are digits with an optional fraction (``1577836800``). Otherwise the
    text is a date with optional month and day, an optional ``T`` time of day (hours,
    minutes, seconds and a fraction, each optional from the right) and an optional zone
    (``Z``, ``+05``, ``-05:30``); without a zone the time is UTC.
    """
    if _CANONICAL.fullmatch(text) is not None:  # the form requests carry: 2024-05-01T12:00:00Z
        try:
            since = datetime.fromisoformat(text[:19]) - _UNIX
        except ValueError:  # 2021-02-30 or hour 24: left to the general reader below
            pass
        else:
            return (since.days * 86400 + since.seconds) * NANOS
    m = _EPOCH.fullmatch(text)
    if m is not None:
        whole, _, frac = text.partition(".")
        seconds = int(whole)
        if abs(seconds) > _MAX_EPOCH:
            return None
        nanos = int(frac.ljust(9, "0")) if frac else 0
        return seconds * NANOS + (-nanos if text.startswith("-") else nanos)
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    year = int(m[1])
    month = int(m[2]) if m[2] else 1
    day = int(m[3]) if m[3] else 1
    hour = int(m[4]) if m[4] else 0
    minute = int(m[5]) if m[5] else 0
    second = int(m[6]) if m[6] else 0
    zone_h = int(m[9]) if m[9] else 0
    zone_m = int(m[10]) if m[10] else 0
    if not (
        _MIN_YEAR <= year <= _MAX_YEAR
        and 1 <= month <= 12
        and 1 <= day <= 31
        and hour <= 23
        and minute <= 59
        and second <= 59
        and zone_h <= 23
        and zone_m <= 59
    ):
        return None
    offset = (zone_h * 60 + zone_m) * 60
    if m[8] == "-":
        offset = -offset
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    nanos = int(m[7].ljust(9, "0")) if m[7] else 0
    return (seconds - offset) * NANOS + nanos


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar, for any year.

    A day past the end of its month runs on into the next, as lenient parsers do.
    """
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


# --- IP addresses ---------------------------------------------------------------------

# A network as (version, first address as int, mask as int).
Network = tuple[int, int, int]
_V4_MASK = (1 << 32) - 1
_V6_MASK = (1 << 128) - 1


def read_network(text: str) -> Network | None:
    """A CIDR block (``10.0.0.0/8``, ``2001:db8::/32``); a bare address is one host.

    Host bits set under the prefix are ignored (``10.1.2.3/8`` is ``10.0.0.0/8``).
    """
    if not text.isascii() or text != text.strip():
        return None
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), int(net.netmask)


_DOTTED_QUAD = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)", re.ASCII
)


def read_address(text: str) -> tuple[int, int] | None:
    """An IP address as (version, int); IPv4 only as four decimal octets, no leading zeros.

    IPv4 is the hot case: once the regex has vetted the text, ``inet_aton`` (a pure
    conversion) reads it in a fraction of what ``ipaddress`` takes.
    """
    if _DOTTED_QUAD.fullmatch(text) is not None:
        return 4, int.from_bytes(socket.inet_aton(text), "big")
    if ":" not in text or not text.isascii() or "/" in text or "%" in text:
        return None
    try:
        return 6, int(ipaddress.IPv6Address(text))
    except ValueError:
        return None


# --- base64 and booleans --------------------------------------------------------------

_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def read_base64(text: str) -> bytes | None:
    """Standard base64 with padding; anything else is not binary data."""
    if _BASE64.fullmatch(text) is None:
        return None
    return base64.b64decode(text)


def read_bool(text: str) -> str | None:
    """``"true"`` or ``"false"`` from any case of either; None for any other text."""
    folded = text.lower()
    return folded if folded in ("true", "false") else None
