"""Properties of parse_policy: it returns a Policy or raises PolicyError, nothing else.

Arbitrary JSON (with the policy element names mixed into the keys so that the grammar
checks get past the top level) and arbitrary text must never crash the parser, for any
kind; and documents built from the grammar's valid parts always parse.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.policy.document import Policy, PolicyError, PolicyKind, Position
from iamd.policy.parse import parse_policy

POLICY_KEYS = [
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
    "StringEquals",
    "ForAnyValue:StringLike",
    "aws:username",
]
POLICY_STRINGS = [
    "2012-10-17",
    "2008-10-17",
    "Allow",
    "Deny",
    "*",
    "s3:GetObject",
    "sts:AssumeRole",
    "arn:aws:s3:::bucket/*",
    "arn:aws:iam::123456789012:role/r",
    "123456789012",
    "ec2.amazonaws.com",
]

kinds = st.sampled_from(list(PolicyKind))
keys = st.one_of(st.sampled_from(POLICY_KEYS), st.text(max_size=8))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(POLICY_STRINGS),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=30,
)
documents = st.dictionaries(st.sampled_from(POLICY_KEYS[:3]) | keys, json_values, max_size=4)


def _outcome(text: str, kind: PolicyKind) -> Policy | PolicyError:
    try:
        return parse_policy(text, kind)
    except PolicyError as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
        return exc


@settings(max_examples=300, deadline=None)
@given(value=json_values, kind=kinds)
def test_any_json_value_parses_or_is_rejected(value: Any, kind: PolicyKind) -> None:
    _outcome(json.dumps(value), kind)


@settings(max_examples=300, deadline=None)
@given(doc=documents, kind=kinds)
def test_policy_shaped_json_parses_or_is_rejected(doc: dict[str, Any], kind: PolicyKind) -> None:
    _outcome(json.dumps(doc), kind)


@settings(max_examples=300, deadline=None)
@given(
    statement=st.dictionaries(st.sampled_from(POLICY_KEYS[3:12]), json_values, max_size=9),
    kind=kinds,
)
def test_any_statement_parses_or_is_rejected(statement: dict[str, Any], kind: PolicyKind) -> None:
    _outcome(json.dumps({"Version": "2012-10-17", "Statement": [statement]}), kind)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), kind=kinds)
def test_any_text_parses_or_is_rejected(text: str, kind: PolicyKind) -> None:
    _outcome(text, kind)


# Valid parts, per element.
names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    min_size=1,
    max_size=10,
)
vendors = st.sampled_from(["s3", "ec2", "iam", "dynamodb", "kms", "sqs"])
actions = st.one_of(
    st.just("*"),
    st.builds(lambda v, n, w: f"{v}:{n}{w}", vendors, names, st.sampled_from(["", "*", "?"])),
)
resources = st.one_of(
    st.just("*"),
    st.builds(lambda n: f"arn:aws:s3:::{n}/*", names),
    st.builds(lambda n: f"arn:aws:iam::123456789012:role/{n}", names),
    st.builds(
        lambda r, n: f"arn:aws:dynamodb:{r}:123456789012:table/{n}",
        st.sampled_from(["us-east-1", "*"]),
        names,
    ),
)
aws_principals = st.one_of(
    st.just("*"),
    st.just("123456789012"),
    st.builds(lambda n: f"arn:aws:iam::123456789012:user/{n}", names),
    st.builds(lambda n: f"arn:aws:iam::123456789012:role/path/{n}", names),
    st.builds(lambda r, s: f"arn:aws:sts::123456789012:assumed-role/{r}/{s}", names, names),
)
trust_actions = st.sampled_from(
    ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity", "sts:*", "*", "sts:AssumeRole*"]
)
conditions = st.dictionaries(
    st.sampled_from(
        ["StringEquals", "StringLike", "ForAnyValue:StringEquals", "NumericLessThan", "Bool"]
    ),
    st.dictionaries(
        st.sampled_from(["aws:username", "aws:PrincipalTag/team", "s3:prefix", "sts:ExternalId"]),
        st.one_of(
            st.sampled_from(POLICY_STRINGS),
            st.lists(st.integers(), min_size=1, max_size=3),
            st.booleans(),
        ),
        min_size=1,
        max_size=2,
    ),
    max_size=2,
)


def _one_or_list(values: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.lists(values, min_size=1, max_size=3))


@st.composite
def valid_statements(draw: st.DrawFn, kind: PolicyKind) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        statement["Sid"] = draw(names)
    if kind is PolicyKind.TRUST:
        statement["Action"] = draw(_one_or_list(trust_actions))
        statement["Principal"] = draw(
            st.one_of(st.just("*"), st.fixed_dictionaries({"AWS": _one_or_list(aws_principals)}))
        )
    elif kind is PolicyKind.RCP:
        statement.update(Effect="Deny", Principal="*", Action=draw(_one_or_list(actions)))
    else:
        element = draw(st.sampled_from(["Action", "NotAction"]))
        statement[element] = draw(_one_or_list(actions))
    if kind is PolicyKind.RESOURCE:
        statement["Principal"] = draw(st.fixed_dictionaries({"AWS": _one_or_list(aws_principals)}))
    if kind is not PolicyKind.TRUST:
        statement[draw(st.sampled_from(["Resource", "NotResource"]))] = draw(
            _one_or_list(resources)
        )
    if draw(st.booleans()):
        statement["Condition"] = draw(conditions)
    return statement


@st.composite
def valid_documents(draw: st.DrawFn) -> tuple[PolicyKind, dict[str, Any]]:
    kind = draw(kinds)
    statements = draw(st.lists(valid_statements(kind), min_size=1, max_size=4))
    for index, statement in enumerate(statements):
        if "Sid" in statement:
            statement["Sid"] += str(index)  # Sids must be unique within a policy
    doc: dict[str, Any] = {"Version": "2012-10-17"}
    if kind is not PolicyKind.RCP and draw(st.booleans()):
        doc["Version"] = "2008-10-17"
    doc["Statement"] = statements[0] if len(statements) == 1 and draw(st.booleans()) else statements
    return kind, doc


@settings(max_examples=300, deadline=None)
@given(case=valid_documents())
def test_valid_documents_always_parse(case: tuple[PolicyKind, dict[str, Any]]) -> None:
    kind, doc = case
    policy = parse_policy(json.dumps(doc, indent=2), kind)
    assert policy.kind is kind
    expected = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    assert len(policy.statements) == len(expected)


def _offset(text: str, position: Position) -> int:
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: position.line - 1]) + position.column - 1


tricky_strings = st.sampled_from(["a}b{c", '"]["', "back\\slash", "x\\u0022y", "line\nbreak"])


@settings(max_examples=300, deadline=None)
@given(
    case=valid_documents(),
    indent=st.sampled_from([None, 0, 2, "\t", " \r "]),
    extra=st.lists(tricky_strings, max_size=3),
)
def test_statement_positions_frame_each_statement(
    case: tuple[PolicyKind, dict[str, Any]], indent: int | str | None, extra: list[str]
) -> None:
    kind, doc = case
    doc = {"Id": "{[" + "".join(extra), **doc}  # braces and escapes inside strings
    text = json.dumps(doc, indent=indent)
    policy = parse_policy(text, kind)
    expected = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    for statement, written in zip(policy.statements, expected, strict=True):
        # AWS's StartPosition is just past the opening brace; EndPosition just past the
        # closing one.
        start, end = _offset(text, statement.start), _offset(text, statement.end)
        assert text[start - 1] == "{"
        assert json.loads(text[start - 1 : end]) == written
