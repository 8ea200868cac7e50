"""The trial log samplers learn from: sorted by order key whatever the order trials arrive in,
encoded once, and a zoom replay kept in it that equals a replay from scratch (issue 16, item 5).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.core.samplers import make_sampler
from app.core.space import SearchSpace
from app.core.trial_log import TrialLog
from app.core.zoom import TrustRegion, ZoomOptions, ZoomSampler, _update, replay
from tests.support.replays import finish_out_of_order
from tests.support.replays import region_state as _state
from tests.support.spaces import CONDITIONAL

SPACE = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "layers": {"type": "int", "low": 1, "high": 4},
        "opt": {"type": "categorical", "choices": ["adam", "sgd", "rmsprop"]},
    }
)


def loss(p: dict[str, Any]) -> float | None:
    if p["x"] > 0.95:
        return None  # a failed trial now and then
    return float(
        (np.log10(p["lr"]) + 3) ** 2
        + (p["x"] - 0.3) ** 2
        + 0.3 * abs(p["layers"] - 2)
        + 0.5 * (p["opt"] != "sgd")
    )


def test_trials_arriving_out_of_order_are_kept_in_key_order() -> None:
    points = SPACE.decode(np.random.default_rng(0).random((6, SPACE.ndim)))
    log = TrialLog(SPACE, "minimize")
    assert log.merge([(5, points[5], 1.0), (2, points[2], 2.0)]) == 0
    assert log.merge([(9, points[0], None)]) == 2  # appended
    assert log.merge([(3, points[3], 3.0)]) == 1  # lands between 2 and 5
    assert [v for _, v in log] == [2.0, 3.0, 1.0, None]
    assert log.y.tolist() == [2.0, 3.0, 1.0, np.inf]
    np.testing.assert_array_equal(log.x[1], SPACE.encode(points[3]))
    assert log.merge([(3, points[3], 0.5)], gone=[9]) == 1  # replaced, one dropped
    assert [v for _, v in log] == [2.0, 0.5, 1.0]
    assert log.merge([]) == 3  # nothing changed


def test_a_maximised_value_is_a_negative_loss_and_foreign_trials_are_left_out() -> None:
    log = TrialLog(SPACE, "maximize")
    good = {"lr": 1e-3, "x": 0.5, "layers": 2, "opt": "sgd"}
    log.merge([(0, good, 0.9), (1, {"lr": 1.0, "x": 0.5, "layers": 2, "opt": "sgd"}, 0.1)])
    assert len(log) == 1 and log.y.tolist() == [-0.9]  # lr = 1.0 lies outside the space


def test_a_merge_drops_the_checkpoints_it_invalidates() -> None:
    log = TrialLog(SPACE, "minimize")
    point = {"lr": 1e-3, "x": 0.5, "layers": 2, "opt": "sgd"}
    log.merge((k, point, float(k)) for k in range(0, 20, 2))
    marks = log.memo("test")
    marks.extend([(4, "a"), (8, "b"), (10, "c")])
    log.merge([(9, point, 1.0)])  # position 5: the state after 4 trials still holds
    assert log.memo("test") == [(4, "a")]


@pytest.mark.parametrize("workers", [1, 8])
def test_the_kept_replay_equals_a_replay_from_scratch(workers: int) -> None:
    # A box that is exhausted quickly, so restarts (and their scans) happen many times.
    options = {"length": 0.3, "min_length": 0.1, "failure": 2, "candidates": 16}
    sampler = ZoomSampler(options)
    finish_out_of_order(SPACE, sampler, budget=260, workers=workers, seed=3, fn=loss)


def test_the_kept_replay_equals_a_replay_from_scratch_in_a_conditional_space() -> None:
    space = SearchSpace.from_dict(CONDITIONAL)
    sampler = make_sampler("zoom", {"min_length": 0.1, "failure": 2, "candidates": 8})
    assert isinstance(sampler, ZoomSampler)

    def anything(p: dict[str, Any]) -> float:
        return float(sum(hash(str(v)) % 97 for v in p.values()))

    rng = np.random.default_rng(5)
    kept = TrialLog(space, "minimize")
    history: list[tuple[int, dict[str, Any], float]] = []
    for number in range(150):
        p = space.decode(rng.random((1, space.ndim)))[0]
        history.append((number, p, anything(p)))
    for i in rng.permutation(len(history)):
        kept.merge([history[i]])
        fresh = TrialLog.of(space, list(kept), "minimize")  # the same trials, no checkpoints
        options = ZoomOptions.parse({"min_length": 0.1, "failure": 2})
        assert _state(replay(kept, 20, options)) == _state(replay(fresh, 20, options))


def plain_replay(log: TrialLog, n_init: int, options: ZoomOptions) -> Any:
    """The replay as first written: every trial in order, each restart a scan of all trials
    against every exhausted box. The kept replay must give the same region."""
    x, y = log.x, log.y
    failure = options.failure or max(4, log.space.ndim)
    best = int(np.argmin(y[:n_init]))
    region = TrustRegion(x[best].copy(), float(y[best]), options.length)
    spent: list[np.ndarray] = []
    for i in range(n_init, len(y)):
        if region is not None:
            _update(region, x[i], float(y[i]), options, failure)
            if region.length >= options.min_length:
                continue
            spent.append(region.center)
        far = np.ones(i + 1, dtype=bool)
        for c in spent:
            gap = np.abs(x[: i + 1] - c)
            far &= np.where(np.isnan(gap), 0.0, gap).max(axis=1) > options.length / 2
        ok = np.flatnonzero(far & np.isfinite(y[: i + 1]))
        if not len(ok):
            region = None
            continue
        best = int(ok[np.argmin(y[ok])])
        region = TrustRegion(x[best].copy(), float(y[best]), options.length)
    return region


@pytest.mark.parametrize("seed", range(3))
def test_the_kept_replay_restarts_where_a_plain_scan_does(seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = SPACE.decode(rng.random((900, SPACE.ndim)))  # random: many restarts
    log = TrialLog.of(SPACE, [(p, loss(p)) for p in points], "minimize")
    options = ZoomOptions.parse({"min_length": 0.05, "failure": 2})
    for n in (60, 400, 900):
        part = TrialLog.of(SPACE, list(log)[:n], "minimize")
        assert _state(replay(part, 20, options)) == _state(plain_replay(part, 20, options))


def test_checkpoints_stay_linear_in_memory_and_a_far_rewind_replays_the_same() -> None:
    rng = np.random.default_rng(4)
    points = SPACE.decode(rng.random((3000, SPACE.ndim)))  # random: hundreds of restarts
    options = ZoomOptions.parse({"min_length": 0.05, "failure": 2})
    kept = TrialLog(SPACE, "minimize")
    for start in range(0, 3000, 50):  # asks every 50 finished trials, keys 1, 3, 5, ...
        kept.merge((2 * k + 1, points[k], loss(points[k])) for k in range(start, start + 50))
        replay(kept, 20, options)
    covered = sum(
        state[2].nbytes for _, state in kept.memo(("zoom", 20, options)) if state[2] is not None
    )
    assert covered <= 5 * len(kept)  # a few marks keep coverage, not every one
    assert kept.nbytes() >= covered
    # A trial finishing far back (key 200: position 100) rewinds past those marks.
    kept.merge([(200, points[0], 0.123)])
    fresh = TrialLog.of(SPACE, list(kept), "minimize")
    assert _state(replay(kept, 20, options)) == _state(replay(fresh, 20, options))
    assert _state(replay(kept, 20, options)) == _state(plain_replay(fresh, 20, options))
