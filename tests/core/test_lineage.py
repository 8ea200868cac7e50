"""Did zooming pay off: best-so-far change points, EDFs, and a child's gain over its parent's
best inside the child's region, on parent and child trials whose answers are worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from app.core.lineage import (
    EDF_POINTS,
    SearchRun,
    best_so_far,
    compare,
    edf,
    first_inside,
    gain_of,
    lineage,
    region_gain,
    trials_to_beat,
)
from app.core.region import narrow
from app.core.space import SearchSpace

NAN = float("nan")
SPACE = SearchSpace.from_dict(
    {
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
    }
)
REGION = {"x": [0.2, 0.5]}


def run(
    id: int,
    trials: list[tuple[dict[str, Any], float]],
    *,
    direction: str = "minimize",
    space: SearchSpace = SPACE,
    parent_id: int | None = None,
    created: float = 0.0,
) -> SearchRun:
    """A search whose trial n has trials[n]'s params and value (NaN: failed or pruned) and
    finished at time n; made at time `created`."""

    def ranked(inside: SearchSpace) -> Iterator[tuple[float, dict[str, Any]]]:
        done = [(v, p) for p, v in trials if not np.isnan(v)]
        yield from sorted(done, key=lambda t: t[0], reverse=direction == "maximize")

    return SearchRun(
        id=id,
        parent_id=parent_id,
        space=space,
        numbers=np.arange(len(trials)),
        values=np.array([v for _, v in trials], dtype=float),
        ranked=ranked,
        finished=np.arange(len(trials), dtype=float),
        created=created,
    )


def adam(x: float) -> dict[str, Any]:
    return {"x": x, "solver": "adam"}


# The parent's best overall (0.2 at x = 0.1) lies outside the child's region x in [0.2, 0.5];
# its best inside is 0.8 at x = 0.45.
PARENT = [
    (adam(0.1), 0.2),
    (adam(0.3), 1.0),
    (adam(0.45), 0.8),
    (adam(0.9), 0.5),
    (adam(0.4), NAN),
]
# The child first beats 0.8 at its third trial (0.7), and ends at 0.6.
CHILD = [
    (adam(0.3), 1.5),
    (adam(0.25), 0.9),
    (adam(0.4), 0.7),
    (adam(0.35), NAN),
    (adam(0.3), 0.6),
]


def test_best_so_far_is_the_change_points_and_the_last_trial() -> None:
    numbers = np.array([0, 1, 2, 3, 4, 5])
    values = np.array([3, NAN, 1, 2, 0.5, 4])
    assert best_so_far(numbers, values, "minimize") == [(1, 3), (3, 1), (5, 0.5), (6, 0.5)]
    assert best_so_far(numbers, values, "maximize") == [(1, 3), (6, 4)]
    # Ask order, whatever order the trials finished in; a tie is no change.
    shuffled = np.array([5, 2, 0, 4, 1, 3])
    assert best_so_far(shuffled, np.array([4, 1, 3, 1, NAN, 2]), "minimize") == [
        (1, 3),
        (3, 1),
        (6, 1),
    ]
    assert best_so_far(np.array([0, 1]), np.array([NAN, NAN]), "minimize") == []
    assert best_so_far(np.array([], dtype=int), np.array([]), "minimize") == []


def test_best_so_far_stays_small_at_100k_trials() -> None:
    values = np.random.default_rng(1).random(100_000)
    points = best_so_far(np.arange(values.size), values, "minimize")
    assert len(points) < 40
    assert points[-1] == (100_000, values.min())
    assert [b for _, b in points] == sorted((b for _, b in points), reverse=True)


def test_edf_of_few_values_is_every_distinct_value() -> None:
    found = edf(np.array([3, 1, NAN, 2, 2]))
    assert (found.values, found.fractions, found.n, found.exact) == (
        [1, 2, 3],
        [0.25, 0.75, 1.0],
        4,
        True,
    )
    assert edf(np.array([NAN])).values == []


def test_edf_of_many_values_is_quantiles_with_exact_fractions() -> None:
    values = np.random.default_rng(2).normal(size=50_000)
    found = edf(values)
    assert not found.exact and found.n == 50_000
    assert EDF_POINTS - 5 <= len(found.values) <= EDF_POINTS + 1
    assert found.values[0] == values.min() and found.values[-1] == values.max()
    assert found.fractions[0] == 1 / 50_000 and found.fractions[-1] == 1.0
    ordered = np.sort(values)
    for v, f in zip(found.values, found.fractions, strict=True):
        assert f == np.count_nonzero(ordered <= v) / 50_000
    # Evenly spaced in probability: no step of the line is taller than one point's share.
    assert max(np.diff(found.fractions)) <= 1 / EDF_POINTS + 1e-9


def test_gain_is_over_the_parents_best_inside_the_childs_region() -> None:
    child_space = narrow(SPACE, REGION)
    parent = run(1, PARENT)
    child = run(2, CHILD, space=child_space, parent_id=1)
    gain = region_gain(parent, child, "minimize")
    assert (gain.baseline_search_id, gain.search_id, gain.basis) == (1, 2, "region")
    assert gain.baseline == 0.8  # not 0.2: that trial lies outside the box
    assert gain.best == 0.6
    assert gain.gain == pytest.approx(0.2)
    assert gain.trials_to_beat == 3


def test_gain_when_maximizing_and_when_the_child_never_beats_it() -> None:
    child_space = narrow(SPACE, REGION)
    parent = run(1, PARENT, direction="maximize")
    child = run(2, CHILD, space=child_space, parent_id=1, direction="maximize")
    gain = region_gain(parent, child, "maximize")
    # Inside the box the parent's best is 1.0 (x = 0.3); the child's best 1.5 is its first.
    assert (gain.baseline, gain.best, gain.gain, gain.trials_to_beat) == (1.0, 1.5, 0.5, 1)
    worse = run(3, [(adam(0.3), 2.0), (adam(0.4), 0.9)], space=child_space, parent_id=1)
    lost = region_gain(run(1, PARENT), worse, "minimize")
    assert (lost.baseline, lost.best, lost.trials_to_beat) == (0.8, 0.9, None)
    assert lost.gain == pytest.approx(-0.1)  # negative: the child did worse


def test_no_parent_trial_in_the_region_means_no_baseline() -> None:
    child_space = narrow(SPACE, {"x": [0.6, 0.8]})
    gain = region_gain(run(1, PARENT), run(2, CHILD[:1], space=child_space), "minimize")
    assert (gain.baseline, gain.gain, gain.trials_to_beat) == (None, None, None)
    assert gain.best == 1.5


def test_first_inside_reads_the_ranked_trials_only_up_to_the_first_inside() -> None:
    read: list[float] = []
    closed: list[bool] = []

    def ranked() -> Iterator[tuple[float, dict[str, Any]]]:
        try:
            for i in range(1000):
                read.append(i)
                yield float(i), adam(0.9 if i < 3 else 0.3)
        finally:
            closed.append(True)

    assert first_inside(narrow(SPACE, REGION), ranked()) == 3.0
    assert len(read) == 4 and closed == [True]
    # A category narrowed away, and a configuration of another space, are outside.
    only_sgd = narrow(SPACE, {"solver": ["sgd"]})
    assert first_inside(only_sgd, [(0.1, adam(0.3)), (0.2, {"x": 0.3})]) is None


def test_trials_to_beat_and_gain_of_are_none_without_a_baseline() -> None:
    numbers, values = np.array([3, 1, 2]), np.array([0.5, 0.9, NAN])
    assert trials_to_beat(numbers, values, 0.7, "minimize") == 4  # trial number 3
    assert trials_to_beat(numbers, values, 0.5, "minimize") is None  # a tie does not beat
    assert trials_to_beat(numbers, values, None, "minimize") is None
    assert trials_to_beat(numbers, values, 0.7, "maximize") == 2
    assert gain_of(0.6, None, "minimize") is None and gain_of(None, 0.6, "maximize") is None
    assert gain_of(0.9, 0.6, "maximize") == pytest.approx(0.3)


def test_lineage_starts_children_where_they_were_made_and_gains_each_over_its_parent() -> None:
    fine = narrow(SPACE, REGION)
    finer = narrow(fine, {"x": [0.25, 0.35]})
    runs = [
        run(1, PARENT),
        run(2, CHILD, space=fine, parent_id=1, created=3.5),  # after 4 of its parent's trials
        run(3, [(adam(0.3), 0.55)], space=finer, parent_id=2, created=1.0),  # after 2
        run(4, [(adam(0.7), 0.4)]),  # a second root
    ]
    found = {s.id: s for s in lineage(runs, "minimize")}
    assert [found[i].start for i in (1, 2, 3, 4)] == [0, 4, 6, 0]
    assert [found[i].at_creation for i in (1, 2, 3, 4)] == [0, 4, 2, 0]
    assert found[1].gain is None and found[4].gain is None
    assert (found[1].trials, found[1].complete, found[1].best) == (5, 4, 0.2)
    assert found[2].gain is not None and found[2].gain.baseline == 0.8
    # The grandchild's baseline is its parent's best in x in [0.25, 0.35]: 0.6 (x = 0.3).
    g = found[3].gain
    assert g is not None and (g.baseline, g.best, g.trials_to_beat) == (0.6, 0.55, 1)
    assert found[2].best_so_far == [(1, 1.5), (2, 0.9), (3, 0.7), (5, 0.6)]


def test_compare_gains_the_descendant_over_the_ancestor_in_its_region_else_bests() -> None:
    parent, child = run(1, PARENT), run(2, CHILD, space=narrow(SPACE, REGION), parent_id=1)
    down = compare(parent, child, "ancestor", "minimize")
    up = compare(child, parent, "descendant", "minimize")
    assert down.gain == up.gain
    assert (down.gain.baseline, down.gain.search_id, down.gain.trials_to_beat) == (0.8, 2, 3)
    assert (down.a.id, down.b.id, up.a.id) == (1, 2, 2)
    other = compare(parent, run(4, [(adam(0.7), 0.4), (adam(0.1), 0.1)]), "unrelated", "minimize")
    assert other.gain.basis == "best"
    assert (other.gain.baseline, other.gain.best, other.gain.trials_to_beat) == (0.2, 0.1, 2)
    assert other.gain.gain == pytest.approx(0.1)
