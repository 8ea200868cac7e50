"""Where the best trials crowd a side of a range: the optimum may lie beyond it.

One rule for the suggested region and for a box drawn by hand, so the page and the API never
disagree on a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.core.sampling import History, encode_history, losses, valid_history
from app.core.space import FloatParam, IntParam, Numeric, SearchSpace

# Fewer completed trials than this say nothing about where the best ones sit.
MIN_EDGE_TRIALS = 5


@dataclass(frozen=True)
class Edge:
    """The best trials sit on a side of the range: the optimum may lie beyond it."""

    param: str
    side: Literal["low", "high"]
    message: str


def find_edges(
    space: SearchSpace,
    parent: SearchSpace,
    trials: History,
    direction: str,
    top_fraction: float = 0.2,
    margin: float = 0.1,
) -> list[Edge]:
    """The sides of `space` where its best trials crowd.

    Args:
        space: the range looked at (a region of `parent`, or `parent` itself).
        parent: the space a refine narrows; a side of `space` at one of its hard limits
            (`hard` in the space) is never an edge, as no search can go past it.
        trials: (params, value) pairs; trials outside `space` and failed ones are ignored.
        direction: "minimize" or "maximize".
        top_fraction: the share of completed trials that counts as best (ties are not split).
        margin: how near a side counts as at it, in unit-cube units of `space` (decades per
            range on a log parameter).

    Returns:
        One edge per crowded side: at least MIN_EDGE_TRIALS completed trials, their best agree
        (spread at most half the range) and reach within `margin` of the side.
    """
    sides = _best_sides(space, trials, direction, top_fraction, margin)
    edges: list[Edge] = []
    for p in _numeric(space):
        if reach := sides.get(p.name):
            at = [side for side, near in zip(("low", "high"), reach, strict=True) if near]
            edges += [e for side in at if (e := _edge(p, parent, side))]
    return edges


Optimum = Literal["interior", "low edge", "high edge", "unclear"]
# (the best reach the low side, the high side) -> where the optimum looks to be.
_OPTIMUM: dict[tuple[bool, bool], Optimum] = {
    (True, False): "low edge",
    (False, True): "high edge",
    (False, False): "interior",
}


def find_optimum(
    space: SearchSpace,
    trials: History,
    direction: str,
    top_fraction: float = 0.2,
    margin: float = 0.1,
) -> dict[str, Optimum]:
    """Per numeric parameter of `space`, where its best trials sit in the range.

    The rule is `find_edges`'s (the same best trials, the same `margin`), but every side
    counts, hard limits too: "low edge" or "high edge" when the best agree and reach that
    side, "interior" when they agree away from both, "unclear" with fewer than
    MIN_EDGE_TRIALS completed trials or when the best spread over more than half the range
    (or reach both sides).
    """
    sides = _best_sides(space, trials, direction, top_fraction, margin)
    # No verdict, or best trials that reach both sides, is "unclear".
    return {
        p.name: _OPTIMUM.get(sides.get(p.name) or (True, True), "unclear") for p in _numeric(space)
    }


def _best_sides(
    space: SearchSpace, trials: History, direction: str, top_fraction: float, margin: float
) -> dict[str, tuple[bool, bool] | None]:
    """Per numeric parameter, whether the best trials reach within `margin` of its (low, high)
    side: the one rule of edges and optimum. None where they spread over more than half the
    range (or have no value); nothing at all with fewer than MIN_EDGE_TRIALS completed trials."""
    trials = [t for t in valid_history(space, trials) if t[1] is not None]
    if len(trials) < MIN_EDGE_TRIALS:
        return {}
    x, y = encode_history(space, trials), losses(trials, direction)
    k = max(1, math.ceil(top_fraction * len(trials)))
    top = np.flatnonzero(y <= np.sort(y)[k - 1])
    sides: dict[str, tuple[bool, bool] | None] = {}
    for j, p in enumerate(space.dims):
        if not isinstance(p, FloatParam | IntParam):
            continue
        column = x[top, j][~np.isnan(x[top, j])]
        agree = len(column) and column.max() - column.min() <= 0.5
        sides[p.name] = (
            (bool(column.min() <= margin), bool(column.max() >= 1 - margin)) if agree else None
        )
    return sides


def _numeric(space: SearchSpace) -> list[Numeric]:
    return [p for p in space.dims if isinstance(p, FloatParam | IntParam)]


def _edge(p: Numeric, parent: SearchSpace, side: Literal["low", "high"]) -> Edge | None:
    """The edge with advice a person can act on, or None at a limit nothing can move."""
    if side in p.hard:
        return None
    bound = p.low if side == "low" else p.high
    word = "below" if side == "low" else "above"
    if bound == getattr(parent.params.get(p.name), side, bound):
        advice = f"the search stops there, so start a wider root search {word} {bound:.4g}"
    else:
        advice = f"widen the region {word} {bound:.4g}"
    return Edge(p.name, side, f"the best trials sit at the {side} end of {p.name}: {advice}")
