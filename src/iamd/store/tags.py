"""Tags of any taggable entity, keyed by ``(resource_type, resource_id)``.

Keys are unique ignoring case and keep the case they were written with; tags come back in
the order they were first added. Putting a tag whose key exists (in any case) replaces its
key spelling and value in place. Validation and the 50-tag quota are the operations'
(``merged_tags`` tells them what a put would produce before anything is written).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from iamd.store import schema
from iamd.store.pagination import Page, paginate_sequence
from iamd.store.sql import Query

Tag = tuple[str, str]


# Built once: this runs on every request that acts on a tagged kind of entity.
_TAGS = Query(
    select(schema.tags.c.key, schema.tags.c.value)
    .where(
        schema.tags.c.resource_type == bindparam("resource_type"),
        schema.tags.c.resource_id == bindparam("resource_id"),
    )
    .order_by(schema.tags.c.position)
)


def get_tags(conn: Connection, resource_type: str, resource_id: str) -> list[Tag]:
    """The resource's tags as (key, value), in the order they were added."""
    rows = _TAGS.all(conn, {"resource_type": resource_type, "resource_id": resource_id})
    return [(key, value) for key, value in rows]


def get_tags_for(
    conn: Connection, resource_type: str, resource_ids: Iterable[str]
) -> dict[str, list[Tag]]:
    """Tags of many resources of one type at once (every id is in the result)."""
    ids = list(dict.fromkeys(resource_ids))
    result: dict[str, list[Tag]] = {rid: [] for rid in ids}
    t = schema.tags
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(t.c.resource_id, t.c.key, t.c.value)
            .where(
                t.c.resource_type == resource_type, t.c.resource_id.in_(ids[start : start + 500])
            )
            .order_by(t.c.resource_id, t.c.position)
        )
        for row in rows:
            result[row.resource_id].append((row.key, row.value))
    return result


def count_tags(conn: Connection, resource_type: str, resource_id: str) -> int:
    t = schema.tags
    stmt = (
        select(func.count())
        .select_from(t)
        .where(t.c.resource_type == resource_type, t.c.resource_id == resource_id)
    )
    return int(conn.execute(stmt).scalar_one())


def merged_tags(existing: Sequence[Tag], new: Sequence[Tag]) -> list[Tag]:
    """What the tags would be after putting ``new`` on ``existing`` (pure; for quota checks).

    Within ``new`` a later tag wins over an earlier one with the same key in any case.
    """
    merged: dict[str, Tag] = {key.lower(): (key, value) for key, value in existing}
    for key, value in new:
        merged[key.lower()] = (key, value)
    return list(merged.values())


def put_tags(conn: Connection, resource_type: str, resource_id: str, new: Sequence[Tag]) -> None:
    """Add tags, replacing the key spelling and value of keys already present."""
    if not new:
        return
    t = schema.tags
    where = (t.c.resource_type == resource_type, t.c.resource_id == resource_id)
    rows = conn.execute(select(t.c.key_lower, t.c.key, t.c.value, t.c.position).where(*where))
    existing = {row.key_lower: row for row in rows}
    position = max((row.position for row in existing.values()), default=-1)
    wanted: dict[str, Tag] = {}
    for key, value in new:
        wanted[key.lower()] = (key, value)
    for lower, (key, value) in wanted.items():
        old = existing.get(lower)
        if old is None:
            position += 1
            conn.execute(
                insert(t).values(
                    resource_type=resource_type,
                    resource_id=resource_id,
                    key=key,
                    key_lower=lower,
                    value=value,
                    position=position,
                )
            )
        elif (old.key, old.value) != (key, value):
            conn.execute(
                update(t).where(*where, t.c.key_lower == lower).values(key=key, value=value)
            )


def remove_tags(conn: Connection, resource_type: str, resource_id: str, keys: Iterable[str]) -> int:
    """Remove the tags with these keys (ignoring case); absent keys are no error."""
    lowered = sorted({key.lower() for key in keys})
    if not lowered:
        return 0
    t = schema.tags
    result = conn.execute(
        delete(t).where(
            t.c.resource_type == resource_type,
            t.c.resource_id == resource_id,
            t.c.key_lower.in_(lowered),
        )
    )
    return int(result.rowcount)


def delete_all_tags(conn: Connection, resource_type: str, resource_id: str) -> int:
    """Remove every tag of a resource (when it is deleted)."""
    t = schema.tags
    result = conn.execute(
        delete(t).where(t.c.resource_type == resource_type, t.c.resource_id == resource_id)
    )
    return int(result.rowcount)


def list_tags(
    conn: Connection,
    resource_type: str,
    resource_id: str,
    *,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[Tag]:
    """One page of the resource's tags (ListRoleTags and friends), in the order added."""
    t = schema.tags
    rows = conn.execute(
        select(t.c.position, t.c.key, t.c.value)
        .where(t.c.resource_type == resource_type, t.c.resource_id == resource_id)
        .order_by(t.c.position)
    )
    positioned = [(int(row.position), (str(row.key), str(row.value))) for row in rows]
    page = paginate_sequence(
        positioned, key=lambda item: item[0], marker=marker, max_items=max_items, numbered=True
    )
    return Page(tuple(tag for _, tag in page.items), page.is_truncated, page.marker)
