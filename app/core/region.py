"""Narrowing a space to a region drawn on a plot: the step from a coarse search to a finer one."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.edges import Edge, find_edges, find_optimum
from app.core.params import is_finite
from app.core.sampling import History, encode_history, losses, valid_history
from app.core.space import (
    CategoricalParam,
    FixedParam,
    FloatParam,
    IntParam,
    Numeric,
    Param,
    Params,
    SearchSpace,
    SpaceError,
)

Region = Mapping[str, Any]

# A box drawn on a plot is converted through pixels and back; bounds that overshoot the parent's
# by this relative amount are taken as the parent's bound rather than refused.
_TOLERANCE = 1e-9


def narrow(space: SearchSpace, region: Region) -> SearchSpace:
    """Return the child space: `space` with each parameter named in `region` narrowed.

    Args:
        space: the parent search's space.
        region: parameter name -> `[low, high]` in real units (inclusive; on a log parameter
            these are still real values, not logarithms) or, for a categorical parameter, the
            list of choices to keep. Parameters not named keep the parent's range.

    Returns:
        A new space with the same parameters, scales, conditions and order, except that a
        conditional parameter whose condition can no longer hold (its parent's choices were
        narrowed away) is dropped, with the parent values that are gone from its condition.

    Raises:
        SpaceError: naming the parameter, when a bound is not a finite number, low >= high, a
            bound lies outside the parent's range, a log bound is <= 0, an int range holds no
            integer, or choices are empty, repeated or not the parent's.
    """
    if not isinstance(region, Mapping) or not region:
        raise SpaceError((), "a region must name at least one parameter")
    for name in region:
        if name not in space.params:
            known = ", ".join(space.names)
            raise SpaceError((name,), f"is not a parameter of this space ({known})")
    narrowed = {
        name: _narrow_param(p, region[name]) if name in region else p
        for name, p in space.params.items()
    }
    child = SearchSpace(_prune(space, narrowed))
    if not region_of(space, child):
        raise SpaceError(
            (),
            "covers the parent's whole space, so the child would search it again: narrow at "
            "least one parameter (to search the whole space again, start a new root search)",
        )
    return child


def _prune(space: SearchSpace, params: dict[str, Param]) -> list[Param]:
    """Drop condition values the narrowed parents can no longer take, then dead parameters."""
    kept: dict[str, Param] = {}
    for name in space.order:
        p = params[name]
        condition = tuple(
            (parent, tuple(v for v in values if parent in kept and kept[parent].contains(v)))
            for parent, values in p.condition
        )
        if all(values for _, values in condition):
            kept[name] = dataclasses.replace(p, condition=condition)
    return [kept[name] for name in space.params if name in kept]


def inside(space: SearchSpace, params: Params) -> bool:
    """Whether a configuration (say a parent search's trial) lies in `space` (say a child's).

    The store can pass a parent's trials that are inside a child's region to the child's
    model-based sampler as history, so a refined search starts warm.
    """
    return space.contains(params)


def _narrow_param(p: Param, bounds: Any) -> Param:
    if isinstance(p, FixedParam):
        raise SpaceError((p.name,), f"is fixed at {p.value!r}; there is nothing to narrow")
    if isinstance(p, CategoricalParam):
        return _narrow_choices(p, bounds)
    low, high = _pair(p.name, bounds)
    if p.log and low <= 0:
        raise SpaceError((p.name,), f"low ({low}) must be positive on a log scale")
    low, high = _within(p, low, high)
    if isinstance(p, FloatParam):
        if p.step is not None:
            low = p.low + math.ceil((low - p.low) / p.step - _TOLERANCE) * p.step
            high = p.low + math.floor((high - p.low) / p.step + _TOLERANCE) * p.step
            if low >= high:
                raise SpaceError((p.name,), f"the region holds fewer than two steps of {p.step}")
        return _keep_hard(p, dataclasses.replace(p, low=low, high=high))
    return _keep_hard(p, _narrow_int(p, low, high))


def _keep_hard(parent: Numeric, child: Numeric) -> Numeric:
    """A hard side stays hard only where the child's bound is still the parent's."""
    kept = tuple(s for s in parent.hard if getattr(child, s) == getattr(parent, s))
    return dataclasses.replace(child, hard=kept)


def _pair(name: str, bounds: Any) -> tuple[float, float]:
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise SpaceError((name,), "must be a pair [low, high]")
    for value in bounds:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpaceError((name,), f"bounds must be numbers, got {value!r}")
        if not is_finite(value):
            raise SpaceError((name,), f"bounds must be finite, got {value!r:.40}")
    low, high = float(bounds[0]), float(bounds[1])
    if low >= high:
        raise SpaceError((name,), f"low ({low:g}) must be less than high ({high:g})")
    return low, high


def _within(p: FloatParam | IntParam, low: float, high: float) -> tuple[float, float]:
    slack = _TOLERANCE * max(abs(p.low), abs(p.high), 1.0)
    if low < p.low - slack or high > p.high + slack:
        raise SpaceError(
            (p.name,),
            f"[{low:g}, {high:g}] lies outside the parent's range [{p.low:g}, {p.high:g}]",
        )
    return max(low, p.low), min(high, p.high)


def _narrow_int(p: IntParam, low: float, high: float) -> IntParam:
    lo = p.low + math.ceil((low - p.low) / p.step - _TOLERANCE) * p.step
    hi = p.low + math.floor((high - p.low) / p.step + _TOLERANCE) * p.step
    if lo > hi:
        raise SpaceError((p.name,), f"[{low:g}, {high:g}] holds no allowed integer")
    return dataclasses.replace(p, low=int(lo), high=int(hi))


def _narrow_choices(p: CategoricalParam, choices: Any) -> CategoricalParam:
    if not isinstance(choices, list | tuple) or not choices:
        raise SpaceError((p.name,), "must be a non-empty list of choices")
    for choice in choices:
        if not p.contains(choice):
            raise SpaceError((p.name,), f"{choice!r} is not one of {list(p.choices)!r}")
    # Keep the parent's order so the child's plots line up with the parent's.
    kept = tuple(c for c in p.choices if any(type(c) is type(x) and c == x for x in choices))
    if len(kept) != len(choices):
        raise SpaceError((p.name,), "a choice is listed twice")
    return dataclasses.replace(p, choices=kept)


def region_of(parent: SearchSpace, child: SearchSpace) -> dict[str, Any]:
    """The region that turns `parent` into `child`: only the parameters that changed."""
    out: dict[str, Any] = {}
    for name, p in child.params.items():
        if dataclasses.replace(p, condition=()) == dataclasses.replace(
            parent.params[name], condition=()
        ) or isinstance(p, FixedParam):
            continue
        out[name] = list(p.choices) if isinstance(p, CategoricalParam) else [p.low, p.high]
    return out


# Below this many completed trials a suggested region rests on a handful of trials: it is
# still given, with a warning that says so.
MIN_SUGGEST_TRIALS = 20


@dataclass(frozen=True)
class Incumbent:
    """A best completed trial of the search's lineage (its ancestors, then its subtree).

    `index` is its place in `[*ancestors, *trials]` as given to `suggest_region`; `inside`
    says whether it lies in the search's own space, `in_box` whether in the suggested region.
    """

    index: int
    params: Params
    value: float
    inside: bool
    in_box: bool


@dataclass(frozen=True)
class SuggestedRegion:
    """A region `narrow` accepts, the edges where the search should perhaps widen instead,
    how many completed trials it rests on and, when that is few, a warning.

    `incumbent` is the lineage's best completed trial and `best_inside` the best one inside
    the search's space (the same trial when the incumbent is inside): the box contains
    `best_inside` unless asked not to, `widened` names the parameters whose range was widened
    to keep it, and `optimum` says per numeric parameter where the best trials sit in the
    search's range: "interior", "low edge", "high edge" or "unclear".
    """

    region: dict[str, Any]
    edges: list[Edge]
    n_complete: int
    warning: str | None = None
    incumbent: Incumbent | None = None
    best_inside: Incumbent | None = None
    widened: list[str] = dataclasses.field(default_factory=list)
    optimum: dict[str, str] = dataclasses.field(default_factory=dict)


def suggest_region(
    space: SearchSpace,
    trials: History,
    direction: str,
    top_fraction: float = 0.2,
    margin: float = 0.1,
    *,
    ancestors: History = (),
    keep_incumbent: bool = True,
) -> SuggestedRegion:
    """The box around the best trials, as the zoom sampler sees it, in real units.

    Args:
        space: the search's space.
        trials: (params, value) pairs of the search and its refinements; a value of None (a
            failed trial) is ignored.
        direction: "minimize" or "maximize".
        top_fraction: the share of completed trials that counts as best (at least one).
        margin: widening on each side, in unit-cube units (so in decades-per-range for log
            parameters), before clipping to the space.
        ancestors: (params, value) pairs of the search's ancestors' own trials: the box rests
            on `trials`, but the best trial of ancestors and trials together that lies in
            `space` is kept in it (issue 16, finding 3).
        keep_incumbent: False leaves the box as the best of `trials` draw it, even when that
            drops the lineage's best trial (the answer still names it, with in_box false).

    Returns:
        The region (name -> [low, high], or the list of choices the best trials use; fixed
        parameters, ones no best trial uses and ones the box would not narrow are left out,
        so they keep the parent's range), the edges (see `find_edges`), the incumbent and
        where the optimum sits per parameter.

    Raises:
        SpaceError: when no trial has a value, or the best trials span the whole space.
    """
    lineage = [*ancestors, *trials]  # Incumbent.index counts in this, as the caller gave it
    trials = valid_history(space, trials)
    x, y = encode_history(space, trials), losses(trials, direction)
    done = np.flatnonzero(np.isfinite(y))
    if not len(done):
        raise SpaceError(("trials",), "no completed trial to zoom in on")
    k = max(1, math.ceil(top_fraction * len(done)))
    top = done[np.argsort(y[done], kind="stable")[:k]]
    columns = [x[top, j][~np.isnan(x[top, j])] for j in range(len(space.dims))]
    used = [_choices(p, [trials[i][0] for i in top]) for p in space.dims]
    region = _box(space, columns, used, margin)
    if not region:
        raise SpaceError(("trials",), "the best trials spread over the whole space")
    incumbent, best_inside = _incumbents(space, lineage, direction)
    widened: list[str] = []
    kept = lineage[best_inside][0] if best_inside is not None else {}
    if keep_incumbent and best_inside is not None and not in_region(space, region, kept):
        region, widened = _widen_to_keep(space, region, columns, used, kept, margin)
    edges = find_edges(space, space, trials, direction, top_fraction, margin)
    optimum = find_optimum(space, trials, direction, top_fraction, margin)
    return SuggestedRegion(
        region,
        edges,
        len(done),
        _few_trials(len(done), k),
        _incumbent(space, region, lineage, incumbent),
        _incumbent(space, region, lineage, best_inside),
        widened,
        optimum,
    )


def _widen_to_keep(
    space: SearchSpace,
    region: dict[str, Any],
    columns: list[np.ndarray],
    used: list[set[int]],
    kept: Params,
    margin: float,
) -> tuple[dict[str, Any], list[str]]:
    """The box of the best trials and `kept` together, and the parameters that widened."""
    point = space.encode(kept)
    columns = [
        np.append(c, point[j]) if not np.isnan(point[j]) else c for j, c in enumerate(columns)
    ]
    used = [u | _choices(p, [kept]) for u, p in zip(used, space.dims, strict=True)]
    wider = _keep(space, _box(space, columns, used, margin), kept)
    if not wider:
        raise SpaceError(
            ("trials",),
            "the best trials and the best trial so far spread over the whole space "
            "(keep_incumbent=false gives the box of the best trials alone)",
        )
    return wider, [name for name in space.params if wider.get(name) != region.get(name)]


def _choices(p: Param, configs: list[Params]) -> set[int]:
    """The indices of the choices `configs` use of a categorical `p` (none for the others)."""
    if not isinstance(p, CategoricalParam):
        return set()
    return {p.index(c[p.name]) for c in configs if p.name in c}


def _box(
    space: SearchSpace, columns: list[np.ndarray], used: list[set[int]], margin: float
) -> dict[str, Any]:
    """The region around unit-cube columns (numeric) and used choices (categorical)."""
    region: dict[str, Any] = {}
    for j, p in enumerate(space.dims):
        column = columns[j]
        if not len(column):
            continue
        if isinstance(p, CategoricalParam):
            if len(used[j]) < len(p.choices):
                region[p.name] = [p.choices[i] for i in sorted(used[j])]
            continue
        lo, hi = float(column.min()) - margin, float(column.max()) + margin
        bounds = _bounds(p, lo, hi)
        if bounds != [p.low, p.high]:
            region[p.name] = bounds
    return region


def _keep(space: SearchSpace, region: dict[str, Any], params: Params) -> dict[str, Any]:
    """`region` stretched, in real units, over a numeric value a rounding would leave out."""
    out = dict(region)
    for name, bounds in region.items():
        p = space.params[name]
        if isinstance(p, FloatParam | IntParam) and name in params:
            low, high = min(bounds[0], params[name]), max(bounds[1], params[name])
            out[name] = [low, high]
            if [low, high] == [p.low, p.high]:
                del out[name]
    return out


def _incumbents(
    space: SearchSpace, lineage: History, direction: str
) -> tuple[int | None, int | None]:
    """The index of the lineage's best completed trial, and of the best inside `space`."""
    y = losses(lineage, direction)
    order = [i for i in np.argsort(y, kind="stable") if np.isfinite(y[i])]
    if not order:
        return None, None
    inside_space = next((int(i) for i in order if space.contains(lineage[i][0])), None)
    return int(order[0]), inside_space


def _incumbent(
    space: SearchSpace, region: dict[str, Any], lineage: History, index: int | None
) -> Incumbent | None:
    if index is None:
        return None
    params, value = lineage[index]
    inside_space = space.contains(params)
    return Incumbent(
        index,
        dict(params),
        float(value),  # type: ignore[arg-type]  # a completed trial has a value
        inside_space,
        inside_space and in_region(space, region, params),
    )


def in_region(space: SearchSpace, region: Region, params: Params) -> bool:
    """Whether a configuration of `space` lies in `region` (a parameter it lacks does)."""
    for name, bounds in region.items():
        if name not in params:
            continue
        value = params[name]
        if isinstance(space.params[name], CategoricalParam):
            if not any(type(c) is type(value) and c == value for c in bounds):
                return False
        elif not bounds[0] <= value <= bounds[1]:
            return False
    return True


def _few_trials(n: int, k: int) -> str | None:
    if n >= MIN_SUGGEST_TRIALS:
        return None
    best = "trial" if k == 1 else f"{k} trials"
    return (
        f"only {n} completed trial{'s' if n != 1 else ''}: this region rests on the best "
        f"{best}, so treat it as a guess (wait for {MIN_SUGGEST_TRIALS} or more)"
    )


def _bounds(p: FloatParam | IntParam, lo: float, hi: float) -> list[float]:
    """Unit-cube bounds in real units, at least one step apart so `narrow` accepts them; a
    bound at the cube's edge (or a rounding from it) is the space's own bound exactly."""
    lo = 0.0 if lo <= _TOLERANCE else lo
    hi = 1.0 if hi >= 1.0 - _TOLERANCE else hi
    low, high = p.decode(np.array([lo, hi if hi >= 1.0 else np.nextafter(hi, 0.0)]))
    if low < high:
        return [low, high]
    step = 1 if isinstance(p, IntParam) else (p.step or 0.0)
    if high + step <= p.high and step:
        return [low, high + step]
    if low - step >= p.low and step:
        return [low - step, high]
    return [p.low, p.high]


def check_within(parent: SearchSpace, child: SearchSpace) -> None:
    """Raise SpaceError unless `child` is `parent` narrowed, naming the first parameter that isn't.

    A refined search must never sample outside the space it was refined from; `narrow` ensures
    that for searches made here, and an imported document's child searches are checked with this.
    Parameters the child lacks are fine (a conditional pruned by narrowing its parent).
    """
    for name, p in child.params.items():
        q = parent.params.get(name)
        if q is None:
            raise SpaceError((name,), "is not a parameter of the parent search's space")
        if type(p) is not type(q):
            raise SpaceError((name,), f"is {p.type} here but {q.type} in the parent search")
        if isinstance(p, CategoricalParam):
            extra = [c for c in p.choices if not q.contains(c)]
            if extra:
                raise SpaceError((name,), f"choices {extra!r} are not among the parent's")
        elif isinstance(p, FixedParam):
            if not q.contains(p.value):
                raise SpaceError((name,), f"is fixed at {p.value!r}, not the parent's value")
        elif isinstance(p, FloatParam | IntParam) and isinstance(q, FloatParam | IntParam):
            if p.log != q.log or p.step != q.step:
                raise SpaceError((name,), "has another scale or step than in the parent search")
            _within(q, p.low, p.high)
