"""Did zooming pay off? Each search's progress against trials spent, the distribution of its
values, and what a refined search gained over its parent within the same region.

A child search only ever samples its region, so comparing its best with the parent's overall
best would reward or blame the box rather than the search: the fair baseline is the parent's
best among its own trials that lie inside the child's space (`region_gain`). Everything here is
pure: the store hands in each search's finished trials as arrays (numbers and values in ask
order, with when each finished) and, for baselines, its complete trials best first, lazily, so
a parent of 100,000 trials is read only until its first trial inside the child's box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from app.core.region import inside
from app.core.space import Params, SearchSpace

# Above this many complete trials a search's EDF is sent as this many quantiles, not every value.
EDF_POINTS = 200

Basis = Literal["region", "best"]
Relation = Literal["same", "ancestor", "descendant", "unrelated"]
Ranked = Callable[[SearchSpace], Iterable[tuple[float, Params]]]


def _nothing(space: SearchSpace) -> Iterable[tuple[float, Params]]:
    return ()


def _empty() -> np.ndarray:
    return np.zeros(0)


@dataclass(frozen=True)
class SearchRun:
    """What the lineage needs of one search.

    `numbers` and `values` are its finished trials (complete, failed, pruned) in ask order,
    a value NaN unless the trial completed, and `finished` when each finished; `created` is
    when the search was made, on the same clock (any one: days, seconds). `ranked(space)`
    yields its complete trials' (value, params) best first, and may leave out trials that
    cannot lie in `space` (only searches used as a baseline need it).
    """

    id: int
    parent_id: int | None
    space: SearchSpace
    numbers: np.ndarray
    values: np.ndarray
    ranked: Ranked = _nothing
    finished: np.ndarray = field(default_factory=_empty)
    created: float = 0.0


@dataclass(frozen=True)
class Edf:
    """The empirical distribution of a search's complete values, as the steps of a step line:
    a fraction `fractions[i]` of the values are <= `values[i]`. Every distinct value when
    `exact`, else quantiles at EDF_POINTS evenly spaced fractions (min and max included)."""

    values: list[float]
    fractions: list[float]
    n: int
    exact: bool


@dataclass(frozen=True)
class Gain:
    """`search_id`'s best against a baseline from `baseline_search_id`: on basis "region" the
    baseline's best among its trials inside the search's space (parent and child), on "best"
    its overall best (unrelated searches). `gain` > 0 means better in the objective's direction;
    `trials_to_beat` counts the search's trials up to the first that beat the baseline."""

    baseline_search_id: int
    search_id: int
    basis: Basis
    baseline: float | None
    best: float | None
    gain: float | None
    trials_to_beat: int | None


@dataclass(frozen=True)
class SearchSummary:
    """One search's progress: trials spent (finished), complete ones, the best value, the best
    so far as change points [(trials spent, best)], and its EDF."""

    id: int
    parent_id: int | None
    trials: int
    complete: int
    best: float | None
    best_so_far: list[tuple[int, float]]
    edf: Edf


@dataclass(frozen=True)
class SearchLineage(SearchSummary):
    """A search in its tree: `start` is the trials spent along its lineage before it began
    (its parent's start plus the parent's trials finished when it was made), where its line
    starts; `gain` is over its parent within its region (None for a root)."""

    start: int = 0
    at_creation: int = 0
    gain: Gain | None = None


@dataclass(frozen=True)
class Comparison:
    """Two searches side by side, and the gain of the later one over the earlier."""

    a: SearchSummary
    b: SearchSummary
    relation: Relation
    gain: Gain


def _better(direction: str) -> Callable[[float, float], bool]:
    return (lambda x, y: x > y) if direction == "maximize" else (lambda x, y: x < y)


def best_of(values: np.ndarray, direction: str) -> float | None:
    """The best complete value (NaN marks the others), or None."""
    done = values[~np.isnan(values)]
    if not done.size:
        return None
    return float(done.max() if direction == "maximize" else done.min())


def best_so_far(
    numbers: np.ndarray, values: np.ndarray, direction: str
) -> list[tuple[int, float]]:
    """Change points of the best so far: (number + 1, best) at each complete trial that beat
    every one asked before it, plus the last finished trial's, so the line reaches the end.
    A handful of points even at 100,000 trials (a new best gets rarer as trials go on)."""
    if not numbers.size:
        return []
    order = np.argsort(numbers, kind="stable")
    numbers, values = numbers[order], values[order]
    done = ~np.isnan(values)
    if not done.any():
        return []
    signed = values if direction == "minimize" else -values
    running = np.minimum.accumulate(np.where(done, signed, np.inf))
    previous = np.concatenate(([np.inf], running[:-1]))
    changed = done & (signed < previous)
    points = [
        (int(n) + 1, float(v)) for n, v in zip(numbers[changed], values[changed], strict=True)
    ]
    last = int(numbers[-1]) + 1
    if points[-1][0] != last:
        points.append((last, points[-1][1]))
    return points


def edf(values: np.ndarray, points: int = EDF_POINTS) -> Edf:
    """The EDF of the complete values (NaN skipped): each distinct value with the fraction of
    values at or below it; past `points` distinct values, the values at `points` evenly spaced
    fractions (the first and the last value included), each with its exact fraction."""
    done = np.sort(values[~np.isnan(values)])
    n = int(done.size)
    if not n:
        return Edf([], [], 0, True)
    distinct = np.unique(done)
    exact = distinct.size <= points
    if exact:
        at = distinct
    else:
        k = np.arange(1, points + 1)
        ranks = (k * n + points - 1) // points - 1  # ceil(k / points * n) - 1, in integers
        at = np.unique(done[np.concatenate(([0], ranks))])
    below = np.searchsorted(done, at, side="right") / n
    return Edf([float(v) for v in at], [float(f) for f in below], n, bool(exact))


def first_inside(space: SearchSpace, ranked: Iterable[tuple[float, Params]]) -> float | None:
    """The value of the first configuration (of trials given best first) that lies in `space`:
    the best of them inside it. Stops reading there."""
    iterator = iter(ranked)
    try:
        for value, params in iterator:
            if inside(space, params):
                return float(value)
        return None
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()  # a streamed query left half read is ended now, not when collected


def trials_to_beat(
    numbers: np.ndarray, values: np.ndarray, baseline: float | None, direction: str
) -> int | None:
    """Trials spent (number + 1) up to the first complete trial strictly better than
    `baseline`, in ask order; None when none is, or there is no baseline."""
    if baseline is None:
        return None
    done = ~np.isnan(values)
    beat = done & (values > baseline if direction == "maximize" else values < baseline)
    if not beat.any():
        return None
    return int(numbers[beat].min()) + 1


def gain_of(best: float | None, baseline: float | None, direction: str) -> float | None:
    """How much better `best` is than `baseline` (positive: better), or None."""
    if best is None or baseline is None:
        return None
    return best - baseline if direction == "maximize" else baseline - best


def at_creation(parent: SearchRun, child: SearchRun) -> int:
    """How many of the parent's trials had finished when the child was made."""
    return int(np.count_nonzero(parent.finished <= child.created))


def region_gain(parent: SearchRun, child: SearchRun, direction: str) -> Gain:
    """The child's best against the parent's best inside the child's space (its region, or
    any narrower space of a descendant)."""
    baseline = first_inside(child.space, parent.ranked(child.space))
    return _gain(parent.id, child, "region", baseline, direction)


def best_gain(baseline: SearchRun, search: SearchRun, direction: str) -> Gain:
    """`search`'s best against `baseline`'s overall best (for searches in no line of descent)."""
    return _gain(baseline.id, search, "best", best_of(baseline.values, direction), direction)


def _gain(
    of: int, search: SearchRun, basis: Basis, baseline: float | None, direction: str
) -> Gain:
    best = best_of(search.values, direction)
    return Gain(
        baseline_search_id=of,
        search_id=search.id,
        basis=basis,
        baseline=baseline,
        best=best,
        gain=gain_of(best, baseline, direction),
        trials_to_beat=trials_to_beat(search.numbers, search.values, baseline, direction),
    )


def summarize(run: SearchRun, direction: str) -> SearchSummary:
    """One search's trials spent, best, best so far and EDF."""
    return SearchSummary(**_summary_fields(run, direction))


def _summary_fields(run: SearchRun, direction: str) -> dict[str, object]:
    return {
        "id": run.id,
        "parent_id": run.parent_id,
        "trials": int(run.numbers.size),
        "complete": int(np.count_nonzero(~np.isnan(run.values))),
        "best": best_of(run.values, direction),
        "best_so_far": best_so_far(run.numbers, run.values, direction),
        "edf": edf(run.values),
    }


def lineage(runs: Sequence[SearchRun], direction: str) -> list[SearchLineage]:
    """Every search of a tree (parents before children, as the store lists them), with where
    its line starts and its gain over its parent within its region."""
    by_id: Mapping[int, SearchRun] = {r.id: r for r in runs}
    starts: dict[int, int] = {}
    found = []
    for run in runs:
        parent = by_id.get(run.parent_id) if run.parent_id is not None else None
        made_after = 0 if parent is None else at_creation(parent, run)
        start = 0 if parent is None else starts.get(parent.id, 0) + made_after
        starts[run.id] = start
        found.append(
            SearchLineage(
                **_summary_fields(run, direction),
                start=start,
                at_creation=made_after,
                gain=region_gain(parent, run, direction) if parent is not None else None,
            )
        )
    return found


def compare(a: SearchRun, b: SearchRun, relation: Relation, direction: str) -> Comparison:
    """Two searches: when one descends from the other, the later's gain over the earlier's
    best inside the later's space; otherwise b's best against a's best."""
    if relation == "ancestor":  # a is an ancestor of b
        gain = region_gain(a, b, direction)
    elif relation == "descendant":
        gain = region_gain(b, a, direction)
    else:
        gain = best_gain(a, b, direction)
    return Comparison(summarize(a, direction), summarize(b, direction), relation, gain)
