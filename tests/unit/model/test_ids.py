"""Unique ids and access key ids: AWS's shapes, and the account carried in key ids."""

from __future__ import annotations

import base64
import re

from hypothesis import given
from hypothesis import strategies as st

from iamd.model.ids import IdPrefix, access_key_id, account_of_access_key, unique_id


@given(st.binary(min_size=11, max_size=11))
def test_unique_id_is_the_base32_of_its_random_bytes(raw: bytes) -> None:
    made = unique_id(IdPrefix.ROLE, lambda n: raw[:n])
    assert made == "AROA" + base64.b32encode(raw).decode()[:17]
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", made)


@given(st.integers(min_value=0, max_value=999_999_999_999), st.binary(min_size=5, max_size=5))
def test_access_key_ids_carry_their_account(account: int, noise: bytes) -> None:
    key = access_key_id(IdPrefix.TEMPORARY_KEY, f"{account:012d}", lambda n: noise[:n])
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", key)
    assert account_of_access_key(key) == f"{account:012d}"
