"""Condition operators: each clause compiled once into a test over the request context.

A clause is one operator, one key and that key's policy values. ``compile_condition``
reads the values once (globs into regexes, numbers, instants, networks, base64) and
returns a ``CompiledCondition`` whose ``test(context)`` does only the request's share
of the work. The rules, from the IAM documentation (spec §2):

- Several policy values for the key: any may match (OR). A negated operator
  (``StringNotEquals``, ``NotIpAddress``...) is true when the request value matches none.
- Key missing from the context: false, except negated operators and ``...IfExists``
  (true) and ``Null`` (a presence test). An empty multivalued key counts as missing.
- ``ForAllValues:`` every request value passes the per-value test (true when missing);
  ``ForAnyValue:`` at least one does (false when missing). Under a negated base the
  per-value test is "matches none of the policy values". A single value is a one-element
  set. An unqualified operator on a multivalued key: a positive one is true when some
  request value matches, a negated one when none does.
- Policy variables apply in 2012-10-17 documents only, in String, Arn and Bool values.
  A variable that cannot be resolved makes its policy value match nothing.
- A request value that cannot be read as the operator's type matches nothing.

``check_condition`` lists what the validator should reject in a clause, in AWS's words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iamd.policy.conditions.matchers import MATCHERS, Matcher, ValueTest
from iamd.policy.conditions.readers import read_bool, read_instant
from iamd.policy.context import Context
from iamd.policy.document import ConditionClause
from iamd.policy.operators import VARIABLE_FAMILIES, Family, OperatorName, Qualifier, split_operator

__all__ = ["CompiledCondition", "check_condition", "compile_condition"]

Test = Callable[[Context], bool]

SYNTAX_ERROR = "Syntax errors in policy."
LEGACY_PARSING = "The policy failed legacy parsing"


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    operator: str
    """As written, e.g. ``ForAnyValue:StringLikeIfExists``."""
    key: str
    """The context key, lowercased."""
    test: Test
    """The whole clause: this key under this operator with all its values."""


def compile_condition(clause: ConditionClause, *, variables: bool) -> CompiledCondition:
    """Compile one clause; ``variables`` is True only for 2012-10-17 documents.

    Raises ValueError for an operator AWS does not know (the validator rejects those first).
    """
    name = split_operator(clause.operator)
    if name is None:
        raise ValueError(f"unknown condition operator {clause.operator!r}")
    key = clause.key.lower()
    if name.family is Family.NULL:
        test = _null(key, clause.values)
    else:
        substitute = variables and name.family in VARIABLE_FAMILIES
        matcher = MATCHERS[name.base](clause.values, substitute)
        test = _quantify(key, name, matcher)
    return CompiledCondition(clause.operator, key, test)


def check_condition(clause: ConditionClause) -> list[str]:
    """What AWS rejects in this clause when a policy is saved; [] when nothing.

    AWS rejects an operator it does not know, and a Date value it cannot read as an
    instant. It stores other values that can never match (a Bool of ``"yes"``, a
    Numeric of ``"ten"``, a Null of ``"maybe"``) without complaint; they match nothing.
    """
    name = split_operator(clause.operator)
    if name is None:
        return [SYNTAX_ERROR]
    if name.family is Family.DATE and any(read_instant(v) is None for v in clause.values):
        return [LEGACY_PARSING]
    return []


# --- Null -----------------------------------------------------------------------------


def _null(key: str, values: tuple[str, ...]) -> Test:
    wanted = {read_bool(v) for v in values}
    absent, present = "true" in wanted, "false" in wanted

    def test(context: Context) -> bool:
        value = context.get(key)
        missing = value is None or value == ()
        return absent if missing else present

    return test


# --- quantifiers ----------------------------------------------------------------------


def _quantify(key: str, name: OperatorName, matcher: Matcher) -> Test:
    """Wrap a per-value matcher with the clause's negation, qualifier and IfExists."""
    negated = name.negated
    if name.qualifier is Qualifier.NONE:
        when_missing = negated or name.if_exists
        if matcher.members is not None:
            return _plain_members(key, matcher.members, matcher.fold, negated, when_missing)
        return _plain(key, matcher.test, negated, when_missing)
    per_value = _complement(matcher.test) if negated else matcher.test
    if name.qualifier is Qualifier.FOR_ALL_VALUES:
        return _for_all(key, per_value)
    return _for_any(key, per_value, name.if_exists)


def _complement(test: ValueTest) -> ValueTest:
    def per_value(value: str, context: Context) -> bool:
        return not test(value, context)

    return per_value


def _plain(key: str, match: ValueTest, negated: bool, when_missing: bool) -> Test:
    def test(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return when_missing
        if isinstance(value, str):
            return match(value, context) is not negated
        if not value:
            return when_missing
        for item in value:
            if match(item, context):
                return negated is False
        return negated

    return test


def _plain_members(
    key: str, members: frozenset[str], fold: bool, negated: bool, when_missing: bool
) -> Test:
    """``_plain`` with the membership test inlined: the common StringEquals/Bool case."""
    if fold:

        def test(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                return when_missing
            if isinstance(value, str):
                return (value.lower() in members) is not negated
            if not value:
                return when_missing
            return any(item.lower() in members for item in value) is not negated

    else:

        def test(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                return when_missing
            if isinstance(value, str):
                return (value in members) is not negated
            if not value:
                return when_missing
            return any(item in members for item in value) is not negated

    return test


def _for_all(key: str, per_value: ValueTest) -> Test:
    def test(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return True
        if isinstance(value, str):
            return per_value(value, context)
        for item in value:  # noqa: SIM110 - a loop costs less than a generator here
            if not per_value(item, context):
                return False
        return True

    return test


def _for_any(key: str, per_value: ValueTest, if_exists: bool) -> Test:
    def test(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return if_exists
        if isinstance(value, str):
            return per_value(value, context)
        if not value:
            return if_exists
        for item in value:  # noqa: SIM110 - a loop costs less than a generator here
            if per_value(item, context):
                return True
        return False

    return test
