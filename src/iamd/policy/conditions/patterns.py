"""Globs for StringLike and the Arn operators, with and without policy variables.

``*`` matches any run of characters (empty included) and ``?`` exactly one, anywhere in
the value, case-sensitively. An ARN pattern is globbed component by component: split
into six at the first five colons, a wildcard in the partition, service, region or
account stays inside its component, and one in the resource part spans ``/`` and ``:``.
ArnEquals and ArnLike are the same operator.

A pattern without variables becomes one compiled regex when the policy is compiled.
A pattern with variables is resolved against each request: what a variable produces is
literal text (``${*}`` is an asterisk), so it is escaped, never globbed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from iamd.policy.context import Context
from iamd.policy.variables import Special, Template, Variable

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


def _parts(template: Template, context: Context) -> list[tuple[bool, str]] | None:
    """The pattern as (is_policy_text, text) runs; None when a variable cannot resolve."""
    out: list[tuple[bool, str]] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append((True, part))
        elif isinstance(part, Special):
            out.append((False, part.char))
        else:
            value = _variable(part, context)
            if value is None:
                return None
            out.append((False, value))
    return out


def _variable(var: Variable, context: Context) -> str | None:
    value = context.get(var.key)
    if value is None:
        return var.default
    return value if isinstance(value, str) else None  # multivalued keys never substitute


def like_test(template: Template) -> Callable[[str, Context], bool]:
    """StringLike of a request value against a pattern with variables."""
    globbing = any(isinstance(p, str) and has_wildcards(p) for p in template.parts)

    def test(value: str, context: Context) -> bool:
        runs = _parts(template, context)
        if runs is None:
            return False
        if not globbing:
            return value == "".join(text for _, text in runs)
        source = "".join(glob_source(t) if policy else re.escape(t) for policy, t in runs)
        return re.fullmatch(source, value, re.DOTALL) is not None

    return test


def arn_test(template: Template) -> Callable[[str, Context], bool]:
    """ArnLike of a request value against a pattern with variables.

    Components are counted on the resolved text, so a variable may produce colons (a
    whole ARN from ``${aws:PrincipalArn}``) and they separate components as written ones do.
    """

    def test(value: str, context: Context) -> bool:
        runs = _parts(template, context)
        if runs is None or not is_arn(value):
            return False
        pieces: list[str] = []
        colons = 0
        for policy, text in runs:
            for ch in text:
                if ch == ":":
                    colons += 1
                    pieces.append(":")
                elif policy and ch in "*?":
                    within = colons < _ARN_COMPONENTS - 1
                    pieces.append(("[^:]" if within else ".") + ("*" if ch == "*" else ""))
                else:
                    pieces.append(re.escape(ch))
        if colons < _ARN_COMPONENTS - 1:
            return False
        return re.fullmatch("".join(pieces), value, re.DOTALL) is not None

    return test
