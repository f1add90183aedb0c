"""Wildcard matching of actions and resources, compiled once per statement.

- Actions: ``service:name``, case-insensitive, ``*`` any run and ``?`` one character.
- Resources: case-sensitive. An ARN pattern is globbed component by component: in the
  first five components a wildcard stays within its component, in the resource part it
  spans ``/`` and ``:``. A bare ``*`` matches every resource. A pattern that is not a
  six-component ARN is globbed as plain text.
- Policy variables in a resource pattern (2012-10-17 documents only) are substituted
  from the request context before matching; what they produce is literal text.

A pattern is compiled into a regex only when a regex matches it in linear time
(``glob.regex_safe``); any other (``*a*a*a*b``) is a ``glob.Glob``, which no pattern can
make slow. Patterns with variables are globbed per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from iamd.policy.context import Context
from iamd.policy.glob import ArnGlob, Glob, regex_safe, split_arn
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

    __slots__ = ("_exact", "_globs", "_regex", "match_all")

    def __init__(self, patterns: Sequence[str]) -> None:
        lowered = [p.lower() for p in patterns]
        self.match_all = "*" in lowered
        self._exact = frozenset(p for p in lowered if not is_wildcard(p))
        wild = [p for p in lowered if is_wildcard(p)]
        self._regex = _alternation(glob_to_regex(p) for p in wild if regex_safe(p))
        self._globs = tuple(Glob.of(p) for p in wild if not regex_safe(p))

    def __call__(self, action: str) -> bool:
        if self.match_all or action in self._exact:
            return True
        if self._regex is not None and self._regex.fullmatch(action) is not None:
            return True
        for glob in self._globs:  # noqa: SIM110 - a loop costs less than a generator here
            if glob.match(action):
                return True
        return False


def _alternation(sources: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = [f"(?:{s})" for s in sources]
    return re.compile("|".join(alternatives), re.DOTALL) if alternatives else None


def resource_glob(pattern: str) -> Glob | ArnGlob:
    """The linear-time matcher of a Resource pattern."""
    return ArnGlob.of(pattern) or Glob.of(pattern)


def resource_matcher(patterns: Sequence[str], *, variables: bool) -> ResourceMatcher | None:
    """A matcher for a Resource list; None when it matches everything (``*``)."""
    if "*" in patterns:
        return None
    static: list[str] = []
    globs: list[Glob | ArnGlob] = []
    exact: set[str] = set()
    templated: list[Callable[[Context], Glob | ArnGlob | None]] = []
    for p in patterns:
        if variables and has_variables(p):
            templated.append(_template_glob(p))
        elif not is_wildcard(p):
            exact.add(p)
        elif regex_safe(p, arn=True):
            static.append(arn_glob_to_regex(p))
        else:
            globs.append(resource_glob(p))
    regex = _alternation(static)
    frozen_exact = frozenset(exact)

    if not templated and not globs:
        if regex is None:
            return lambda resource, _ctx: resource in frozen_exact
        fullmatch = regex.fullmatch
        return lambda resource, _ctx: resource in frozen_exact or fullmatch(resource) is not None

    def match(resource: str, ctx: Context) -> bool:
        if resource in frozen_exact or (regex is not None and regex.fullmatch(resource)):
            return True
        for glob in globs:
            if glob.match(resource):
                return True
        for build in templated:
            built = build(ctx)
            if built is not None and built.match(resource):
                return True
        return False

    return match


def _template_glob(pattern: str) -> Callable[[Context], Glob | ArnGlob | None]:
    """A function from context to the matcher of ``pattern`` with its variables filled."""
    parts = split_arn(pattern)
    if parts is None:
        template = parse_template(pattern)

        def plain(ctx: Context) -> Glob | None:
            runs = template.runs(ctx)
            return None if runs is None else Glob.from_runs(runs)

        return plain
    # Variables may stand only in the resource part (after the fifth colon).
    if any(has_variables(p) for p in parts[:5]):
        return lambda _ctx: None
    head = [Glob.of(p) for p in parts[:5]]
    tail = parse_template(parts[5])

    def arn(ctx: Context) -> ArnGlob | None:
        runs = tail.runs(ctx)
        return None if runs is None else ArnGlob([*head, Glob.from_runs(runs)])

    return arn
