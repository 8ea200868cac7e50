"""Search spaces the core tests share: the demo's, and one with a conditional parameter."""

from __future__ import annotations

DEMO = {
    "learning_rate_init": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "momentum": {"type": "float", "low": 0.5, "high": 0.999},
    "hidden_units": {"type": "int", "low": 8, "high": 256, "log": True},
    "layers": {"type": "int", "low": 1, "high": 3},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}


CONDITIONAL = {
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
    "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
    "momentum": {"type": "float", "low": 0.5, "high": 0.99, "condition": {"solver": ["sgd"]}},
    "beta_1": {"type": "float", "low": 0.5, "high": 0.999, "condition": {"solver": ["adam"]}},
    "layers": {"type": "int", "low": 1, "high": 3},
    "epochs": {"type": "fixed", "value": 10},
}
