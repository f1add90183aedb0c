"""parse.py beyond the grammar corpus: the parse cache and the size AWS counts."""

from __future__ import annotations

import json
import re

import pytest

from iamd.policy.document import PolicyError, PolicyKind
from iamd.policy.parse import ParseCache, parse_policy, policy_size

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}
        ],
    }
)
IDENTITY = json.dumps(
    {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}
)
BAD = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]})


def _problems(text: object, kind: PolicyKind, parse: object = parse_policy) -> tuple[str, ...]:
    assert callable(parse)
    with pytest.raises(PolicyError) as err:
        parse(text, kind)
    return err.value.problems


def test_a_cached_parse_is_the_parse() -> None:
    cache = ParseCache(maxsize=4)
    first = cache(TRUST, PolicyKind.TRUST)
    assert first == parse_policy(TRUST, PolicyKind.TRUST)
    assert cache(TRUST, PolicyKind.TRUST) is first


def test_the_kind_is_part_of_the_key() -> None:
    cache = ParseCache(maxsize=4)
    assert cache(IDENTITY, PolicyKind.IDENTITY).kind is PolicyKind.IDENTITY
    assert cache(IDENTITY, PolicyKind.BOUNDARY).kind is PolicyKind.BOUNDARY
    assert _problems(TRUST, PolicyKind.IDENTITY, cache) == _problems(TRUST, PolicyKind.IDENTITY)


def test_every_failure_raises_afresh_with_the_same_problems() -> None:
    cache = ParseCache(maxsize=4)
    expected = _problems(BAD, PolicyKind.IDENTITY)
    errors = []
    for _ in range(3):
        with pytest.raises(PolicyError) as err:
            cache(BAD, PolicyKind.IDENTITY)
        assert err.value.problems == expected
        errors.append(err.value)
    assert len({id(e) for e in errors}) == 3


@pytest.mark.parametrize("junk", [None, 3, ["{}"], {"Statement": []}])
def test_values_that_are_not_text_are_rejected_like_parse_policy(junk: object) -> None:
    assert _problems(junk, PolicyKind.IDENTITY, ParseCache()) == ("Syntax errors in policy.",)


def test_the_cache_is_bounded() -> None:
    cache = ParseCache(maxsize=1)
    first = cache(TRUST, PolicyKind.TRUST)
    cache(IDENTITY, PolicyKind.IDENTITY)
    again = cache(TRUST, PolicyKind.TRUST)
    assert again == first and again is not first
    cache.clear()
    assert cache(TRUST, PolicyKind.TRUST) is not again


@pytest.mark.parametrize(
    "text",
    ["", " ", "a b", "\t{\r\n}\n", "  x  \u00a0 y\f\v", json.dumps(json.loads(TRUST), indent=2)],
)
def test_size_counts_every_character_but_json_whitespace(text: str) -> None:
    assert policy_size(text) == len(re.sub(r"[ \t\r\n]+", "", text))
