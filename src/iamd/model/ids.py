"""Identifiers AWS gives to IAM entities and credentials.

Unique ids are a four-letter prefix naming the kind of entity and 17 characters from
``A-Z2-7`` (base32): ``AIDA`` users, ``AROA`` roles, ``AGPA`` groups, ``ANPA`` managed
policies, ``AIPA`` instance profiles. Access key ids are 20 characters, ``AKIA`` for
long-term keys and ``ASIA`` for temporary ones; like AWS's, the 16 characters after the
prefix carry the owning account (spec 4.10), so ``GetAccessKeyInfo`` needs no lookup.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Callable
from enum import StrEnum

RandomBytes = Callable[[int], bytes]

_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_BASE32 = string.ascii_uppercase + "234567"


class IdPrefix(StrEnum):
    USER = "AIDA"
    ROLE = "AROA"
    GROUP = "AGPA"
    POLICY = "ANPA"
    INSTANCE_PROFILE = "AIPA"
    LONG_TERM_KEY = "AKIA"
    TEMPORARY_KEY = "ASIA"
    SSH_PUBLIC_KEY = "APKA"  # 20 characters in all, as an access key id
    SERVICE_CREDENTIAL = "ACCA"
    SERVER_CERTIFICATE = "ASCA"


def unique_id(prefix: IdPrefix, random_bytes: RandomBytes) -> str:
    """``AROA`` + 17 base32 characters: the first 17 of the base32 of 11 random bytes,
    picked straight from the top 85 bits (``base64.b32encode`` is pure Python, and this
    runs on every create)."""
    bits = int.from_bytes(random_bytes(11), "big") >> 3
    return prefix.value + "".join(_BASE32[(bits >> shift) & 31] for shift in range(80, -1, -5))


def certificate_id(random_bytes: RandomBytes) -> str:
    """A signing certificate's id: 28 base32 characters, as AWS's look."""
    return base64.b32encode(random_bytes(20)).decode()[:28]


def access_key_id(prefix: IdPrefix, account: str, random_bytes: RandomBytes) -> str:
    """``AKIA``/``ASIA`` + 16 base32 characters that encode the account and randomness."""
    noise = random_bytes(5)
    head = (int(account) << 7) | (noise[0] & 0x7F)
    packed = head.to_bytes(6, "big") + noise[1:]
    return prefix.value + base64.b32encode(packed).decode()


def account_of_access_key(key_id: str) -> str | None:
    """The account an access key id was minted for, or None if it is not one of ours."""
    if len(key_id) != 20 or key_id[:4] not in ("AKIA", "ASIA"):
        return None
    try:
        packed = base64.b32decode(key_id[4:])
    except ValueError:
        return None
    account = (int.from_bytes(packed[:6], "big") & 0x7FFFFFFFFF80) >> 7
    return f"{account:012d}"


def secret_access_key(random_bytes: RandomBytes) -> str:
    """40 characters of base64's alphabet, as AWS's secret access keys are."""
    raw = random_bytes(40)
    return "".join(_SECRET_ALPHABET[b % len(_SECRET_ALPHABET)] for b in raw)
