"""Evaluations as Ray tasks, so a team's Ray cluster runs the trials with the resources each
needs (GPUs per trial); Ray does the scheduling, the worker only asks and tells.

Intermediate values are collected inside the task and stored when it ends: learning curves
survive, but pruning cannot stop a trial running on the cluster early.
"""

from __future__ import annotations

import time
from typing import Any

from app.core.states import TrialState
from app.objectives import ObjectiveSpec
from app.worker.isolate import Cancelled, Report, run_objective
from app.worker.registry import ObjectiveError
from app.worker.trial import Outcome

_WAIT = 0.2


def _task(spec: ObjectiveSpec, params: dict[str, Any]) -> tuple[Outcome, list[tuple[int, float]]]:
    reports: list[tuple[int, float]] = []

    def report(step: int, value: float) -> bool:
        reports.append((step, value))
        return False

    return run_objective(spec, params, report), reports


class RayEvaluator:
    """Dispatches each evaluation as one Ray task with the given resources."""

    def __init__(self, address: str, cpus_per_trial: float = 1, gpus_per_trial: float = 0) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ObjectiveError("--ray needs Ray: pip install 'hyperzoom[ray]'") from exc
        self._ray = ray
        self._started_here = not ray.is_initialized()
        if self._started_here:
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        self._remote = ray.remote(num_cpus=cpus_per_trial, num_gpus=gpus_per_trial)(_task)

    def evaluate(
        self,
        spec: ObjectiveSpec,
        params: dict[str, Any],
        report: Report,
        *,
        timeout: float | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> Outcome | None:
        """Submit the task and wait for it, honouring the timeout and cancellation."""
        ray = self._ray
        ref = self._remote.remote(spec, params)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ready, _ = ray.wait([ref], timeout=_WAIT)
            if ready:
                return self._collect(ref, report)
            if cancelled():
                ray.cancel(ref, force=True)
                return None
            if deadline is not None and time.monotonic() > deadline:
                ray.cancel(ref, force=True)
                return Outcome(TrialState.FAILED, error=f"timed out after {timeout:g} s")

    def _collect(self, ref: Any, report: Report) -> Outcome:
        try:
            outcome, reports = self._ray.get(ref)
        except Exception as exc:  # the task's process died, or Ray lost the node
            return Outcome(TrialState.FAILED, error=f"the Ray task failed: {exc}")
        for step, value in reports:
            report(step, value)
        return outcome

    def close(self) -> None:
        """Leave a shared cluster alone; stop the local one we started."""
        if self._started_here:
            self._ray.shutdown()
