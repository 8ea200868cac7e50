"""Finished trials as an export document lists them, made quickly: the big experiments the
first-plot and density-mode browser tests import."""

from __future__ import annotations

from typing import Any

import numpy as np

SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "units": {"type": "int", "low": 8, "high": 256, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}


CREATED = "2026-01-01T00:00:00+00:00"


def finished_trials(n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """`n` complete trials of SPACE as an export document lists them."""
    lr, x, units = 10 ** rng.uniform(-5, 0, n), rng.uniform(0, 1, n), 2 ** rng.uniform(3, 8, n)
    solvers = rng.integers(0, 2, n)
    return [
        {
            "search_id": 1,
            "number": i,
            "state": "complete",
            "params": {
                "lr": float(lr[i]),
                "x": float(x[i]),
                "units": int(round(units[i])),
                "solver": ("sgd", "adam")[int(solvers[i])],
            },
            "value": float((np.log10(lr[i]) + 3) ** 2 + (x[i] - 0.3) ** 2),
            "metrics": None,
            "error": None,
            "worker": "fill",
            "attempt": 0,
            "lost": 0,
            "started_at": "2026-01-01T00:00:00+00:00",
            "finished_at": "2026-01-01T00:00:01+00:00",
            "intermediate_values": [],
        }
        for i in range(n)
    ]
