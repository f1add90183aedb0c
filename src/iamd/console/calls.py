"""What the console's resource pages share: whole listings, reads a person may not be
allowed, and form fields.

Every value still comes from ``visit.call`` (the operation, as the signed-in person);
these helpers only decide how many calls a page makes and how a refusal is shown.
"""

from __future__ import annotations

import re
from typing import Any

from iamd.console.web import Visit
from iamd.errors import ServiceError

_IAM_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
PAGE_SIZE = 1000  # IAM's largest MaxItems
MAX_PAGES = 10  # a listing shows at most this many pages of PAGE_SIZE
MAX_FIELD = 4096  # characters kept of a one-line field (documents have their own cap)


def every(visit: Visit, action: str, params: dict[str, Any], key: str) -> list[Any]:
    """``key``'s items over the pages of an IAM listing (Marker/IsTruncated), up to
    ``MAX_PAGES`` pages."""
    items: list[Any] = []
    marker: str | None = None
    for _ in range(MAX_PAGES):
        paged = {**params, "MaxItems": PAGE_SIZE, **({"Marker": marker} if marker else {})}
        result = visit.call("iam", action, paged)
        items.extend(result.get(key, []))
        marker = result.get("Marker") if result.get("IsTruncated") else None
        if not marker:
            break
    return items


def attempt(visit: Visit, action: str, params: dict[str, Any] | None = None) -> tuple[Any, str]:
    """(the result, "") or (None, what refused it): for a part of a page the person may
    not be allowed to read, so the rest of the page still shows."""
    try:
        return visit.call("iam", action, params or {}), ""
    except ServiceError as exc:
        return None, described(exc)


def listed(visit: Visit, action: str, params: dict[str, Any], key: str) -> tuple[list[Any], str]:
    """``every`` for a part of a page: ([], what refused it) when refused."""
    try:
        return every(visit, action, params, key), ""
    except ServiceError as exc:
        return [], described(exc)


def described(exc: ServiceError) -> str:
    """An operation's error as the page shows it: AWS's code, then its message."""
    return f"{exc.code}: {exc.message}"


async def text(visit: Visit, name: str, limit: int = MAX_FIELD) -> str:
    """A form field, trimmed and cut to ``limit`` characters."""
    return (await visit.field(name)).strip()[:limit]


def lines(value: str) -> list[str]:
    """The non-blank lines of a textarea, trimmed."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def named_in_query(visit: Visit, key: str) -> str:
    """A name a redirect put in the query (``?deleted=NAME``) for the page to mention;
    "" unless it is an IAM name, so a crafted link cannot put other words on the page."""
    value = visit.request.query_params.get(key, "")
    return value if _IAM_NAME.fullmatch(value) else ""


def search(visit: Visit) -> str:
    """The list pages' ``?q=`` filter."""
    return visit.request.query_params.get("q", "").strip()[:128]


def matching(items: list[dict[str, Any]], key: str, query: str) -> list[dict[str, Any]]:
    """The items whose ``key`` contains ``query`` (case-insensitive), as the AWS console
    filters its tables."""
    folded = query.casefold()
    return [item for item in items if folded in str(item.get(key, "")).casefold()]
