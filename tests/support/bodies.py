"""Request bodies the API tests send: a valid experiment, with overrides."""

from __future__ import annotations

from typing import Any

SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "layers": {"type": "int", "low": 1, "high": 3},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}


def body(**overrides: Any) -> dict[str, Any]:
    """A valid experiment request, with overrides."""
    return {
        "name": "sweep",
        "objective": "bowl",
        "direction": "minimize",
        "space": SPACE,
        "search": {"sampler": "random", "n_trials": 4, "seed": 5},
        **overrides,
    }
