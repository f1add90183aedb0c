"""Marker/MaxItems pagination over queries and over lists."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, select

from iamd.store import schema
from iamd.store.db import Database
from iamd.store.pagination import (
    InvalidMarker,
    Page,
    decode_marker,
    encode_marker,
    max_items_or_default,
    paginate,
    paginate_sequence,
)

from .rows import ACCOUNT, add_role

roles = schema.roles


def _page(conn: Connection, marker: str | None, max_items: int | None) -> Page[object]:
    stmt = select(roles.c.name).where(roles.c.account_id == ACCOUNT)
    return paginate(  # type: ignore[return-value]
        conn,
        stmt,
        order_by=[roles.c.name_lower],
        key=lambda row: [row.name.lower()],
        marker=marker,
        max_items=max_items,
    )


def _all_pages(db: Database, max_items: int | None) -> list[list[str]]:
    pages, marker = [], None
    while True:
        with db.transaction(write=False) as conn:
            page = _page(conn, marker, max_items)
        pages.append([row.name for row in page.items])  # type: ignore[attr-defined]
        if not page.is_truncated:
            assert page.marker is None
            return pages
        assert page.marker is not None and len(page.marker) <= 320
        marker = page.marker


def test_pages_cover_everything_once_in_order(db: Database, account: str) -> None:
    names = [f"Role{i:03d}" for i in range(250)]

    def setup(conn: Connection) -> None:
        for name in reversed(names):
            add_role(conn, name)

    db.run(True, setup)
    pages = _all_pages(db, None)
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [n for p in pages for n in p] == names
    assert [len(p) for p in _all_pages(db, 1000)] == [250]
    assert [len(p) for p in _all_pages(db, 125)] == [125, 125]


def test_exactly_max_items_is_not_truncated(db: Database, account: str) -> None:
    db.run(True, lambda conn: [add_role(conn, f"R{i}") for i in range(3)])
    with db.transaction(write=False) as conn:
        page = _page(conn, None, 3)
    assert len(page.items) == 3 and not page.is_truncated and page.marker is None


def test_empty(db: Database, account: str) -> None:
    with db.transaction(write=False) as conn:
        assert _page(conn, None, None) == Page((), False, None)


def test_rows_added_between_pages_are_not_repeated(db: Database, account: str) -> None:
    db.run(True, lambda conn: [add_role(conn, n) for n in ["b", "d", "f"]])
    with db.transaction(write=False) as conn:
        first = _page(conn, None, 2)
    db.run(True, lambda conn: [add_role(conn, n) for n in ["a", "e"]])
    with db.transaction(write=False) as conn:
        second = _page(conn, first.marker, 2)
    assert [r.name for r in first.items] == ["b", "d"]  # type: ignore[attr-defined]
    assert [r.name for r in second.items] == ["e", "f"]  # type: ignore[attr-defined]


def test_multi_column_order(db: Database, account: str) -> None:
    db.run(True, lambda conn: [add_role(conn, f"R{i}") for i in range(7)])
    stmt = select(roles.c.path, roles.c.name_lower)
    order = [roles.c.path, roles.c.name_lower]
    seen, marker = [], None
    while True:
        with db.transaction(write=False) as conn:
            page = paginate(
                conn,
                stmt,
                order_by=order,
                key=lambda row: [row.path, row.name_lower],
                marker=marker,
                max_items=3,
            )
        seen += [row.name_lower for row in page.items]
        if not page.is_truncated:
            break
        marker = page.marker
    assert seen == [f"r{i}" for i in range(7)]


@pytest.mark.parametrize("value", [0, 1001, -1])
def test_max_items_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match="MaxItems"):
        max_items_or_default(value)


def test_max_items_default_and_bounds() -> None:
    assert max_items_or_default(None) == 100
    assert max_items_or_default(1) == 1
    assert max_items_or_default(1000) == 1000


@pytest.mark.parametrize(
    "marker",
    [
        "",
        "!!!",
        encode_marker(["a", "b"]),
        "bnVsbA",
        encode_marker([True]),
        encode_marker([1.5]),  # type: ignore[list-item]
        encode_marker([10**23]),  # past 64 bits: no driver can bind it
        "WyJcdWQ4MDAiXQ",  # ["\ud800"]: a lone surrogate no driver can encode
        encode_marker(["a"]) + "==",  # padding: another spelling of a valid marker
        "WyJ+fn4iXQ",  # ["~~~"] in the standard alphabet (iamd writes WyJ-fn4iXQ)
        "x" * 321,
    ],
)
def test_invalid_markers(marker: str) -> None:
    with pytest.raises(InvalidMarker):
        decode_marker(marker, 1)


def test_marker_round_trip() -> None:
    assert decode_marker(encode_marker(["é/x", 3]), 2) == ("é/x", 3)
    with pytest.raises(InvalidMarker):
        decode_marker(encode_marker(["é/x", 3]), 2, strings=True)


def test_invalid_marker_in_a_query(db: Database) -> None:
    with pytest.raises(InvalidMarker), db.transaction(write=False) as conn:
        _page(conn, "not-a-marker", None)


def test_paginate_sequence() -> None:
    items = [f"n{i:02d}" for i in range(5)]
    first = paginate_sequence(items, key=str, max_items=2)
    assert first.items == ("n00", "n01") and first.is_truncated
    second = paginate_sequence(items, key=str, marker=first.marker, max_items=2)
    assert second.items == ("n02", "n03") and second.is_truncated
    last = paginate_sequence(items, key=str, marker=second.marker, max_items=2)
    assert last == Page(("n04",), False, None)
    assert paginate_sequence([], key=str) == Page((), False, None)
    beyond = paginate_sequence(items, key=str, marker=encode_marker(["zzz"]))
    assert beyond == Page((), False, None)
    numbered = paginate_sequence([1, 2, 10], key=int, marker=encode_marker([2]), numbered=True)
    assert numbered.items == (10,)
    with pytest.raises(InvalidMarker):  # a position where a name was issued, and back
        paginate_sequence(items, key=str, marker=encode_marker([2]))
    with pytest.raises(InvalidMarker):
        paginate_sequence([1, 2], key=int, marker=encode_marker(["n"]), numbered=True)
