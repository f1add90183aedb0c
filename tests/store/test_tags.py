"""Tags: order kept, keys unique ignoring case, any resource type."""

from __future__ import annotations

import pytest

from iamd.store import tags
from iamd.store.db import Database
from iamd.store.pagination import InvalidMarker


def _get(db: Database, rid: str = "AROA1", rtype: str = "role") -> list[tuple[str, str]]:
    with db.transaction(write=False) as conn:
        return tags.get_tags(conn, rtype, rid)


def test_put_keeps_order_and_replaces_in_place(db: Database) -> None:
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", [("team", "a"), ("Env", "dev")]))
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", [("cost", "1"), ("env", "prod")]))
    assert _get(db) == [("team", "a"), ("env", "prod"), ("cost", "1")]
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", []))
    assert _get(db) == [("team", "a"), ("env", "prod"), ("cost", "1")]


def test_later_duplicate_in_one_put_wins(db: Database) -> None:
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", [("K", "1"), ("k", "2")]))
    assert _get(db) == [("k", "2")]


def test_empty_values_are_kept(db: Database) -> None:
    db.run(True, lambda c: tags.put_tags(c, "user", "AIDA1", [("flag", "")]))
    assert _get(db, "AIDA1", "user") == [("flag", "")]


def test_resources_are_separate(db: Database) -> None:
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", [("k", "role")]))
    db.run(True, lambda c: tags.put_tags(c, "user", "AROA1", [("k", "user")]))
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA2", [("k", "other")]))
    assert _get(db) == [("k", "role")]
    with db.transaction(write=False) as conn:
        assert tags.get_tags_for(conn, "role", ["AROA2", "AROA1", "AROA3"]) == {
            "AROA2": [("k", "other")],
            "AROA1": [("k", "role")],
            "AROA3": [],
        }
        assert tags.count_tags(conn, "role", "AROA1") == 1


def test_remove_ignores_case_and_absent_keys(db: Database) -> None:
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", [("A", "1"), ("b", "2"), ("c", "3")]))
    removed = db.run(True, lambda c: tags.remove_tags(c, "role", "AROA1", ["a", "C", "zzz"]))
    assert removed == 2
    assert _get(db) == [("b", "2")]
    assert db.run(True, lambda c: tags.remove_tags(c, "role", "AROA1", [])) == 0
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", [("a", "again")]))
    assert _get(db) == [("b", "2"), ("a", "again")]  # re-added keys go last


def test_delete_all(db: Database) -> None:
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", [("a", "1"), ("b", "2")]))
    assert db.run(True, lambda c: tags.delete_all_tags(c, "role", "AROA1")) == 2
    assert _get(db) == []


def test_merged_tags_predicts_a_put() -> None:
    existing = [("Team", "a"), ("env", "dev")]
    assert tags.merged_tags(existing, [("ENV", "prod"), ("new", "x")]) == [
        ("Team", "a"),
        ("ENV", "prod"),
        ("new", "x"),
    ]


def test_list_tags_pages(db: Database) -> None:
    many = [(f"k{i:02d}", str(i)) for i in range(25)]
    db.run(True, lambda c: tags.put_tags(c, "role", "AROA1", many))
    seen: list[tuple[str, str]] = []
    marker = None
    pages = 0
    while True:
        with db.transaction(write=False) as conn:
            page = tags.list_tags(conn, "role", "AROA1", marker=marker, max_items=10)
        seen.extend(page.items)
        pages += 1
        if not page.is_truncated:
            assert page.marker is None
            break
        marker = page.marker
    assert seen == many and pages == 3
    with pytest.raises(InvalidMarker), db.transaction(write=False) as conn:
        tags.list_tags(conn, "role", "AROA1", marker="garbage")
