"""Objectives that misbehave on purpose, importable by the worker's child process."""

from __future__ import annotations

import ctypes
import math
import os
import signal
import sys
import time
from typing import Any


def ok(params: dict[str, Any]) -> float:
    """A well-behaved objective: the value of x."""
    return float(params["x"])


def raises(params: dict[str, Any]) -> float:
    """Always raises."""
    raise RuntimeError(f"diverged at x={params['x']:.3f}")


def segfault(params: dict[str, Any]) -> float:
    """Crashes the process with a segmentation fault, as a broken C extension would."""
    ctypes.memset(0, 0, 1)  # write to address 0
    os.kill(os.getpid(), signal.SIGSEGV)  # in case the platform maps page 0
    return 0.0


def exits(params: dict[str, Any]) -> float:
    """Leaves without returning or raising."""
    os._exit(3)


def hangs(params: dict[str, Any]) -> float:
    """Never returns on its own."""
    time.sleep(3600)
    return 0.0


def slow(params: dict[str, Any]) -> float:
    """Takes a while, then returns x."""
    time.sleep(float(os.environ.get("HZ_TEST_SLOW", "2")))
    return float(params["x"])


def nan(params: dict[str, Any]) -> float:
    """Returns NaN."""
    return math.nan


def hog(params: dict[str, Any]) -> float:
    """Allocates far more memory than any limit a test sets."""
    blob = bytearray(4 * 1024**3)
    return float(len(blob))


def metrics(params: dict[str, Any]) -> dict[str, Any]:
    """Returns a dict of metrics holding the objective's metric."""
    return {"value": params["x"], "accuracy": 1 - params["x"], "note": "fine"}


def curve(params: dict[str, Any], trial: Any) -> float:
    """Reports a learning curve; stops when told to (pruned)."""
    value = 0.0
    for step in range(5):
        value = params["x"] * (step + 1)
        if trial.report(step, value):
            return value
    return value


# Results that cannot be stored as they are (issue 14, items 11 to 13).


def surrogate_error(params: dict[str, Any]) -> float:
    """Fails with a message holding a lone surrogate, as `os.fsdecode` makes of a file name."""
    name = os.fsdecode(b"data-\xff")
    raise OSError(f"cannot open {name}.csv")


def long_error(params: dict[str, Any]) -> float:
    """Fails with a message of 200,000 characters that ends with what matters."""
    raise RuntimeError("x" * 200_000 + " THE END")


def huge_metrics(params: dict[str, Any]) -> dict[str, Any]:
    """Returns its value with an 11 MB metric."""
    return {"value": params["x"], "blob": "y" * 11_000_000}


def surrogate_metric(params: dict[str, Any]) -> dict[str, Any]:
    """Returns its value with a metric (name and text) holding a lone surrogate."""
    name = os.fsdecode(b"file-\xfe")
    return {"value": params["x"], name: os.fsdecode(b"data-\xff.csv")}


def huge_int(params: dict[str, Any]) -> int:
    """Returns 10**400, a number no float holds."""
    return 10**400


def huge_int_metric(params: dict[str, Any]) -> dict[str, Any]:
    """Returns a fine value with a metric of 10**400."""
    return {"value": params["x"], "big": 10**400}


def imported(params: dict[str, Any]) -> dict[str, Any]:
    """Which of the database layer and the web framework its process has imported."""
    found = [m for m in ("sqlalchemy", "fastapi", "starlette") if m in sys.modules]
    return {"value": 0.0, "imported": " ".join(found)}


def chaotic(params: dict[str, Any], trial: Any) -> float:
    """Every way a trial ends, for the tallies' chaos drill: a learning curve of four steps
    (`HZ_TEST_SLOW` seconds each, long enough to be killed mid-trial) that a pruner may stop,
    and a crash for x above 0.85."""
    if params["x"] > 0.85:
        raise RuntimeError(f"diverged at x={params['x']:.3f}")
    for step in range(4):
        time.sleep(float(os.environ.get("HZ_TEST_SLOW", "0.05")))
        if trial.report(step, params["x"] * (step + 1)):
            break
    return float(params["x"])
