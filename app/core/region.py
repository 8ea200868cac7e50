"""Narrowing a space to a region drawn on a plot: the step from a coarse search to a finer one."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from app.core.space import CategoricalParam, FloatParam, IntParam, Param, SearchSpace, SpaceError

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
        A new space with the same parameters, scales and order.

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
    return SearchSpace(
        _narrow_param(p, region[name]) if name in region else p for name, p in space.params.items()
    )


def _narrow_param(p: Param, bounds: Any) -> Param:
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
        return FloatParam(p.name, low, high, p.log, p.step)
    return _narrow_int(p, low, high)


def _pair(name: str, bounds: Any) -> tuple[float, float]:
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise SpaceError((name,), "must be a pair [low, high]")
    for value in bounds:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpaceError((name,), f"bounds must be numbers, got {value!r}")
        if not math.isfinite(value):
            raise SpaceError((name,), f"bounds must be finite, got {value!r}")
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
    return IntParam(p.name, int(lo), int(hi), p.log, p.step)


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
    return CategoricalParam(p.name, kept)


def region_of(parent: SearchSpace, child: SearchSpace) -> dict[str, Any]:
    """The region that turns `parent` into `child`: only the parameters that changed."""
    out: dict[str, Any] = {}
    for name, p in child.params.items():
        if p == parent.params[name]:
            continue
        out[name] = list(p.choices) if isinstance(p, CategoricalParam) else [p.low, p.high]
    return out
