"""Properties of compiled conditions that must hold for any values (hypothesis)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from ipaddress import IPv4Address, IPv6Address

from hypothesis import given
from hypothesis import strategies as st

from iamd.policy.conditions import compile_condition
from iamd.policy.conditions.patterns import like_test
from iamd.policy.conditions.readers import read_address, read_instant
from iamd.policy.context import Context, ContextValue
from iamd.policy.document import ConditionClause
from iamd.policy.operators import BASE_OPERATORS, NEGATED_OPERATORS
from iamd.policy.variables import parse_template

KEY = "k:key"

NEGATION_PAIRS = [
    ("StringEquals", "StringNotEquals"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"),
    ("NumericEquals", "NumericNotEquals"),
    ("DateEquals", "DateNotEquals"),
    ("IpAddress", "NotIpAddress"),
    ("ArnEquals", "ArnNotEquals"),
    ("ArnLike", "ArnNotLike"),
]
NON_NULL = sorted(op for op in BASE_OPERATORS if op != "Null")

# Values likely to mean something to some operator, mixed with noise that shares their
# characters, so matches and near-misses both turn up.
TYPED = st.sampled_from(
    [
        "",
        "*",
        "a*",
        "a?c",
        "abc",
        "ABC",
        "1",
        "1.0",
        "-2.5",
        "1e3",
        "true",
        "FALSE",
        "2020-01-01",
        "1577836800",
        "2020-01-01T00:00:00Z",
        "10.0.0.1",
        "10.0.0.0/8",
        "2001:db8::/32",
        "2001:db8::1",
        "AAEC",
        "arn:aws:iam::1:role/r",
        "arn:aws:iam::*:role/*",
        "arn:aws:s3:::b/*",
        "${k:var}",
        "x${k:var}*",
        "${*}",
        "${k:var, 'd'}",
    ]
)
NOISE = st.text(alphabet="aAbc1.0*?:/-${}', T", max_size=12)
VALUE = st.one_of(TYPED, NOISE)
POLICY_VALUES = st.lists(VALUE, max_size=3).map(tuple)
VARIABLE = st.one_of(st.none(), VALUE, st.lists(VALUE, max_size=2).map(tuple))


def _context(request: ContextValue | None, variable: ContextValue | None) -> Context:
    ctx: dict[str, ContextValue] = {}
    if request is not None:
        ctx[KEY] = request
    if variable is not None:
        ctx["k:var"] = variable
    return ctx


def _test(operator: str, values: tuple[str, ...], ctx: Context, variables: bool = True) -> bool:
    clause = ConditionClause(operator, KEY, values)
    return compile_condition(clause, variables=variables).test(ctx)


@given(st.sampled_from(NEGATION_PAIRS), POLICY_VALUES, VALUE, VARIABLE, st.booleans())
def test_negated_operator_is_the_complement_for_one_present_value(
    pair: tuple[str, str],
    values: tuple[str, ...],
    request: str,
    variable: ContextValue | None,
    variables: bool,
) -> None:
    positive, negated = pair
    ctx = _context(request, variable)
    assert _test(negated, values, ctx, variables) is not _test(positive, values, ctx, variables)


@given(
    st.sampled_from(NON_NULL),
    st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]),
    POLICY_VALUES,
    st.one_of(VALUE, st.lists(VALUE, min_size=1, max_size=3).map(tuple)),
    VARIABLE,
)
def test_ifexists_is_the_base_when_present_and_true_when_absent(
    base: str,
    qualifier: str,
    values: tuple[str, ...],
    request: ContextValue,
    variable: ContextValue | None,
) -> None:
    plain, if_exists = f"{qualifier}{base}", f"{qualifier}{base}IfExists"
    present = _context(request, variable)
    assert _test(if_exists, values, present) is _test(plain, values, present)
    assert _test(if_exists, values, _context(None, variable)) is True


@given(st.sampled_from(NON_NULL), POLICY_VALUES, VALUE, VARIABLE)
def test_for_any_value_over_one_element_is_the_plain_operator(
    base: str, values: tuple[str, ...], request: str, variable: ContextValue | None
) -> None:
    expected = _test(base, values, _context(request, variable))
    assert _test(f"ForAnyValue:{base}", values, _context(request, variable)) is expected
    assert _test(f"ForAnyValue:{base}", values, _context((request,), variable)) is expected
    assert _test(base, values, _context((request,), variable)) is expected


@given(st.sampled_from(NON_NULL), POLICY_VALUES, VALUE, VARIABLE)
def test_for_all_values_over_one_element_is_the_per_value_test(
    base: str, values: tuple[str, ...], request: str, variable: ContextValue | None
) -> None:
    expected = _test(base, values, _context(request, variable))
    assert _test(f"ForAllValues:{base}", values, _context((request,), variable)) is expected


@given(
    st.lists(st.text(alphabet="ab.:/$\\{}[]()+^", max_size=8), max_size=3).map(tuple),
    st.text(alphabet="ab.:/$\\{}[]()+^*?", max_size=8),
    st.booleans(),
)
def test_string_like_without_wildcards_is_string_equals(
    values: tuple[str, ...], request: str, variables: bool
) -> None:
    ctx = _context(request, None)
    like = _test("StringLike", values, ctx, variables)
    assert like is _test("StringEquals", values, ctx, variables)


@given(
    st.sampled_from(sorted(BASE_OPERATORS)),
    st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]),
    st.booleans(),
    st.lists(st.one_of(VALUE, st.text()), max_size=3).map(tuple),
    st.one_of(
        st.none(),
        st.text(),
        st.binary().map(lambda b: b.decode("latin-1")),
        st.lists(st.one_of(st.text(), VALUE), max_size=3).map(tuple),
    ),
    VARIABLE,
    st.booleans(),
)
def test_arbitrary_values_never_raise(
    base: str,
    qualifier: str,
    if_exists: bool,
    values: tuple[str, ...],
    request: ContextValue | None,
    variable: ContextValue | None,
    variables: bool,
) -> None:
    suffix = "IfExists" if if_exists else ""
    operator = base if base == "Null" else f"{qualifier}{base}{suffix}"
    result = _test(operator, values, _context(request, variable), variables)
    assert result is True or result is False


@given(st.sampled_from(sorted(NEGATED_OPERATORS)), POLICY_VALUES, VARIABLE)
def test_negated_operators_are_true_when_the_key_is_missing(
    operator: str, values: tuple[str, ...], variable: ContextValue | None
) -> None:
    assert _test(operator, values, _context(None, variable)) is True
    assert _test(operator, values, _context((), variable)) is True


GLOB_TEXT = st.text(alphabet="ab*?", max_size=6)


def _reference(runs: list[tuple[bool, str]], value: str) -> bool:
    """A regex built for the request: the definition, for short inputs only."""
    source = "".join(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
        if written
        else re.escape(text)
        for written, text in runs
    )
    return re.fullmatch(source, value, re.DOTALL) is not None


@given(
    GLOB_TEXT, GLOB_TEXT, st.text(alphabet="ab*?", max_size=3), st.text(alphabet="ab*?", max_size=8)
)
def test_like_with_variables_agrees_with_a_regex_built_per_request(
    before: str, after: str, variable: str, request: str
) -> None:
    template = parse_template(f"{before}${{k:var}}{after}")
    ctx = {"k:var": variable}
    runs = template.runs(ctx)
    assert runs is not None
    assert like_test(template)(request, ctx) is _reference(runs, request)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
def test_instant_fast_path_agrees_with_the_general_reader(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    canonical = moment.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0")
    general = canonical[:-1] + "+00:00"
    expected = (moment - datetime(1970, 1, 1)) // timedelta(seconds=1) * 1_000_000_000
    assert read_instant(canonical) == read_instant(general) == expected


@given(st.ip_addresses())
def test_addresses_read_as_ipaddress_reads_them(address: IPv4Address | IPv6Address) -> None:
    assert read_address(str(address)) == (address.version, int(address))
