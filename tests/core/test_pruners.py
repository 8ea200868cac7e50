"""Pruners: the median rule and successive halving, and their validation."""

from __future__ import annotations

import pytest

from app.core.pruners import MedianPruner, SuccessiveHalvingPruner, make_pruner
from app.core.space import SpaceError


def test_median_prunes_below_the_median_after_startup_and_warmup() -> None:
    pruner = MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    others = [0.5, 0.6, 0.7]
    assert not pruner.should_prune(5, 0.1, others[:2], "maximize")  # too few peers yet
    assert not pruner.should_prune(1, 0.1, others, "maximize")  # still warming up
    assert pruner.should_prune(2, 0.55, others, "maximize")  # 0.55 < median 0.6
    assert not pruner.should_prune(2, 0.6, others, "maximize")  # ties survive
    assert pruner.should_prune(2, 0.65, others, "minimize")  # 0.65 > median 0.6
    assert pruner.should_prune(2, 0.56, [0.5, 0.55, 0.6, 0.7], "maximize")  # even: 0.575


def test_successive_halving_keeps_the_top_third_at_each_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert [s for s in range(30) if pruner.is_rung(s)] == [1, 3, 9, 27]
    assert not pruner.should_prune(2, 0.0, [0.9] * 10, "maximize")  # not a rung
    assert not pruner.should_prune(3, 0.5, [0.4, 0.3], "maximize")  # best of three goes on
    assert pruner.should_prune(3, 0.35, [0.4, 0.3], "maximize")  # second of three stops
    # With six at the rung the top two go on.
    assert not pruner.should_prune(9, 0.8, [0.9, 0.1, 0.2, 0.3, 0.4], "maximize")
    assert pruner.should_prune(9, 0.35, [0.9, 0.8, 0.2, 0.3, 0.4], "maximize")
    assert not pruner.should_prune(1, 0.2, [0.3, 0.9], "minimize")
    assert not pruner.should_prune(1, 0.5, [], "minimize")  # alone: nothing to compare with


@pytest.mark.parametrize(
    ("spec", "loc"),
    [
        ({"type": "hyperband"}, ("pruner", "type")),
        ({"type": "median", "patience": 3}, ("pruner", "patience")),
        ({"type": "median", "n_startup_trials": -1}, ("pruner", "n_startup_trials")),
        ({"type": "asha", "reduction_factor": 1}, ("pruner", "reduction_factor")),
        ({"type": "asha", "min_resource": 1.5}, ("pruner", "min_resource")),
        ("median", ("pruner",)),
    ],
)
def test_bad_pruner_specs_name_the_option(spec: object, loc: tuple[str, ...]) -> None:
    with pytest.raises(SpaceError) as info:
        make_pruner(spec)  # type: ignore[arg-type]
    assert info.value.loc == loc


def test_specs_round_trip() -> None:
    assert make_pruner(None) is None
    for spec in (
        {"type": "median", "n_startup_trials": 2, "n_warmup_steps": 1},
        {"type": "asha", "min_resource": 2, "reduction_factor": 4},
    ):
        assert make_pruner(spec).to_dict() == spec
