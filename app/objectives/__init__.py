"""Built-in objectives, named so experiments can refer to them.

Listed by `module:function` so the web server can name them without importing scikit-learn;
only the worker that evaluates an objective imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ObjectiveSpec:
    """A registered objective: what it computes, which way is better, a sensible space."""

    name: str
    target: str
    direction: str
    description: str
    space: dict[str, Any] = field(default_factory=dict)


MLP_DIGITS_SPACE: dict[str, Any] = {
    "learning_rate_init": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "momentum": {"type": "float", "low": 0.5, "high": 0.999},
    "hidden_units": {"type": "int", "low": 8, "high": 256, "log": True},
    "layers": {"type": "int", "low": 1, "high": 3},
    "batch_size": {"type": "int", "low": 16, "high": 512, "log": True},
    "alpha": {"type": "float", "low": 1e-7, "high": 1e-1, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}

BUILTINS: dict[str, ObjectiveSpec] = {
    spec.name: spec
    for spec in (
        ObjectiveSpec(
            "mlp-digits",
            "app.objectives.mlp_digits:objective",
            "maximize",
            "Validation accuracy of scikit-learn's MLPClassifier on the digits data set.",
            MLP_DIGITS_SPACE,
        ),
        ObjectiveSpec(
            "bowl",
            "app.objectives.synthetic:bowl",
            "minimize",
            "A cheap bowl with its minimum at learning_rate=1e-3, x=0.3 (value 0).",
            {
                "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
                "x": {"type": "float", "low": 0.0, "high": 1.0},
            },
        ),
    )
}
