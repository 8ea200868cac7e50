"""Categoricals cost linear work and have a limit every way in shares (issue 14, item 8)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.core.params import MAX_CHOICES, CategoricalParam
from app.core.space import MAX_SPACE_VALUES, SearchSpace, SpaceError, parsed_space


def _categorical(n: int, prefix: str = "v") -> dict[str, Any]:
    return {"type": "categorical", "choices": [f"{prefix}{i}" for i in range(n)]}


def test_the_largest_allowed_categoricals_parse_in_linear_time() -> None:
    spec = {f"c{k}": _categorical(MAX_CHOICES, f"v{k}_") for k in range(5)}
    started = time.perf_counter()
    space = SearchSpace.from_dict(spec)
    # Quadratic, this took 9.3 s (1.9 s per parameter); linear, it takes about 0.05 s.
    assert time.perf_counter() - started < 1.0
    last = space.params["c4"]
    assert isinstance(last, CategoricalParam)
    started = time.perf_counter()
    for _ in range(1000):
        assert last.index(f"v4_{MAX_CHOICES - 1}") == MAX_CHOICES - 1
        assert last.contains("v4_9999") and not last.contains("nope")
    assert time.perf_counter() - started < 0.5  # a lookup, not a scan of 10,000 choices


def test_too_many_choices_are_refused_naming_the_parameter() -> None:
    with pytest.raises(SpaceError) as info:
        SearchSpace.from_dict({"c": _categorical(MAX_CHOICES + 1)})
    assert info.value.loc == ("c", "choices")
    assert f"at most {MAX_CHOICES:,}" in info.value.problem


def test_a_space_holds_a_bounded_number_of_values_in_all() -> None:
    per = MAX_CHOICES
    spec = {f"c{k}": _categorical(per, f"v{k}_") for k in range(MAX_SPACE_VALUES // per + 1)}
    started = time.perf_counter()
    with pytest.raises(SpaceError) as info:
        SearchSpace.from_dict(spec)
    assert time.perf_counter() - started < 2.0
    assert f"at most {MAX_SPACE_VALUES:,}" in info.value.problem


def test_long_condition_lists_are_refused() -> None:
    condition = {"n": [1] * (MAX_CHOICES + 1)}
    spec = {
        "n": {"type": "int", "low": 0, "high": 10**6},
        "x": {"type": "float", "low": 0.0, "high": 1.0, "condition": condition},
    }
    with pytest.raises(SpaceError) as info:
        SearchSpace.from_dict(spec)
    assert info.value.loc == ("x", "condition")


@pytest.mark.parametrize(
    "choices",
    [[1, True, "1", 1.0], [0, False, "0", 0.0, ""], ["a", "A", "a "]],
    ids=["one", "zero", "strings"],
)
def test_values_that_only_look_alike_are_different_choices(choices: list[Any]) -> None:
    param = CategoricalParam("c", tuple(choices))
    for i, choice in enumerate(choices):
        assert param.index(choice) == i
    assert not param.contains(2) and not param.contains(None)


@pytest.mark.parametrize(
    ("choices", "twice"),
    [(["a", "b", "a"], "'a'"), ([1, 2, 1], "1"), ([True, False, True], "True"), ([0.0, -0.0], "")],
)
def test_a_repeated_choice_is_named(choices: list[Any], twice: str) -> None:
    with pytest.raises(SpaceError, match="appears twice") as info:
        CategoricalParam("c", tuple(choices))
    assert info.value.loc == ("c", "choices")
    assert twice in info.value.problem


def test_parsed_spaces_are_shared_by_key_and_content() -> None:
    spec = {"c": {"type": "categorical", "choices": [1, 2]}}
    first = parsed_space(7, spec)
    assert parsed_space(7, {"c": {"type": "categorical", "choices": [1, 2]}}) is first
    # Same key, other content (an id reused after a delete, or True where 1 was): parsed again.
    changed = parsed_space(7, {"c": {"type": "categorical", "choices": [True, 2]}})
    assert changed is not first and changed.params["c"].choices == (True, 2)  # type: ignore[union-attr]
    assert parsed_space(8, spec) is not first
    with pytest.raises(SpaceError):
        parsed_space(9, {"c": {"type": "categorical", "choices": []}})
