"""The LRU behind the authorizer's caches."""

from __future__ import annotations

import pytest

from iamd.authz.cache import LRU


def test_least_recently_used_goes_first() -> None:
    lru: LRU[str, int] = LRU(2)
    assert lru.get_or_make("a", lambda: 1) == 1
    assert lru.get_or_make("b", lambda: 2) == 2
    assert lru.get_or_make("a", lambda: 99) == 1  # hit: "a" is now the most recent
    lru.get_or_make("c", lambda: 3)  # evicts "b"
    assert "b" not in lru and "a" in lru and "c" in lru
    assert len(lru) == 2
    assert (lru.hits, lru.misses) == (1, 3)
    lru.clear()
    assert len(lru) == 0


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LRU(0)
