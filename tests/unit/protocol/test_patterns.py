"""Java regular expressions from the models, translated for Python's re."""

from __future__ import annotations

import re
import warnings

import botocore.loaders
import pytest

from iamd.protocol.patterns import compile_java_pattern, translate_java_pattern


def _model_patterns() -> list[str]:
    loader = botocore.loaders.create_loader()
    found: set[str] = set()
    for service in ("iam", "sts"):
        shapes = loader.load_service_model(service, "service-2")["shapes"]
        found |= {shape["pattern"] for shape in shapes.values() if "pattern" in shape}
    return sorted(found)


@pytest.mark.parametrize("pattern", _model_patterns())
def test_every_model_pattern_compiles_without_warnings(pattern: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        re.compile(translate_java_pattern(pattern), re.ASCII)


@pytest.mark.parametrize(
    ("pattern", "accepted", "rejected"),
    [
        # \w and \d are ASCII in Java.
        (r"[\w+=,.@-]*", ["", "Name_1+=,.@-"], ["é", "a:b", "a b", "٣"]),
        (r"[\d]*", ["123456"], ["١٢٣", "12a"]),
        # Unicode categories: letters, separators, numbers.
        (
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            ["Ünïcødé", "日本語", "Ελληνικά", "a b\u00a0c", "٣½", "k_.:/=+-@"],
            ["", "a!", "tab\there", "emoji😀", "a*b", "#"],
        ),
        (r"\p{Lu}\p{Ll}+", ["Ωmega"], ["ωmega"]),
        (r"\P{L}+", ["123 !"], ["a"]),
        (r"[^\p{N}]+", ["abc"], ["a1"]),
        (r"[\P{N}]+", ["abc"], ["a1"]),
        (r"\pL+", ["abc"], ["1"]),
        (r"\p{IsL}+", ["abc"], ["1"]),
        (r"\p{Alpha}+", ["abc"], ["é"]),
        # \uXXXX escapes. Java reads \u10000-\u10FFFF as \u1000, the range 0-\u10FF, F, F
        # (as Python does): DEL is in, supplementary characters are out.
        (r"[\u0020-\u00FF]+", ["abc ÿ"], ["Ā", "\t"]),
        (
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
            ["arn:aws:iam::123456789012:role/x", "Ω\t\r\n", "\x7f"],
            ["", "\x00", "😀"],
        ),
        (r"\x{1F600}", ["😀"], ["x"]),
        (r"\x41\0101", ["AA"], ["A"]),
        (r"a\Qb.c\E", ["ab.c"], ["abxc"]),
        (r"\h+\v", [" \t\n"], ["x"]),
        (r"[a-c&&]", None, None),
        # Anchors and alternation are whole-value with fullmatch.
        (r"^o-[a-z0-9]{10,32}$", ["o-abcdefghij"], ["o-abcdefghij\n", "xo-abcdefghij"]),
        (r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", ["/", "/a/b/"], ["/a", "a/"]),
        (r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", ["my-host"], ["my--host", "-a"]),
        (r"(?<word>ab)+", ["abab"], ["aba"]),
        (r"a\z", ["a"], ["a\n"]),
        (r"a\Z", ["a"], ["ab", "a\n"]),
        (r"[+--]+", ["+,-"], ["."]),
    ],
)
def test_translation_matches_java_semantics(
    pattern: str, accepted: list[str] | None, rejected: list[str] | None
) -> None:
    if accepted is None or rejected is None:
        with pytest.raises(ValueError, match="intersections"):
            translate_java_pattern(pattern)
        return
    compiled = compile_java_pattern(pattern)
    for text in accepted:
        assert compiled.fullmatch(text), (pattern, text)
    for text in rejected:
        assert not compiled.fullmatch(text), (pattern, text)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"[a[b]]", "nested"),
        (r"\p{InGreek}", "unsupported Unicode property"),
        (r"\R", "unsupported escape"),
        (r"[abc", "unclosed character class"),
        ("abc\\", "lone backslash"),
        (r"\p{L", "unclosed"),
        (r"\0", "octal"),
        (r"\x{110000}", "out of range"),
    ],
)
def test_untranslatable_constructs_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        translate_java_pattern(pattern)


def test_compiled_patterns_are_cached() -> None:
    assert compile_java_pattern(r"[\w]+") is compile_java_pattern(r"[\w]+")


def test_plain_patterns_pass_through_unchanged() -> None:
    assert translate_java_pattern(r"[\w+=,.@-]*") == r"[\w+=,.@-]*"


@pytest.mark.parametrize(
    ("pattern", "accepted", "rejected"),
    [
        (r"[\P{Cc}]+", ["abc"], ["\x00", "a\x1f"]),
        (r"[\P{C}]+", ["abc 日本"], ["\x00", "\U0010ffff"]),
        (r"\p{L&}+", ["aB"], ["ƻ"]),
        (r"[\pL\pN]+", ["a1"], ["-"]),
        (r"\cA\e", ["\x01\x1b"], ["A"]),
        (r"\H\V", ["ab"], [" a", "a\n"]),
        (r"[\H]", ["a"], [" "]),
        (r"[\v]", ["\n"], ["a"]),
    ],
)
def test_more_escapes(pattern: str, accepted: list[str], rejected: list[str]) -> None:
    compiled = compile_java_pattern(pattern)
    for text in accepted:
        assert compiled.fullmatch(text), (pattern, text)
    for text in rejected:
        assert not compiled.fullmatch(text), (pattern, text)


def test_a_lone_property_escape_is_refused() -> None:
    with pytest.raises(ValueError, match="inside a"):
        translate_java_pattern("\\p")
