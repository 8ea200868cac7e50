"""preview_refine: every rule of a region, computed once, as the page's panel shows it."""

from __future__ import annotations

import statistics

import pytest

from app.core.preview import TrialPoint, preview_refine, span_of, stats_of
from app.core.space import SearchSpace

SPACE = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "layers": {"type": "int", "low": 1, "high": 4},
        "odd": {"type": "categorical", "choices": [1, "1", True, "true"]},
    }
)
STATES = ["complete", "complete", "failed", "complete", "pruned", "running"]


def trials(n: int = 60) -> list[TrialPoint]:
    """A deterministic spread of trials; value = x, so small x is best when minimizing."""
    out = []
    odd = SPACE.params["odd"].choices
    for i in range(n):
        params = {"lr": 10 ** (-5 + 5 * (i % 10) / 10), "x": (i % 7) / 7, "layers": 1 + i % 4}
        params["odd"] = odd[i % 4]
        state = STATES[i % len(STATES)]
        out.append(TrialPoint(i + 1, params, params["x"] if state == "complete" else None, state))
    return out


def test_inside_and_outside_statistics_partition_the_trials() -> None:
    found = preview_refine(SPACE, {"lr": [1e-4, 1e-2]}, trials(), "minimize")
    assert found.problems == []
    assert found.region == {"lr": [1e-4, 1e-2]}
    inside = [t for t in trials() if 1e-4 <= t.params["lr"] <= 1e-2]
    assert found.inside.count == len(inside) and found.outside.count == 60 - len(inside)
    values = [t.value for t in inside if t.state == "complete"]
    assert found.inside.best == min(values)
    assert found.inside.median == statistics.median(values)
    finished = [t for t in inside if t.state != "running"]
    failed = [t for t in inside if t.state == "failed"]
    assert found.inside.failure_rate == len(failed) / len(finished)
    best = next(t for t in inside if t.value == min(values))
    assert found.inside.best_id == best.id


def test_categories_match_by_value_and_type() -> None:
    """A box over category 1 keeps 1 only, never "1" or True (issue 13, finding 8)."""
    found = preview_refine(SPACE, {"odd": [1]}, trials(), "minimize")
    assert found.region == {"odd": [1]}
    assert found.inside.count == sum(
        t.params["odd"] == 1 and type(t.params["odd"]) is int for t in trials()
    )
    assert found.ranges["lr"].span is not None
    assert span_of(SPACE.params["odd"], [{"odd": 1}, {"odd": True}]) == ([1, True], None)


def test_problems_carry_their_field_and_nothing_else_is_claimed() -> None:
    found = preview_refine(SPACE, {"lr": [1e-3, 10.0]}, trials(), "minimize")
    assert [(e.loc, "outside the parent's range" in e.problem) for e in found.problems] == [
        (("lr",), True)
    ]
    assert found.edges == []
    whole = preview_refine(SPACE, {"x": [0.0, 1.0]}, trials(), "minimize")
    assert whole.problems[0].loc == () and "whole space" in whole.problems[0].problem


def test_value_range_selects_and_the_other_parameters_take_the_selected_span() -> None:
    found = preview_refine(SPACE, {"lr": [1e-5, 0.5]}, trials(), "minimize", (0.0, 0.2))
    chosen = [
        t
        for t in trials()
        if t.params["lr"] <= 0.5
        and t.state == "complete"
        and t.value is not None
        and t.value <= 0.2
    ]
    assert found.selected == len(chosen)
    xs = [t.params["x"] for t in chosen]
    assert found.ranges["x"].span == [min(xs), max(xs)]
    assert set(found.ranges) == {"lr", "x", "layers", "odd"}
    assert found.ranges["x"].suggested is not None and found.ranges["x"].suggested[0] == 0.0


def test_a_span_of_one_value_is_no_range_and_says_why() -> None:
    assert span_of(SPACE.params["x"], [{"x": 0.5}, {"x": 0.5}]) == (
        None,
        "the selected trials all have 0.5",
    )
    assert span_of(SPACE.params["x"], []) == (None, "no selected trial uses it")


@pytest.mark.parametrize("direction,best", [("minimize", 0.0), ("maximize", 6 / 7)])
def test_stats_follow_the_direction(direction: str, best: float) -> None:
    assert stats_of(trials(), direction).best == best
