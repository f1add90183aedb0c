"""Marker/MaxItems pagination as IAM does it.

A list operation returns at most ``MaxItems`` (1-1000, default 100) items, ``IsTruncated``,
and when truncated an opaque ``Marker`` that the next request passes back. Queries are
paginated by key (``WHERE (sort columns) > (last key)``), not by offset, so a page costs
the same however deep it is and rows written between pages neither repeat nor vanish.
The marker is the last row's sort key, JSON-encoded and base64url-wrapped; clients must
treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Row, Select, Table, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from iamd.store.db import StoreError

T = TypeVar("T")
DEFAULT_MAX_ITEMS = 100
MAX_MAX_ITEMS = 1000
MAX_MARKER_LENGTH = 320  # IAM's Marker shape allows 1-320 characters

KeyValue = str | int


class InvalidMarker(StoreError):
    """The marker was not issued by this pagination (or for another listing)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    is_truncated: bool
    marker: str | None  # pass back to get the next page; None when not truncated


def max_items_or_default(max_items: int | None) -> int:
    """MaxItems as given (1-1000), or the default 100. ValueError when out of range."""
    if max_items is None:
        return DEFAULT_MAX_ITEMS
    if not 1 <= max_items <= MAX_MAX_ITEMS:
        raise ValueError(f"MaxItems must be between 1 and {MAX_MAX_ITEMS}")
    return max_items


def encode_marker(key: Sequence[KeyValue]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_marker(marker: str, width: int, *, strings: bool = False) -> tuple[KeyValue, ...]:
    """The key a marker carries; InvalidMarker unless it is exactly what ``encode_marker``
    writes for ``width`` strings (or 64-bit integers, unless ``strings``).

    Only the one spelling iamd issues is accepted, so a marker made by hand (a huge
    number, a lone surrogate, another base64 alphabet or padding) never reaches a query.
    """
    if len(marker) > MAX_MARKER_LENGTH:
        raise InvalidMarker("the marker is not valid")
    try:
        padded = marker + "=" * (-len(marker) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise InvalidMarker("the marker is not valid") from None
    if not isinstance(value, list) or len(value) != width or not all(map(_key_value, value)):
        raise InvalidMarker("the marker is not valid")
    if strings and not all(isinstance(v, str) for v in value):
        raise InvalidMarker("the marker is not valid")
    try:
        canonical = encode_marker(value)
    except UnicodeError:  # a lone surrogate
        raise InvalidMarker("the marker is not valid") from None
    if canonical != marker:
        raise InvalidMarker("the marker is not valid")
    return tuple(value)


_INT64 = 1 << 63


def _key_value(value: object) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64


def paginate(
    conn: Connection,
    stmt: Select[Any],
    *,
    order_by: Sequence[ColumnElement[Any]],
    key: Callable[[Row[Any]], Sequence[KeyValue]],
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[Row[Any]]:
    """One page of ``stmt``'s rows, sorted by ``order_by`` (which must identify a row).

    ``key(row)`` returns the row's values for the ``order_by`` columns, in order. The
    columns must be ascending and not null; an index on them keeps every page fast.
    """
    limit = max_items_or_default(max_items)
    if marker is not None:
        after = decode_marker(marker, len(order_by), strings=True)
        if len(order_by) == 1:
            stmt = stmt.where(order_by[0] > after[0])
        else:
            stmt = stmt.where(tuple_(*order_by) > tuple_(*after))
    rows = conn.execute(stmt.order_by(*order_by).limit(limit + 1)).all()
    if len(rows) <= limit:
        return Page(tuple(rows), False, None)
    page = tuple(rows[:limit])
    return Page(page, True, encode_marker(key(page[-1])))


def page_by_name(
    conn: Connection,
    table: Table,
    account_id: str,
    *,
    path_prefix: str = "/",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[Row[Any]]:
    """One page of an account's named entities (users, groups...) under ``path_prefix``,
    by name ignoring case, as the List* operations return them."""
    stmt = select(table).where(table.c.account_id == account_id)
    if path_prefix != "/":
        stmt = stmt.where(table.c.path.startswith(path_prefix, autoescape=True))
    return paginate(
        conn,
        stmt,
        order_by=[table.c.name_lower],
        key=lambda row: [row.name_lower],
        marker=marker,
        max_items=max_items,
    )


def paginate_sequence(
    items: Sequence[T],
    *,
    key: Callable[[T], KeyValue],
    marker: str | None = None,
    max_items: int | None = None,
    numbered: bool = False,
) -> Page[T]:
    """Pagination over a list already in memory, sorted by ``key`` (unique per item):
    strings, or integers when ``numbered``.

    For short per-entity lists (a role's inline policy names, a user's groups).
    """
    limit = max_items_or_default(max_items)
    start = 0
    if marker is not None:
        (after,) = decode_marker(marker, 1, strings=not numbered)
        if numbered and not isinstance(after, int):
            raise InvalidMarker("the marker is not valid")
        start = next((i for i, item in enumerate(items) if _after(key(item), after)), len(items))
    page = tuple(items[start : start + limit])
    if start + limit >= len(items):
        return Page(page, False, None)
    return Page(page, True, encode_marker([key(page[-1])]))


def _after(value: KeyValue, after: KeyValue) -> bool:
    if isinstance(value, int) and isinstance(after, int):
        return value > after
    return str(value) > str(after)
