"""The limits on stored values: one module every way in uses (issue 14, items 11 to 13)."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest

from app.core.values import (
    MAX_DEPTH,
    MAX_ERROR_CHARS,
    MAX_JSON_BYTES,
    TOO_DEEP,
    ValueProblem,
    check_json,
    check_text,
    clean_json,
    escape_text,
    shorten,
    storable_text,
)


def nested(depth: int, leaf: Any = 1) -> Any:
    """A list nested `depth` deep around `leaf` (depth 1 is `[leaf]`)."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_plain_json_within_the_limits_passes() -> None:
    check_json({"accuracy": 0.9, "tags": ["a", "é☃"], "n": 3, "ok": True, "none": None})
    check_json({"m": nested(MAX_DEPTH - 1)})
    check_json({"a": 1e308, "b": 1e308, "c": -(2**1023)})  # a sum past a float is no problem


@pytest.mark.parametrize(
    "flat",
    [
        {"a": math.inf, "b": -math.inf},
        {"a": 1.0, "b": math.nan},
        {"a": 1, "b": -(10**400)},
        {"a": "\x01" * (MAX_JSON_BYTES // 5)},  # each control character is 6 bytes of JSON
    ],
)
def test_the_quick_path_for_flat_values_lets_nothing_through(flat: dict) -> None:
    with pytest.raises(ValueProblem):
        check_json(flat)


@pytest.mark.parametrize(
    ("value", "loc", "problem"),
    [
        ({"m": nested(MAX_DEPTH)}, ("metrics", "m", *[0] * (MAX_DEPTH - 1)), "nested more"),
        ({"m": nested(100_000)}, ("metrics", "m", *[0] * (MAX_DEPTH - 1)), "nested more"),
        ({"m": [1.0, math.nan]}, ("metrics", "m", 1), "NaN"),
        ({"m": math.inf}, ("metrics", "m"), "infinite"),
        ({"m": 10**400}, ("metrics", "m"), "too large for a float"),
        # 1024 bits, yet past the largest float: float() of it overflows.
        ({"m": 2**1024 - 1}, ("metrics", "m"), "too large for a float"),
        ({"m": -(2**1024 - 2**970)}, ("metrics", "m"), "too large for a float"),
        ({"m": "cannot open \udcff.csv"}, ("metrics", "m"), "lone surrogate"),
        ({"\ud800": 1}, ("metrics", "\ud800"), "lone surrogate"),
        ({1: 1}, ("metrics",), "keys must be strings"),
        ({"m": (1, 2)}, ("metrics", "m"), "tuple is not a JSON value"),
        ({"m": "x" * MAX_JSON_BYTES}, ("metrics",), "more than 1,000,000 bytes"),
        ({"m": ["é" * 10] * 60_000}, ("metrics",), "more than 1,000,000"),
    ],
)
def test_bad_json_is_refused_naming_where(value: Any, loc: tuple, problem: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        check_json(value, ("metrics",))
    assert caught.value.loc == loc
    assert problem in caught.value.problem


def test_a_huge_value_is_refused_without_walking_all_of_it() -> None:
    huge = {"m": list(range(5_000_000))}
    started = time.perf_counter()
    with pytest.raises(ValueProblem, match="more than"):
        check_json(huge)
    assert time.perf_counter() - started < 0.5


def test_text_limits() -> None:
    check_text("Traceback: é☃", ("error",))
    for text, problem in [
        ("x" * (MAX_ERROR_CHARS + 1), "more than 100,000"),
        ("cannot open \udcff.csv", "lone surrogate"),
        ("a\x00b", "NUL"),
        (3, "must be a string"),
    ]:
        with pytest.raises(ValueProblem) as caught:
            check_text(text, ("error",))
        assert caught.value.loc == ("error",) and problem in caught.value.problem


def test_text_is_made_storable_by_escaping_and_cutting_the_middle() -> None:
    assert escape_text("cannot open \udcff.csv") == "cannot open \\xff.csv"
    assert escape_text("\ud800 alone") == "\ufffd alone"
    assert escape_text("a\x00b") == "a\\x00b"
    assert escape_text("fine é") == "fine é"
    text = "HEAD" + "x" * 300_000 + "TAIL"
    short = shorten(text, 1_000)
    assert len(short) <= 1_000 and short.startswith("HEAD") and short.endswith("TAIL")
    assert "characters cut" in short
    assert shorten("short", 1_000) == "short"
    stored = storable_text("\udcff" * 200_000)
    check_text(stored)
    assert stored.startswith("\\xff\\xff")


def test_clean_json_keeps_good_values_and_mends_bad_ones() -> None:
    good = {"a": 1.0, "b": "é", "c": [1, {"d": None}]}
    assert clean_json(good) is good
    bad = {"deep": nested(300), "text": "x\udcffy", "\ud800": [1]}
    cleaned = clean_json(bad)
    json.dumps(cleaned, ensure_ascii=False).encode("utf-8")  # sendable now
    assert cleaned["text"] == "x\\xffy" and cleaned["\ufffd"] == [1]
    check_json(cleaned)
    assert TOO_DEEP in json.dumps(cleaned)
