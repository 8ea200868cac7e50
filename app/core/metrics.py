"""An experiment's declared metrics: several objectives, each a metric the objective returns and
a direction, optionally bounded (`lower`/`upper`: a constraint a feasible trial meets).

The first metric is the experiment's value (its `direction`, best, zoom, pruning and suggested
regions all follow it); the others are read from each trial's metrics. One checker for the API,
the CLI and import documents, so each reports a bad declaration alike, at its field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core.problems import Problem
from app.core.states import Direction

MAX_METRICS = 16
MAX_NAME = 200
_KEYS = {"name", "direction", "lower", "upper"}


def check_metrics(value: Any) -> list[dict[str, Any]]:
    """The declaration as stored: `[{"name", "direction", ["lower"], ["upper"]}]`, bounds only
    where given. Raises Problem located at the offending item and key."""
    if not isinstance(value, list):
        raise Problem((), "must be a list of metrics")
    if not value:
        raise Problem((), "must name at least one metric (leave it out for one objective)")
    if len(value) > MAX_METRICS:
        raise Problem((), f"at most {MAX_METRICS} metrics")
    seen: set[str] = set()
    metrics = []
    for i, item in enumerate(value):
        metric = _metric(item, (i,))
        if metric["name"] in seen:
            raise Problem((i, "name"), f"{metric['name']!r} is declared twice")
        seen.add(metric["name"])
        metrics.append(metric)
    return metrics


def _metric(item: Any, loc: tuple[int]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise Problem(loc, "must be an object with a name and a direction")
    for key in item:
        if key not in _KEYS:
            raise Problem((*loc, key), "is not a field of a metric (name, direction, bounds)")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise Problem((*loc, "name"), f"must be a non-empty string of at most {MAX_NAME} chars")
    try:
        direction = Direction(item.get("direction"))
    except ValueError:
        raise Problem((*loc, "direction"), "must be 'minimize' or 'maximize'") from None
    metric: dict[str, Any] = {"name": name, "direction": direction.value}
    for side in ("lower", "upper"):
        bound = item.get(side)
        if bound is None:
            continue
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise Problem((*loc, side), "must be a number")
        if not math.isfinite(bound):
            raise Problem((*loc, side), "must be finite")
        metric[side] = float(bound)
    if metric.get("lower", -math.inf) > metric.get("upper", math.inf):
        raise Problem((*loc, "lower"), f"{metric['lower']} is above upper ({metric['upper']})")
    return metric


def first_metric(metrics: Sequence[dict[str, Any]] | None) -> str | None:
    """The metric that is the trial's value, or None for a single-objective experiment."""
    return metrics[0]["name"] if metrics else None


@dataclass(frozen=True)
class Objectives:
    """The declaration as samplers read it: one entry per metric, the first the value.

    Only experiments that need more than the value get one (`of`): two or more metrics, or a
    bound. Everything else samples from the value alone, exactly as before metrics existed.
    """

    names: tuple[str, ...]
    directions: tuple[str, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]

    @classmethod
    def of(cls, metrics: Sequence[dict[str, Any]] | None) -> Objectives | None:
        """The stored declaration's objectives; None for one unbounded metric or none."""
        if not metrics:
            return None
        made = cls(
            names=tuple(m["name"] for m in metrics),
            directions=tuple(m["direction"] for m in metrics),
            lower=tuple(m.get("lower") for m in metrics),
            upper=tuple(m.get("upper") for m in metrics),
        )
        return made if len(metrics) > 1 or made.constrained else None

    @property
    def constrained(self) -> bool:
        """Whether any metric is bounded."""
        return any(b is not None for b in (*self.lower, *self.upper))

    def violations(self, vector: Sequence[float]) -> list[float]:
        """Optuna's constraint values for a trial's metrics, one per bound in declaration
        order (`metric - upper`, `lower - metric`): <= 0 where met, NaN where missing."""
        out = []
        for value, low, high in zip(vector, self.lower, self.upper, strict=True):
            if high is not None:
                out.append(float(value) - high)
            if low is not None:
                out.append(low - float(value))
        return out

    def feasible(self, vector: Sequence[float]) -> bool:
        """Whether a trial meets every bound (a missing bounded metric does not)."""
        return all(v <= 0 for v in self.violations(vector))
