"""The linear-time wildcard matcher agrees with the definition, on every path that uses it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iamd.policy.conditions.patterns import arn_source, glob_source
from iamd.policy.glob import ArnGlob, Glob, regex_safe
from iamd.policy.matching import ActionMatcher, resource_matcher

PATTERN = st.text(alphabet="ab*?:", max_size=10)
VALUE = st.text(alphabet="ab:", max_size=12)


def _reference(pattern: str, value: str) -> bool:
    """The definition, as a regex: fine for the short inputs of these properties."""
    return re.fullmatch(glob_source(pattern), value, re.DOTALL) is not None


def _arn_reference(pattern: str, value: str) -> bool:
    source = arn_source(pattern)
    assert source is not None
    return re.fullmatch(source, value, re.DOTALL) is not None


@given(PATTERN, VALUE)
def test_glob_agrees_with_the_regex_definition(pattern: str, value: str) -> None:
    assert Glob.of(pattern).match(value) is _reference(pattern, value)


@given(st.lists(PATTERN, min_size=6, max_size=6), st.lists(VALUE, min_size=6, max_size=6))
def test_arn_glob_keeps_wildcards_inside_the_first_five_components(
    pattern_parts: list[str], value_parts: list[str]
) -> None:
    pattern = ":".join(p.replace(":", "") for p in pattern_parts[:5]) + ":" + pattern_parts[5]
    value = ":".join(v.replace(":", "") for v in value_parts[:5]) + ":" + value_parts[5]
    glob = ArnGlob.of(pattern)
    assert glob is not None
    assert glob.match(value) is _arn_reference(pattern, value)


@given(
    st.lists(st.tuples(st.booleans(), st.text(alphabet="ab*?", max_size=4)), max_size=4),
    st.text(alphabet="ab*?", max_size=10),
)
def test_text_from_variables_is_literal(runs: list[tuple[bool, str]], value: str) -> None:
    source = "".join(glob_source(t) if written else re.escape(t) for written, t in runs)
    expected = re.fullmatch(source, value, re.DOTALL) is not None
    assert Glob.from_runs(runs).match(value) is expected


def test_colons_from_a_variable_separate_arn_components() -> None:
    glob = ArnGlob.from_runs([(False, "arn:aws:iam::123456789012:role"), (True, "/*")])
    assert glob is not None
    assert glob.match("arn:aws:iam::123456789012:role/x")
    assert not glob.match("arn:aws:iam::123456789012:user/x")
    assert ArnGlob.from_runs([(True, "arn:aws:*")]) is None


@pytest.mark.parametrize(
    ("pattern", "arn", "safe"),
    [
        ("s3:Get*", False, True),
        ("*", False, True),
        ("a?b?c", False, True),
        ("*a*", False, False),
        ("arn:aws:s3:::bucket/*", True, True),
        ("arn:aws:iam::*:role/*", True, True),
        ("arn:aws:iam::*:role/*a*", True, False),
        ("arn:*:iam::**:role/x", True, False),
        ("no:arn*at*all", True, False),
    ],
)
def test_regexes_are_kept_only_for_patterns_they_match_in_linear_time(
    pattern: str, arn: bool, safe: bool
) -> None:
    assert regex_safe(pattern, arn=arn) is safe


LONG = 20_000


def test_many_stars_against_a_long_value_are_decided_both_ways() -> None:
    # A backtracking regex takes longer than the age of the universe on these.
    almost = "*a" * 40 + "*b"
    assert not Glob.of(almost).match("a" * LONG)
    assert Glob.of(almost).match("a" * LONG + "b")
    question = "*?" * 40 + "*b"
    assert not Glob.of(question).match("a" * LONG)
    assert Glob.of(question).match("a" * LONG + "b")
    assert not Glob.of("*" + "a?" * 40 + "c*b").match("a" * LONG + "b")


def test_action_and_resource_matchers_take_the_linear_path_for_unsafe_patterns() -> None:
    actions = ActionMatcher(["iam:Get*", "iam:" + "*a" * 40 + "*b"])
    assert actions("iam:getrole")
    assert actions("iam:" + "a" * LONG + "b")
    assert not actions("iam:" + "a" * LONG)

    resources = resource_matcher(
        ["arn:aws:s3:::logs/*", "arn:aws:iam::*:role/" + "*a" * 40 + "*b"], variables=False
    )
    assert resources is not None
    assert resources("arn:aws:s3:::logs/2026/x", {})
    assert resources("arn:aws:iam::123456789012:role/" + "a" * LONG + "b", {})
    assert not resources("arn:aws:iam::123456789012:role/" + "a" * LONG, {})
    # The account component's wildcard stays inside it.
    assert not resources("arn:aws:iam::1:2:role/ab", {})


def test_a_resource_pattern_with_a_variable_globs_without_a_regex() -> None:
    resources = resource_matcher(
        ["arn:aws:s3:::${aws:username}/" + "*a" * 40 + "*b"], variables=True
    )
    assert resources is not None
    context = {"aws:username": "al*ce"}
    assert resources("arn:aws:s3:::al*ce/" + "a" * LONG + "b", context)
    assert not resources("arn:aws:s3:::alXce/" + "a" * LONG + "b", context)
    assert not resources("arn:aws:s3:::al*ce/" + "a" * LONG, context)
