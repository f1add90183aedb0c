"""What of a request's parameters and result may enter an audit record.

Keys become CloudTrail's spelling (``RoleSessionName`` -> ``roleSessionName``); secrets
become ``HIDDEN_DUE_TO_SECURITY_REASONS``, AWS's own placeholder, so the record still shows
that one was passed. A secret is any member that botocore's IAM or STS model marks
sensitive, plus the credentials those models leave unmarked (session tokens, MFA codes).
Times are written as CloudTrail writes them in response elements (``Mar 13, 2014 9:55:09
PM``); binary values are dropped.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"

# Members that carry a secret although the models do not mark them sensitive.
_ALWAYS_SECRET = frozenset(
    {
        "SessionToken",
        "SecretAccessKey",
        "Password",
        "NewPassword",
        "OldPassword",
        "PrivateKey",
        "ServicePassword",
        "ServiceCredentialSecret",
        "SAMLAssertion",
        "SAMLResponse",
        "WebIdentityToken",
        "Base32StringSeed",
        "QRCodePNG",
        "AuthenticationCode1",
        "AuthenticationCode2",
        "TokenCode",
        "ContextAssertion",
        "TradeInToken",
    }
)


@functools.cache
def secret_members() -> frozenset[str]:
    """Member names to hide: the models' sensitive members and ``_ALWAYS_SECRET``."""
    import botocore.session

    names = set(_ALWAYS_SECRET)
    session = botocore.session.get_session()
    for service in ("iam", "sts", "rolesanywhere"):
        try:
            model = session.get_service_model(service)
        except Exception:  # an older botocore without the service
            continue
        for shape_name in model.shape_names:
            shape = model.shape_for(shape_name)
            if shape.type_name != "structure":
                continue
            for member, member_shape in shape.members.items():
                if member_shape.serialization.get("sensitive") or member_shape.metadata.get(
                    "sensitive"
                ):
                    names.add(member)
    names.discard("key")  # Roles Anywhere marks tag keys sensitive; tags are not secrets
    names.discard("value")
    return frozenset(names)


def clean(value: Any, secrets: frozenset[str] | None = None) -> Any:
    """``value`` with CloudTrail's key spelling and no secret in it."""
    hidden = secret_members() if secrets is None else secrets
    keys = _KEYS.get(hidden)
    if keys is None or len(keys) > _MAX_KEYS:
        keys = _KEYS[hidden] = {}
    return _clean(value, hidden, keys)


_SCALARS = (str, int, float, bool)
# Per set of secret names: member name -> (CloudTrail's spelling, hidden?). Members are
# the models' names, but a map's keys come from clients: the table is bounded.
_KEYS: dict[frozenset[str], dict[str, tuple[str, bool]]] = {}
_MAX_KEYS = 4096


def _clean(value: Any, hidden: frozenset[str], keys: dict[str, tuple[str, bool]]) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dt.datetime:  # before the Mapping check, an abstract class's, which is slow
        return trail_time(value)
    if kind is dict or isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            scalar = type(item) in _SCALARS  # most leaves: no call for them
            if not scalar and (item is None or isinstance(item, (bytes, bytearray))):
                continue
            known = keys.get(key) if type(key) is str else None
            if known is None:
                name = str(key)
                secret = name in hidden or (name[:1].upper() + name[1:]) in hidden  # REST-JSON
                known = (camel(name), secret)
                if len(keys) < _MAX_KEYS:
                    keys[name] = known
            spelled, secret = known
            out[spelled] = HIDDEN if secret else item if scalar else _clean(item, hidden, keys)
        return out
    if kind is list or kind is tuple:
        return [i if type(i) in _SCALARS else _clean(i, hidden, keys) for i in value]
    if isinstance(value, dt.datetime):
        return trail_time(value)
    return value


# Members CloudTrail writes as they are: the sign-in service's own record
# (``"responseElements": {"ConsoleLogin": "Success"}``, ``additionalEventData``).
AS_WRITTEN = frozenset({"ConsoleLogin", "LoginTo", "MobileVersion", "MFAUsed"})


def camel(name: str) -> str:
    """CloudTrail's spelling of a member: its first letter lowered (``RoleSessionName`` ->
    ``roleSessionName``, ``SAMLAssertion`` -> ``sAMLAssertion``)."""
    if name in AS_WRITTEN:
        return name
    return name[:1].lower() + name[1:]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def trail_time(value: dt.datetime) -> str:
    """CloudTrail's response-element time: ``Mar 13, 2014 9:55:09 PM`` (UTC; no strftime,
    which costs more than the rest of a record). The last one is kept: the sessions minted
    in one second expire in one second."""
    last = _last_time[0]  # one (time, text) pair, replaced whole: safe across threads
    if last[0] == value:  # an aware time never equals a naive one
        return last[1]
    utc = value.astimezone(dt.UTC) if value.tzinfo else value
    hour = utc.hour % 12 or 12
    half = "AM" if utc.hour < 12 else "PM"
    text = (
        f"{_MONTHS[utc.month - 1]} {utc.day}, {utc.year} "
        f"{hour}:{utc.minute:02d}:{utc.second:02d} {half}"
    )
    _last_time[0] = (value, text)
    return text


_last_time: list[tuple[dt.datetime | None, str]] = [(None, "")]
