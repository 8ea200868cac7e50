"""The Pareto front of trials over several metrics: pure numpy, quick at 100,000 trials.

A point dominates another when it is no worse on every metric and better on one; points equal
on every metric do not dominate each other, so duplicates on the front all stay on it. Two
metrics take one sort and a sweep (O(n log n)); more take a sort and a chunked comparison
against the front found so far (O(n * front size), vectorized).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Pairs compared at once by the chunked filter (chunk x front): a few 16 MB arrays of bools.
_CELLS = 1 << 24


@dataclass(frozen=True)
class Front:
    """Row indices (ascending) of: the non-dominated feasible rows, the rows that break a
    constraint, and the rows missing a metric (NaN), which take no part in either."""

    front: np.ndarray
    infeasible: np.ndarray
    missing: np.ndarray


def pareto_front(
    values: np.ndarray,
    directions: Sequence[str],
    lower: Sequence[float | None] | None = None,
    upper: Sequence[float | None] | None = None,
) -> Front:
    """Split rows of `values` (n x k, NaN where a metric is missing) into front, infeasible and
    missing; `directions` are "minimize"/"maximize" per column, `lower`/`upper` optional bounds
    a feasible row meets (inclusive)."""
    values = np.asarray(values, dtype=float).reshape(len(values), len(directions))
    n, k = values.shape
    missing = np.isnan(values).any(axis=1)
    feasible = ~missing
    for j in range(k):
        if lower is not None and lower[j] is not None:
            feasible &= ~(values[:, j] < lower[j])
        if upper is not None and upper[j] is not None:
            feasible &= ~(values[:, j] > upper[j])
    rows = np.flatnonzero(feasible)
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    keep = non_dominated(values[rows] * signs)
    return Front(
        front=rows[keep],
        infeasible=np.flatnonzero(~feasible & ~missing),
        missing=np.flatnonzero(missing),
    )


def non_dominated(points: np.ndarray) -> np.ndarray:
    """A mask of the rows of `points` (n x k, all minimized, finite) no other row dominates."""
    points = np.asarray(points, dtype=float)
    n = len(points)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if points.shape[1] == 1:
        return points[:, 0] == points[:, 0].min()
    if points.shape[1] == 2:
        return _sweep2(points)
    return _chunked(points)


def _sweep2(points: np.ndarray) -> np.ndarray:
    """Two metrics: sort by x then y; a point is on the front when its y is the least of its
    x-group (no equal x with a smaller y) and below every y of smaller x."""
    x, y = points[:, 0], points[:, 1]
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    group_min = np.minimum.reduceat(ys, starts)
    before = np.r_[np.inf, np.minimum.accumulate(group_min)[:-1]]  # least y at smaller x
    sizes = np.diff(np.r_[starts, len(xs)])
    keep_sorted = (ys == np.repeat(group_min, sizes)) & (ys < np.repeat(before, sizes))
    keep = np.empty(len(points), dtype=bool)
    keep[order] = keep_sorted
    return keep


def _chunked(points: np.ndarray) -> np.ndarray:
    """More metrics: ordered by the sum of the metrics scaled to [0, 1] (ties: lexicographic), a
    point can only be dominated by one before it, and the strongest come first; so each chunk
    is checked against the front so far, then within itself. (Scaling and summing floats are
    monotone, so a dominating point never sorts after the point it dominates.)"""
    n, k = points.shape
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    scaled = (points - low) / np.where(span > 0, span, 1.0)
    order = np.lexsort((*points.T[::-1], scaled.sum(axis=1)))
    ordered = points[order]
    front = np.empty((0, k))
    kept: list[np.ndarray] = []
    chunk = 1024
    for start in range(0, n, chunk):
        block = ordered[start : start + chunk]
        alive = ~_dominated_by(block, front)
        candidates = block[alive]
        inner = ~_dominated_by(candidates, candidates)
        survivors = np.flatnonzero(alive)[inner] + start
        kept.append(survivors)
        front = np.concatenate([front, ordered[survivors]])
    keep = np.zeros(n, dtype=bool)
    keep[order[np.concatenate(kept)]] = True
    return keep


def _dominated_by(block: np.ndarray, by: np.ndarray) -> np.ndarray:
    """For each row of `block`, whether some row of `by` dominates it (in slices of `by` that
    keep the comparison within _CELLS)."""
    dominated = np.zeros(len(block), dtype=bool)
    if len(by) == 0 or len(block) == 0:
        return dominated
    step = max(1, _CELLS // len(block))
    for start in range(0, len(by), step):
        part = by[start : start + step]
        # Column by column: reducing over a short last axis costs more than the comparisons.
        no_worse = part[:, None, 0] <= block[None, :, 0]
        better = part[:, None, 0] < block[None, :, 0]
        for j in range(1, block.shape[1]):
            no_worse &= part[:, None, j] <= block[None, :, j]
            better |= part[:, None, j] < block[None, :, j]
        dominated |= (no_worse & better).any(axis=0)
    return dominated
