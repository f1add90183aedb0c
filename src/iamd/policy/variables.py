"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``, ``${*}``.

Variables are substituted only in ``2012-10-17`` documents, in the resource part of
Resource/NotResource and in the values of String, ARN and Bool conditions. A template is
parsed once when the policy is compiled; resolving it against a request's context is a
join. The text a variable produces is always literal: ``${*}`` yields an asterisk that
matches an asterisk, never a wildcard, and so does a ``*`` inside a substituted value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iamd.policy.context import Context

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_SPECIALS = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Variable:
    """``${key}`` or ``${key, 'default'}``; ``key`` is lowercased, as context keys are."""

    key: str
    default: str | None


@dataclass(frozen=True, slots=True)
class Special:
    """``${*}``, ``${?}`` or ``${$}``: the character itself, taken literally."""

    char: str


Part = str | Variable | Special


def has_variables(text: str) -> bool:
    return "${" in text and _VARIABLE.search(text) is not None


@dataclass(frozen=True, slots=True)
class Template:
    """Text with policy variables: literal runs of policy text, variables, specials."""

    parts: tuple[Part, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parts if isinstance(p, Variable))

    def runs(self, context: Context) -> list[tuple[bool, str]] | None:
        """The text as (written_in_the_policy, text) runs with the variables substituted.

        Only runs written in the policy may hold wildcards; what a variable produced is
        literal. Returns None when a variable has no value and no default, or names a
        multivalued key: such a pattern matches nothing.
        """
        out: list[tuple[bool, str]] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append((True, part))
            elif isinstance(part, Special):
                out.append((False, part.char))
            else:
                value = context.get(part.key)
                if value is None:
                    if part.default is None:
                        return None
                    value = part.default
                elif not isinstance(value, str):
                    return None
                out.append((False, value))
        return out

    def resolve(self, context: Context) -> str | None:
        """The text with the variables substituted (None as for ``runs``)."""
        runs = self.runs(context)
        return None if runs is None else "".join(text for _, text in runs)


def parse_template(text: str) -> Template:
    parts: list[Part] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        parts.append(_parse_variable(m.group(1)))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Template(tuple(parts))


def _parse_variable(body: str) -> Part:
    stripped = body.strip()
    if stripped in _SPECIALS:
        return Special(_SPECIALS[stripped])
    m = _DEFAULT.match(body)
    if m:
        return Variable(m.group(1).lower(), m.group(2))
    return Variable(stripped.lower(), None)
