"""Objectives for the Ray pruning tests, importable by Ray's worker processes.

Each step sleeps a little, reports `x + 1 / (step + 1)` (smaller x, a better curve) and appends
the time to `$HZ_RAY_PROGRESS/<x>.log` when that is set, so a test can see when a task really
stopped, not only when the worker stopped waiting for it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

STEPS = 30  # a full curve takes about 3 s
SLEEP = 0.1


def _tick(x: float) -> None:
    folder = os.environ.get("HZ_RAY_PROGRESS")
    if folder:
        with (Path(folder) / f"{x}.log").open("a") as log:
            log.write(f"{time.time()}\n")


def honours(params: dict[str, Any], trial: Any) -> float:
    """A learning curve that stops as soon as its pruner says so."""
    value = 0.0
    for step in range(STEPS):
        time.sleep(SLEEP)
        _tick(params["x"])
        value = params["x"] + 1 / (step + 1)
        if trial.report(step, value):
            return value
    return value


def ignores(params: dict[str, Any], trial: Any) -> float:
    """The same curve, run to its end whatever the pruner says."""
    value = 0.0
    for step in range(STEPS):
        time.sleep(SLEEP)
        _tick(params["x"])
        value = params["x"] + 1 / (step + 1)
        trial.report(step, value)
    return value


def endless(params: dict[str, Any], trial: Any) -> float:
    """Reports forever; only cancelling or a timeout stops it."""
    step = 0
    while True:
        time.sleep(SLEEP)
        _tick(params["x"])
        trial.report(step, params["x"])
        step += 1
