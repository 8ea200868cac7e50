"""A trial log that also keeps every declared metric of each trial, for experiments with several
objectives or bounds (`Objectives`): the multi-objective samplers read the vectors, zoom the
losses, in which a trial that breaks a bound counts as failed.

A plain `TrialLog` still serves every other experiment, so nothing changes for them. The vectors
are kept by order key beside the log rather than in its arrays: only Optuna's samplers read
them, and those rebuild a study from the whole history at every ask anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from app.core.metrics import Objectives
from app.core.space import Params, SearchSpace
from app.core.trial_log import TrialLog

# (order key, params, value, metrics in declaration order: NaN where missing).
MetricRow = tuple[int, Params, float | None, Sequence[float]]


class MetricLog(TrialLog):
    """A `TrialLog` whose trials carry their metric vectors; it knows the declaration."""

    def __init__(self, space: SearchSpace, direction: str, objectives: Objectives) -> None:
        super().__init__(space, direction)
        self.objectives = objectives
        self._vectors: dict[int, tuple[float, ...]] = {}

    def merge(  # type: ignore[override]
        self, rows: Iterable[MetricRow], gone: Iterable[int] = ()
    ) -> int:
        """As `TrialLog.merge`, each row with its metric vector after its value."""
        rows = list(rows)
        gone = list(gone)
        k = len(self.objectives.names)
        for key in gone:
            self._vectors.pop(key, None)
        for key, _, _, vector in rows:
            if len(vector) != k:
                raise ValueError(f"a trial's metrics must be {k} numbers, got {len(vector)}")
            self._vectors[key] = tuple(float(v) for v in vector)
        first = super().merge(((key, p, v) for key, p, v, _ in rows), gone)
        if len(self._vectors) > len(self):  # rows outside the space were left out
            kept = set(self._keys.tolist())
            self._vectors = {key: v for key, v in self._vectors.items() if key in kept}
        return first

    def vectors(self) -> np.ndarray:
        """(n, metrics) of the trials in log order; NaN where a metric is missing."""
        rows = [self._vectors[key] for key in self._keys.tolist()]
        return np.array(rows, dtype=float).reshape(len(rows), len(self.objectives.names))

    def nbytes(self) -> int:
        """The log's weight and its vectors'."""
        return super().nbytes() + len(self) * (120 + 8 * len(self.objectives.names))

    def _loss_of(self, key: int, value: float | None) -> float:
        """Zoom follows the value; a trial that breaks a bound (or lacks a bounded metric)
        counts as failed, so the box never settles on an infeasible best."""
        if not self.objectives.feasible(self._vectors[key]):
            return np.inf
        return self._loss(value)
