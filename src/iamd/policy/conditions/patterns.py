"""Globs for StringLike and the Arn operators, with and without policy variables.

``*`` matches any run of characters (empty included) and ``?`` exactly one, anywhere in
the value, case-sensitively. An ARN pattern is globbed component by component: split
into six at the first five colons, a wildcard in the partition, service, region or
account stays inside its component, and one in the resource part spans ``/`` and ``:``.
ArnEquals and ArnLike are the same operator.

A pattern without variables becomes a compiled regex when the policy is compiled, if a
regex matches it in linear time (``glob.regex_safe``), and a ``glob.Glob`` otherwise. A
pattern with variables is resolved against each request and globbed without a regex:
what a variable produces is literal text (``${*}`` is an asterisk), never a wildcard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from iamd.policy.context import Context
from iamd.policy.glob import ArnGlob, Glob
from iamd.policy.variables import Part, Special, Template, Variable

_ARN_COMPONENTS = 6


def has_wildcards(text: str) -> bool:
    return "*" in text or "?" in text


def glob_source(glob: str, *, within_component: bool = False) -> str:
    """Regex source for ``glob``; ``within_component`` keeps wildcards off colons."""
    star, one = ("[^:]*", "[^:]") if within_component else (".*", ".")
    return "".join(star if ch == "*" else one if ch == "?" else re.escape(ch) for ch in glob)


def arn_source(pattern: str) -> str | None:
    """Regex source for an ARN pattern, or None when it does not have six components."""
    parts = pattern.split(":", _ARN_COMPONENTS - 1)
    if len(parts) != _ARN_COMPONENTS:
        return None
    head = ":".join(glob_source(p, within_component=True) for p in parts[:-1])
    return f"{head}:{glob_source(parts[-1])}"


def is_arn(text: str) -> bool:
    """Has the shape ``arn:p:s:r:a:resource`` (the resource may hold more colons)."""
    return text.startswith("arn:") and text.count(":") >= _ARN_COMPONENTS - 1


def compile_globs(sources: Iterable[str]) -> re.Pattern[str] | None:
    """The alternation of several regex sources, for fullmatch; None if there are none."""
    alternatives = [f"(?:{s})" for s in sources]
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.DOTALL)


# --- patterns with policy variables ---------------------------------------------------


def _variable(var: Variable, context: Context) -> str | None:
    value = context.get(var.key)
    if value is None:
        return var.default
    return value if isinstance(value, str) else None  # multivalued keys never substitute


Resolver = Callable[[Context], str | None]


def resolver(parts: Sequence[Part]) -> Resolver:
    """Text for ``parts`` with their variables substituted; None when one cannot resolve.

    Specials are already the literal characters they stand for.
    """
    merged: list[str | Variable] = []
    for part in parts:
        text = part.char if isinstance(part, Special) else part
        if isinstance(text, str) and merged and isinstance(merged[-1], str):
            merged[-1] += text
        else:
            merged.append(text)
    variables = [p for p in merged if isinstance(p, Variable)]
    if not variables:
        constant = "".join(p for p in merged if isinstance(p, str))
        return lambda context: constant
    if len(variables) == 1:  # the usual shape: "home/${aws:userid}/"
        only = variables[0]
        at = merged.index(only)
        prefix = "".join(p for p in merged[:at] if isinstance(p, str))
        suffix = "".join(p for p in merged[at + 1 :] if isinstance(p, str))

        def resolve_one(context: Context) -> str | None:
            value = _variable(only, context)
            return None if value is None else prefix + value + suffix

        return resolve_one
    frozen = tuple(merged)

    def resolve(context: Context) -> str | None:
        out: list[str] = []
        for part in frozen:
            if isinstance(part, str):
                out.append(part)
            else:
                value = _variable(part, context)
                if value is None:
                    return None
                out.append(value)
        return "".join(out)

    return resolve


def like_test(template: Template) -> Callable[[str, Context], bool]:
    """StringLike of a request value against a pattern with variables.

    The pattern is cut at its written ``*``s into runs; each run is resolved and the
    runs are placed in the value with ``startswith``/``find``/``endswith``. A written
    ``?`` (rare with variables) falls back to a regex built for the request.
    """
    if any(isinstance(p, str) and "?" in p for p in template.parts):
        return _like_by_glob(template)
    runs: list[list[Part]] = [[]]
    for part in template.parts:
        if isinstance(part, str):
            pieces = part.split("*")
            for i, piece in enumerate(pieces):
                if i:
                    runs.append([])
                if piece:
                    runs[-1].append(piece)
        else:
            runs[-1].append(part)
    resolvers = [resolver(run) for run in runs]

    def test(value: str, context: Context) -> bool:
        chunks: list[str] = []
        for resolve in resolvers:
            chunk = resolve(context)
            if chunk is None:
                return False
            chunks.append(chunk)
        return _glob_chunks(value, chunks)

    return test


def _glob_chunks(value: str, chunks: list[str]) -> bool:
    """Does ``value`` match the chunks joined by ``*`` (literal chunks, no other wildcard)?"""
    first = chunks[0]
    if len(chunks) == 1:
        return value == first
    last = chunks[-1]
    end = len(value) - len(last)
    if end < len(first) or not value.startswith(first) or not value.endswith(last):
        return False
    if len(chunks) == 2:
        return True
    pos = len(first)
    for middle in chunks[1:-1]:
        found = value.find(middle, pos, end)
        if found < 0:
            return False
        pos = found + len(middle)
    return True


def _like_by_glob(template: Template) -> Callable[[str, Context], bool]:
    def test(value: str, context: Context) -> bool:
        runs = template.runs(context)
        return runs is not None and Glob.from_runs(runs).match(value)

    return test


def arn_test(template: Template) -> Callable[[str, Context], bool]:
    """ArnLike of a request value against a pattern with variables.

    Components are counted on the resolved text, so a variable may produce colons (a
    whole ARN from ``${aws:PrincipalArn}``) and they separate components as written ones do.
    """

    def test(value: str, context: Context) -> bool:
        runs = template.runs(context)
        if runs is None or not is_arn(value):
            return False
        glob = ArnGlob.from_runs(runs)
        return glob is not None and glob.match(value)

    return test
