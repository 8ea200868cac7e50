"""Pruners: stop a trial early when its learning curve is already worse than its peers'.

Pure functions over intermediate values; the store gathers the values of the other trials of
the same search at the same step. Off unless a search names one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.core.space import SpaceError


class Pruner(Protocol):
    """Decides from the values other trials reported at the same step."""

    def should_prune(
        self, step: int, value: float, others: Sequence[float], direction: str
    ) -> bool:
        """Whether a trial that reported `value` at `step` should stop."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored with the search."""
        ...


def _better(a: float, b: float, direction: str) -> bool:
    return a > b if direction == "maximize" else a < b


@dataclass(frozen=True)
class MedianPruner:
    """Prune when the value is worse than the median of other trials at the same step.

    Args:
        n_startup_trials: never prune before this many other trials reported the step.
        n_warmup_steps: never prune at steps below this (early curves are noisy).
    """

    n_startup_trials: int = 5
    n_warmup_steps: int = 0

    def should_prune(
        self, step: int, value: float, others: Sequence[float], direction: str
    ) -> bool:
        """Worse than the median of `others` (ties survive)."""
        if step < self.n_warmup_steps or len(others) < self.n_startup_trials:
            return False
        ordered = sorted(others)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return _better(median, value, direction)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"type": "median", **self.__dict__}


@dataclass(frozen=True)
class SuccessiveHalvingPruner:
    """Asynchronous successive halving (ASHA): at each rung keep the top 1/reduction_factor.

    Rungs are the steps min_resource * reduction_factor**k. A trial reaching a rung goes on
    only if its value is among the best max(1, n // reduction_factor) of the n trials that
    reported that rung so far (itself included); other steps never prune.

    Args:
        min_resource: the first rung's step.
        reduction_factor: how many trials compete for one promotion.
    """

    min_resource: int = 1
    reduction_factor: int = 3

    def is_rung(self, step: int) -> bool:
        """Whether `step` is a rung."""
        if step < self.min_resource:
            return False
        ratio = step / self.min_resource
        k = round(math.log(ratio, self.reduction_factor))
        return self.min_resource * self.reduction_factor**k == step

    def should_prune(
        self, step: int, value: float, others: Sequence[float], direction: str
    ) -> bool:
        """Outside the top fraction at a rung."""
        if not self.is_rung(step):
            return False
        keep = max(1, (len(others) + 1) // self.reduction_factor)
        beaten_by = sum(1 for other in others if _better(other, value, direction))
        return beaten_by >= keep

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"type": "asha", **self.__dict__}


_PRUNERS: dict[str, type[MedianPruner] | type[SuccessiveHalvingPruner]] = {
    "median": MedianPruner,
    "asha": SuccessiveHalvingPruner,
}
_MINIMUM = {"n_startup_trials": 0, "n_warmup_steps": 0, "min_resource": 1, "reduction_factor": 2}


def make_pruner(spec: Mapping[str, Any] | None) -> Pruner | None:
    """Build a pruner from its JSON form (`{"type": "median", ...}`); None means no pruning."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise SpaceError(("pruner",), "must be an object with a 'type'")
    kind = spec.get("type")
    if kind not in _PRUNERS:
        raise SpaceError(("pruner", "type"), f"must be one of {sorted(_PRUNERS)}, got {kind!r}")
    cls = _PRUNERS[kind]
    options = {k: v for k, v in spec.items() if k != "type"}
    known = set(cls.__dataclass_fields__)
    for key, value in options.items():
        if key not in known:
            raise SpaceError(("pruner", key), f"unknown option for the {kind} pruner")
        if isinstance(value, bool) or not isinstance(value, int) or value < _MINIMUM[key]:
            raise SpaceError(("pruner", key), f"must be an integer >= {_MINIMUM[key]}")
    return cls(**options)
