"""The request context: condition keys and their values.

Keys are case-insensitive in AWS (``aws:SourceIp`` is ``AWS:sourceip``, and so is the tag
key inside ``aws:PrincipalTag/Team``), so a Context stores them lowercased once and every
lookup in the evaluator is a plain dict access. A single-valued key holds a ``str``; a
multivalued key (``aws:TagKeys``, ``sts:TransitiveTagKeys``...) holds a tuple of ``str``.
Values of every type travel as their string form (``"true"``, ``"3600"``,
``"2024-01-01T00:00:00Z"``, ``"10.0.0.1"``); each operator reads them as its type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

ContextValue = str | tuple[str, ...]
Context = Mapping[str, ContextValue]


_MAPPINGS = (dict, Mapping)  # a union written in the call would be built per call


def make_context(
    entries: Mapping[str, object] | Iterable[tuple[str, object]],
) -> dict[str, ContextValue]:
    """Build a Context from keys in any case and values of any simple JSON type.

    Lists become tuples (multivalued keys); booleans become ``"true"``/``"false"``;
    numbers their decimal form. A later key wins over an earlier one that differs only
    in case.
    """
    items = entries.items() if isinstance(entries, _MAPPINGS) else entries
    out: dict[str, ContextValue] = {}
    for key, value in items:
        out[key.lower()] = value if type(value) is str else context_value(value)
    return out


def context_value(value: object) -> ContextValue:
    if isinstance(value, list | tuple):
        return tuple(_scalar(v) for v in value)
    return _scalar(value)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
