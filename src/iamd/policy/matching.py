"""Wildcard matching of actions and resources, compiled once per statement.

- Actions: ``service:name``, case-insensitive, ``*`` any run and ``?`` one character.
- Resources: case-sensitive. An ARN pattern is globbed component by component: in the
  first five components a wildcard stays within its component, in the resource part it
  spans ``/`` and ``:``. A bare ``*`` matches every resource. A pattern that is not a
  six-component ARN is globbed as plain text.
- Policy variables in a resource pattern (2012-10-17 documents only) are substituted
  from the request context before matching; what they produce is literal text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from iamd.policy.context import Context
from iamd.policy.variables import has_variables, parse_template

ResourceMatcher = Callable[[str, Context], bool]


def glob_to_regex(glob: str, *, within: str = "") -> str:
    """Regex source for a glob; ``within`` lists characters a wildcard may not cross."""
    star = f"[^{re.escape(within)}]*" if within else ".*"
    one = f"[^{re.escape(within)}]" if within else "."
    out = []
    for ch in glob:
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(one)
        else:
            out.append(re.escape(ch))
    return "".join(out)


def arn_glob_to_regex(pattern: str) -> str:
    """Regex source for an ARN pattern, globbing each of the six components separately."""
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        return glob_to_regex(pattern)
    head = [glob_to_regex(p, within=":") for p in parts[:5]]
    return ":".join([*head, glob_to_regex(parts[5])])


def is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


class ActionMatcher:
    """Matches an action name (already lowercased) against a statement's action list."""

    __slots__ = ("_exact", "_regex", "match_all")

    def __init__(self, patterns: Sequence[str]) -> None:
        lowered = [p.lower() for p in patterns]
        self.match_all = "*" in lowered
        self._exact = frozenset(p for p in lowered if not is_wildcard(p))
        wild = [glob_to_regex(p) for p in lowered if is_wildcard(p)]
        self._regex = re.compile("|".join(f"(?:{w})" for w in wild), re.DOTALL) if wild else None

    def __call__(self, action: str) -> bool:
        if self.match_all or action in self._exact:
            return True
        return self._regex is not None and self._regex.fullmatch(action) is not None


def resource_matcher(patterns: Sequence[str], *, variables: bool) -> ResourceMatcher | None:
    """A matcher for a Resource list; None when it matches everything (``*``)."""
    if "*" in patterns:
        return None
    static: list[str] = []
    exact: set[str] = set()
    templated: list[Callable[[Context], str | None]] = []
    for p in patterns:
        if variables and has_variables(p):
            templated.append(_template_regex(p))
        elif is_wildcard(p):
            static.append(arn_glob_to_regex(p))
        else:
            exact.add(p)
    regex = re.compile("|".join(f"(?:{s})" for s in static), re.DOTALL) if static else None
    frozen_exact = frozenset(exact)

    if not templated:
        if regex is None:
            return lambda resource, _ctx: resource in frozen_exact
        fullmatch = regex.fullmatch
        return lambda resource, _ctx: resource in frozen_exact or fullmatch(resource) is not None

    def match(resource: str, ctx: Context) -> bool:
        if resource in frozen_exact or (regex is not None and regex.fullmatch(resource)):
            return True
        for build in templated:
            source = build(ctx)
            if source is not None and re.fullmatch(source, resource, re.DOTALL):
                return True
        return False

    return match


def _template_regex(pattern: str) -> Callable[[Context], str | None]:
    """A function from context to the regex source of ``pattern`` with variables filled."""
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        template = parse_template(pattern)
        return lambda ctx: template.resolve(ctx, glob_to_regex, re.escape)
    # Variables may stand only in the resource part (after the fifth colon).
    if any(has_variables(p) for p in parts[:5]):
        return lambda _ctx: None
    head = ":".join(glob_to_regex(p, within=":") for p in parts[:5]) + ":"
    template = parse_template(parts[5])
    return lambda ctx: _join(head, template.resolve(ctx, glob_to_regex, re.escape))


def _join(head: str, tail: str | None) -> str | None:
    return None if tail is None else head + tail
