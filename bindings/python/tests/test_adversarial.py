"""Hostile input through the Python module: every bad input raises a typed exception (a
``PatternError`` with its code for patterns, Python's own ``UnicodeError`` for text that cannot be
UTF-8, ``ValueError`` for a dict that is not JSON), never a panic or a crash; odd but valid input
gets the language's answer."""

import pytest

import trailmatch
from trailmatch import Pattern, PatternError, PatternSet


def test_nesting_and_length_limits_raise_pattern_errors() -> None:
    with pytest.raises(PatternError) as deep:
        Pattern("{ " + "(" * 300 + "$.a = 1" + ")" * 300 + " }")
    assert deep.value.code == "nesting-too-deep"
    with pytest.raises(PatternError) as long:
        Pattern("x" * (1 << 20))
    assert long.value.code == "pattern-too-long"


def test_text_that_cannot_be_utf8_raises_unicode_errors() -> None:
    # A lone surrogate cannot be encoded as UTF-8: neither as a pattern nor as an event.
    with pytest.raises(UnicodeEncodeError):
        Pattern("\ud800")
    with pytest.raises(UnicodeEncodeError):
        Pattern("ERROR").matches("ERROR \ud800")
    # Bytes given as an event must be UTF-8.
    with pytest.raises(UnicodeDecodeError):
        Pattern("ERROR").matches(b"ERROR \xff")


def test_a_dict_that_is_not_json_raises_value_error() -> None:
    cyclic: dict[str, object] = {}
    cyclic["a"] = cyclic
    with pytest.raises(ValueError):
        Pattern("{ $.a.b = 1 }").matches(cyclic)


def test_odd_but_valid_input_gets_the_languages_answer() -> None:
    # A NUL byte is an ordinary character of a term.
    assert Pattern("a\0b").matches("x a\0b y")
    assert not Pattern("a\0b").matches("x ab y")
    # 100,000 levels of nesting: not an object with `a`, no match, no stack overflow.
    assert not Pattern("{ $.a = 1 }").matches("[" * 100_000 + "]" * 100_000)
    # A number beyond f64 compares as infinity (SYNTAX.md, numbers).
    assert Pattern("{ $.n > 5 }").matches('{"n": 1e400}')
    # NaN is not JSON: a dict holding it is refused, where written as `NaN` it would give an
    # event no JSON pattern matches, silently.
    with pytest.raises(ValueError, match="cannot be written as JSON"):
        Pattern("{ $.n > 5 }").matches({"n": float("nan")})
    # Duplicate keys: the last one wins.
    assert Pattern('{ $.e = "b" }').matches('{"e": "a", "e": "b"}')


def test_ten_thousand_wildcard_patterns_compile() -> None:
    patterns = [f'{{ $.eventName = "Describe{i}*" }}' for i in range(10_000)]
    found = PatternSet(patterns).matches('{"eventName": "Describe42Things"}')
    assert found == [4, 42]
    assert trailmatch.__version__
