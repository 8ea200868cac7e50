"""What a refine would search, computed before anything is created.

The page draws a box and shows what this returns; every rule of a region (clipping, steps,
categories by value and type, inside or outside, edges, the span of the selected trials) lives
here, once, so the page, the API and the CLI cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.edges import Edge, find_edges
from app.core.region import Region, narrow, region_of, suggest_region
from app.core.sampling import losses
from app.core.space import CategoricalParam, Params, SearchSpace, SpaceError

FINISHED = ("complete", "failed", "pruned")


@dataclass(frozen=True)
class TrialPoint:
    """A trial as the preview needs it: its id, configuration, value and state (a string)."""

    id: int
    params: Params
    value: float | None
    state: str


@dataclass(frozen=True)
class Stats:
    """Count of all trials; best and median of completed ones; failed share of finished ones."""

    count: int
    best: float | None
    best_id: int | None
    median: float | None
    failure_rate: float | None


@dataclass(frozen=True)
class ParamRange:
    """The ranges a refine could narrow a parameter to.

    `span` is what the selected trials use (their min..max, or the categories they use);
    `suggested` is the parent's suggested region (around the best of all its trials). Either
    is None, with the
    reason in `span_problem` / `suggested_problem`, when there is nothing to narrow to.
    """

    span: list[Any] | None
    span_problem: str | None
    suggested: list[Any] | None
    suggested_problem: str | None


@dataclass(frozen=True)
class Preview:
    """The canonical child region (real units, clipped to the parent), or the problems that
    stop it, with the statistics that say whether the region is worth a search."""

    region: dict[str, Any]
    problems: list[SpaceError]
    inside: Stats
    outside: Stats
    selected: int
    edges: list[Edge]
    ranges: dict[str, ParamRange] = field(default_factory=dict)


def preview_refine(
    parent: SearchSpace,
    region: Region,
    trials: Sequence[TrialPoint],
    direction: str,
    value_range: tuple[float, float] | None = None,
    ancestors: Sequence[tuple[Params, float | None]] = (),
) -> Preview:
    """Everything Refine would do with `region`, without doing it.

    Args:
        parent: the space being refined.
        region: as for `narrow` (categories are matched by value and type).
        trials: the parent's subtree, every state.
        direction: "minimize" or "maximize".
        value_range: the box's extent on the objective's axis, if it is drawn on it; the
            selected trials (whose span the other parameters may take) are those inside the
            region and this range. The objective is never part of the region itself.
        ancestors: (params, value) of the finished trials of the parent's ancestors: the
            suggested ranges keep their best trial, as GET suggest-region does.
    """
    problems: list[SpaceError] = []
    try:
        child = narrow(parent, region)
    except SpaceError as exc:
        child, problems = parent, [exc]
    canonical = region_of(parent, child) if not problems else dict(region)
    inside: list[TrialPoint] = []
    outside: list[TrialPoint] = []
    for t in trials:  # one membership test per trial: a subtree may hold 100,000
        (inside if child.contains(t.params) else outside).append(t)
    chosen = [t for t in inside if _within(t.value, value_range)]
    history = [(t.params, _value(t)) for t in inside]
    everything = [(t.params, _value(t)) for t in trials]
    return Preview(
        region=canonical,
        problems=problems,
        inside=stats_of(inside, direction),
        outside=stats_of(outside, direction),
        selected=len(chosen),
        edges=find_edges(child, parent, history, direction) if not problems else [],
        ranges=_ranges(parent, child, chosen, everything, direction, ancestors),
    )


def _value(t: TrialPoint) -> float | None:
    return t.value if t.state == "complete" else None


def _within(value: float | None, bounds: tuple[float, float] | None) -> bool:
    if bounds is None:
        return True
    return value is not None and min(bounds) <= value <= max(bounds)


def stats_of(trials: Sequence[TrialPoint], direction: str) -> Stats:
    """How a set of trials fared (see `Stats`)."""
    done = [t for t in trials if t.state == "complete" and t.value is not None]
    finished = sum(t.state in FINISHED for t in trials)
    failed = sum(t.state == "failed" for t in trials)
    best = None
    if done:
        y = losses([(t.params, t.value) for t in done], direction)
        best = done[int(np.argmin(y))]
    return Stats(
        count=len(trials),
        best=best.value if best else None,
        best_id=best.id if best else None,
        median=float(np.median([t.value for t in done])) if done else None,
        failure_rate=failed / finished if finished else None,
    )


def _ranges(
    parent: SearchSpace,
    child: SearchSpace,
    chosen: Sequence[TrialPoint],
    history: list[tuple[Params, float | None]],
    direction: str,
    ancestors: Sequence[tuple[Params, float | None]] = (),
) -> dict[str, ParamRange]:
    """For each parameter of the child: the selected span and the suggested range. The page
    offers them for the parameters off its axes; a parameter narrowed to its span keeps it."""
    names = [n for n, p in child.params.items() if p.type != "fixed"]
    # The suggestion is the parent's (as GET suggest-region gives it), not the region's: it
    # must not move when the region takes it, or the panel would zoom on every answer.
    suggested, why = _suggested(parent, history, direction, ancestors)
    out = {}
    for name in names:
        span, problem = span_of(child.params[name], [t.params for t in chosen])
        offered = suggested.get(name)
        out[name] = ParamRange(
            span, problem, offered, None if offered else why or "the best trials use all of it"
        )
    return out


def _suggested(
    child: SearchSpace,
    history: list[tuple[Params, float | None]],
    direction: str,
    ancestors: Sequence[tuple[Params, float | None]] = (),
) -> tuple[dict[str, Any], str | None]:
    try:
        return suggest_region(child, history, direction, ancestors=ancestors).region, None
    except SpaceError as exc:
        return {}, exc.problem


def span_of(p: Any, configs: Sequence[Mapping[str, Any]]) -> tuple[list[Any] | None, str | None]:
    """What `configs` use of parameter `p`: the categories (in the space's order, by value and
    type) or [min, max]; or None and why there is nothing to narrow to."""
    values = [c[p.name] for c in configs if p.name in c and p.contains(c[p.name])]
    if not values:
        return None, "no selected trial uses it"
    if isinstance(p, CategoricalParam):
        # Every choice used is a span too: taking it keeps them all, and it stays the same
        # when the region is narrowed to it (the panel asks again with it).
        return [p.choices[i] for i in sorted({p.index(v) for v in values})], None
    low, high = min(values), max(values)
    if not low < high:
        return None, f"the selected trials all have {low:.4g}"
    return [low, high], None
