"""One matcher builder per base operator, in a registry keyed by operator name.

A matcher answers one question: does this request value match any of the clause's
policy values? Negation, ``IfExists``, missing keys and the set qualifiers are applied
around it (``__init__``), so a negated operator reuses the matcher of its positive twin.
Builders read every policy value once; a policy value that cannot be read as the
operator's type matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iamd.policy.conditions.patterns import (
    arn_source,
    arn_test,
    compile_globs,
    glob_source,
    has_wildcards,
    is_arn,
    like_test,
    resolver,
)
from iamd.policy.conditions.readers import (
    Number,
    read_address,
    read_base64,
    read_bool,
    read_instant,
    read_network,
    read_number,
)
from iamd.policy.context import Context
from iamd.policy.glob import ArnGlob, Glob, regex_safe
from iamd.policy.variables import Template, has_variables, parse_template

ValueTest = Callable[[str, Context], bool]


@dataclass(frozen=True, slots=True)
class Matcher:
    """``test(value, context)``: the request value matches some policy value.

    When ``members`` is set the test is exactly ``value in members`` (after lowercasing
    the value when ``fold``), and the caller may inline it.
    """

    test: ValueTest
    members: frozenset[str] | None = None
    fold: bool = False


def _never(value: str, context: Context) -> bool:
    return False


def _split(values: Sequence[str], variables: bool) -> tuple[list[str], list[Template]]:
    """Plain values and, when variables apply, the values that hold ``${...}``."""
    if not variables:
        return list(values), []
    plain = [v for v in values if not has_variables(v)]
    return plain, [parse_template(v) for v in values if has_variables(v)]


def _membership(members: frozenset[str], fold: bool) -> Matcher:
    if fold:

        def test(value: str, context: Context) -> bool:
            return value.lower() in members

    else:

        def test(value: str, context: Context) -> bool:
            return value in members

    return Matcher(test, members, fold)


# --- String and Bool ------------------------------------------------------------------


def _string_equals(values: Sequence[str], variables: bool, fold: bool = False) -> Matcher:
    plain, templates = _split(values, variables)
    members = frozenset(v.lower() for v in plain) if fold else frozenset(plain)
    if not templates:
        return _membership(members, fold)

    resolvers = [resolver(t.parts) for t in templates]

    def test(value: str, context: Context) -> bool:
        wanted = value.lower() if fold else value
        if wanted in members:
            return True
        for resolve in resolvers:
            resolved = resolve(context)
            if resolved is not None and (resolved.lower() if fold else resolved) == wanted:
                return True
        return False

    return Matcher(test)


def _string_equals_ignore_case(values: Sequence[str], variables: bool) -> Matcher:
    return _string_equals(values, variables, fold=True)


def _string_like(values: Sequence[str], variables: bool) -> Matcher:
    plain, templates = _split(values, variables)
    members = frozenset(v for v in plain if not has_wildcards(v))
    wild = [v for v in plain if has_wildcards(v)]
    globs = compile_globs(glob_source(v) for v in wild if regex_safe(v))
    slow_free = tuple(Glob.of(v).match for v in wild if not regex_safe(v))
    tests = [like_test(t) for t in templates]
    if globs is None and not tests and not slow_free:
        return _membership(members, False)
    fullmatch = globs.fullmatch if globs is not None else None

    def test(value: str, context: Context) -> bool:
        if value in members or (fullmatch is not None and fullmatch(value) is not None):
            return True
        for match in slow_free:
            if match(value):
                return True
        for like in tests:  # noqa: SIM110
            if like(value, context):
                return True
        return False

    return Matcher(test)


def _bool(values: Sequence[str], variables: bool) -> Matcher:
    plain, templates = _split(values, variables)
    members = frozenset(b for b in map(read_bool, plain) if b is not None)
    if not templates:
        return _membership(members, True)

    resolvers = [resolver(t.parts) for t in templates]

    def test(value: str, context: Context) -> bool:
        wanted = read_bool(value)
        if wanted is None:
            return False
        if wanted in members:
            return True
        for resolve in resolvers:
            resolved = resolve(context)
            if resolved is not None and read_bool(resolved) == wanted:
                return True
        return False

    return Matcher(test)


# --- Arn ------------------------------------------------------------------------------


def _arn(values: Sequence[str], variables: bool) -> Matcher:
    plain, templates = _split(values, variables)
    # INF: a bare "*" matches any ARN; another pattern that is not six components matches none.
    any_arn = "*" in plain
    patterns = [v for v in plain if v != "*"]
    exact = frozenset(v for v in patterns if not has_wildcards(v) and arn_source(v) is not None)
    wild = [v for v in patterns if has_wildcards(v)]
    sources = [arn_source(v) for v in wild if regex_safe(v, arn=True)]
    globs = compile_globs(s for s in sources if s is not None)
    fullmatch = globs.fullmatch if globs is not None else None
    arn_globs = [ArnGlob.of(v) for v in wild if not regex_safe(v, arn=True)]
    slow_free = tuple(g.match for g in arn_globs if g is not None)
    tests = [arn_test(t) for t in templates]

    def test(value: str, context: Context) -> bool:
        if not is_arn(value):
            return False
        if any_arn or value in exact:
            return True
        if fullmatch is not None and fullmatch(value) is not None:
            return True
        for match in slow_free:
            if match(value):
                return True
        for arn_like in tests:  # noqa: SIM110 - a loop costs less than a generator here
            if arn_like(value, context):
                return True
        return False

    return Matcher(test)


# --- Numeric and Date -----------------------------------------------------------------

Compare = Callable[[Sequence[Number]], Callable[[Number], bool]]


def _ordered(read: Callable[[str], Number | None], compare: Compare) -> Callable[..., Matcher]:
    def build(values: Sequence[str], variables: bool) -> Matcher:
        bounds = [n for n in map(read, values) if n is not None]
        if not bounds:
            return Matcher(_never)
        check = compare(bounds)

        def test(value: str, context: Context) -> bool:
            number = read(value)
            return number is not None and check(number)

        return Matcher(test)

    return build


def _eq(bounds: Sequence[Number]) -> Callable[[Number], bool]:
    return frozenset(bounds).__contains__


def _lt(bounds: Sequence[Number]) -> Callable[[Number], bool]:
    top = max(bounds)
    return lambda n: n < top


def _le(bounds: Sequence[Number]) -> Callable[[Number], bool]:
    top = max(bounds)
    return lambda n: n <= top


def _gt(bounds: Sequence[Number]) -> Callable[[Number], bool]:
    bottom = min(bounds)
    return lambda n: n > bottom


def _ge(bounds: Sequence[Number]) -> Callable[[Number], bool]:
    bottom = min(bounds)
    return lambda n: n >= bottom


# --- Binary and IpAddress -------------------------------------------------------------


def _binary(values: Sequence[str], variables: bool) -> Matcher:
    members = frozenset(b for b in map(read_base64, values) if b is not None)
    if not members:
        return Matcher(_never)

    def test(value: str, context: Context) -> bool:
        data = read_base64(value)
        return data is not None and data in members

    return Matcher(test)


def _ip(values: Sequence[str], variables: bool) -> Matcher:
    networks = tuple(n for n in map(read_network, values) if n is not None)
    if not networks:
        return Matcher(_never)

    def test(value: str, context: Context) -> bool:
        address = read_address(value)
        if address is None:
            return False
        version, number = address
        for net_version, first, mask in networks:
            if version == net_version and number & mask == first:
                return True
        return False

    return Matcher(test)


Builder = Callable[[Sequence[str], bool], Matcher]

# Negated operators share their positive twin's matcher; the caller negates.
MATCHERS: dict[str, Builder] = {
    "StringEquals": _string_equals,
    "StringNotEquals": _string_equals,
    "StringEqualsIgnoreCase": _string_equals_ignore_case,
    "StringNotEqualsIgnoreCase": _string_equals_ignore_case,
    "StringLike": _string_like,
    "StringNotLike": _string_like,
    "NumericEquals": _ordered(read_number, _eq),
    "NumericNotEquals": _ordered(read_number, _eq),
    "NumericLessThan": _ordered(read_number, _lt),
    "NumericLessThanEquals": _ordered(read_number, _le),
    "NumericGreaterThan": _ordered(read_number, _gt),
    "NumericGreaterThanEquals": _ordered(read_number, _ge),
    "DateEquals": _ordered(read_instant, _eq),
    "DateNotEquals": _ordered(read_instant, _eq),
    "DateLessThan": _ordered(read_instant, _lt),
    "DateLessThanEquals": _ordered(read_instant, _le),
    "DateGreaterThan": _ordered(read_instant, _gt),
    "DateGreaterThanEquals": _ordered(read_instant, _ge),
    "Bool": _bool,
    "BinaryEquals": _binary,
    "IpAddress": _ip,
    "NotIpAddress": _ip,
    "ArnEquals": _arn,
    "ArnLike": _arn,
    "ArnNotEquals": _arn,
    "ArnNotLike": _arn,
}
