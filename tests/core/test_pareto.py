"""The Pareto filter against the definition, checked pair by pair (O(n^2)) on random data with
ties and duplicates, both directions, bounds and missing metrics; and its time at 100,000."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.core.metrics import check_metrics
from app.core.pareto import non_dominated, pareto_front
from app.core.problems import Problem


def brute_front(values: np.ndarray, directions: list[str], lower, upper) -> set[int]:  # noqa: ANN001
    """Row indices no feasible complete row dominates, straight from the definition."""
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    rows = [
        i
        for i, row in enumerate(values)
        if not np.isnan(row).any()
        and all(lo is None or v >= lo for v, lo in zip(row, lower, strict=True))
        and all(hi is None or v <= hi for v, hi in zip(row, upper, strict=True))
    ]
    front = set()
    for i in rows:
        a = values[i] * signs
        if not any((values[j] * signs <= a).all() and (values[j] * signs < a).any() for j in rows):
            front.add(i)
    return front


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_the_front_is_the_brute_force_front(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(60):
        n = int(rng.integers(0, 120))
        values = rng.integers(0, 7, size=(n, k)).astype(float)  # few levels: many ties
        values[rng.random((n, k)) < 0.03] = np.nan
        directions = [str(d) for d in rng.choice(["minimize", "maximize"], size=k)]
        lower = [None if rng.random() < 0.6 else 1.0 for _ in range(k)]
        upper = [None if rng.random() < 0.6 else 5.0 for _ in range(k)]
        found = pareto_front(values, directions, lower, upper)
        assert set(found.front.tolist()) == brute_front(values, directions, lower, upper)
        missing = np.isnan(values).any(axis=1)
        assert found.missing.tolist() == np.flatnonzero(missing).tolist()
        assert not set(found.infeasible.tolist()) & set(found.front.tolist())
        assert not set(found.infeasible.tolist()) & set(found.missing.tolist())


def test_duplicates_on_the_front_all_stay_and_a_dominated_copy_goes() -> None:
    points = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [1.0, 3.0]])
    assert non_dominated(points).tolist() == [True, True, True, False, False]
    assert non_dominated(np.c_[points, points[:, :1]]).tolist() == [
        True, True, True, False, False
    ]  # fmt: skip


def test_bounds_are_inclusive_and_maximize_flips_the_order() -> None:
    values = np.array([[0.9, 2.0], [0.95, 2.5], [0.8, 1.0], [0.9, 1.0]])
    found = pareto_front(values, ["maximize", "minimize"], [None, None], [None, 2.0])
    assert found.front.tolist() == [3]  # 0.9 at 1.0 beats 0.9 at 2.0 and 0.8 at 1.0
    assert found.infeasible.tolist() == [1]


@pytest.mark.parametrize(("k", "limit"), [(2, 2.0), (3, 5.0), (4, 10.0)])
def test_100000_trials_are_filtered_quickly(k: int, limit: float) -> None:
    values = np.random.default_rng(0).random((100_000, k))
    start = time.perf_counter()
    found = pareto_front(values, ["minimize"] * k)
    elapsed = time.perf_counter() - start
    assert 0 < len(found.front) < 2_000
    assert elapsed < limit, elapsed  # about 0.05, 0.15 and 0.4 s on a shared 2-core machine


def test_a_two_metric_front_of_every_point_is_one_sweep() -> None:
    x = np.random.default_rng(1).random(100_000)
    start = time.perf_counter()
    assert non_dominated(np.c_[x, 1 - x]).all()
    assert time.perf_counter() - start < 2.0


def test_declarations_are_checked_where_they_are_wrong() -> None:
    good = [{"name": "acc", "direction": "maximize"}, {"name": "t", "direction": "minimize"}]
    assert check_metrics(good + [{"name": "m", "direction": "minimize", "upper": 2}])[2] == {
        "name": "m",
        "direction": "minimize",
        "upper": 2.0,
    }
    cases = [
        ([], ()),
        ([good[0], {"name": "acc", "direction": "minimize"}], (1, "name")),
        ([{"name": "acc", "direction": "up"}], (0, "direction")),
        ([{"name": "acc", "direction": "maximize", "lower": 2, "upper": 1}], (0, "lower")),
        ([{"name": "acc", "direction": "maximize", "upper": float("nan")}], (0, "upper")),
        ([{"name": "", "direction": "maximize"}], (0, "name")),
        ([{"name": "a", "direction": "maximize", "weight": 1}], (0, "weight")),
    ]
    for value, loc in cases:
        with pytest.raises(Problem) as caught:
            check_metrics(value)
        assert caught.value.loc == loc, value
