"""Built-in objectives, named so experiments can refer to them.

Listed by `module:function` so the web server can name them without importing scikit-learn;
only the worker that evaluates an objective imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.core.problems import Problem
from app.core.states import Direction


@dataclass(frozen=True)
class ObjectiveSpec:
    """A registered objective: what it computes, which way is better, a sensible space."""

    name: str
    target: str
    direction: Direction
    description: str
    space: dict[str, Any] = field(default_factory=dict)
    # The key of the objective's value when it returns a dict of metrics.
    metric: str | None = None
    # A command template (see app/worker/command.py) instead of a Python target.
    command: str | None = None
    cwd: str | None = None
    # What the value measures, in words, for axis titles ("validation accuracy").
    value_label: str | None = None

    def __post_init__(self) -> None:
        # Specs are also written with plain text ("maximize"), as in hyperzoom.toml.
        object.__setattr__(self, "direction", Direction(self.direction))

    def check_takes(self, names: Iterable[str]) -> None:
        """Raise Problem, located at the first parameter, when a space names parameters this
        objective does not take: its declared space is what it reads, so another name would
        only be sampled and ignored, every trial scoring the same. An objective that declares
        no space (a function loaded by reference) takes any names."""
        if not self.space:
            return
        unknown = [name for name in names if name not in self.space]
        if unknown:
            quoted = " or ".join(f'"{name}"' for name in unknown[:5])
            more = f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
            takes = ", ".join(sorted(self.space))
            raise Problem(
                (unknown[0],), f"{self.name} does not take {quoted}{more}; it takes {takes}"
            )


# `hard`: a side no search can go past (a decay of 0 is none; momentum and betas stay below 1
# or training diverges), so the dashboard never suggests widening it.
MLP_DIGITS_SPACE: dict[str, Any] = {
    "learning_rate_init": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "momentum": {
        "type": "float",
        "low": 0.5,
        "high": 0.999,
        "hard": ["high"],
        "condition": {"solver": ["sgd"]},
    },
    "hidden_units": {"type": "int", "low": 8, "high": 256, "log": True},
    "layers": {"type": "int", "low": 1, "high": 3},
    "batch_size": {"type": "int", "low": 16, "high": 512, "log": True},
    "alpha": {"type": "float", "low": 1e-7, "high": 1e-1, "log": True},
    # Learning-rate decay per epoch: lr = learning_rate_init / (1 + lr_decay * epoch).
    "lr_decay": {"type": "float", "low": 0.0, "high": 1.0, "hard": ["low"]},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
    # Linear scales: over 40 epochs on digits the betas matter little; the textbook log scale
    # on 1 - beta_2 would need a "reversed log" scale the core does not have.
    "beta_1": {
        "type": "float",
        "low": 0.5,
        "high": 0.999,
        "hard": ["high"],
        "condition": {"solver": ["adam"]},
    },
    "beta_2": {
        "type": "float",
        "low": 0.9,
        "high": 0.9999,
        "hard": ["high"],
        "condition": {"solver": ["adam"]},
    },
}

LR_CLIFF_SPACE: dict[str, Any] = {
    "lr": {"type": "float", "low": 1e-7, "high": 10.0, "log": True},
    "dropout": {"type": "float", "low": 0.0, "high": 0.9},
    "weight_decay": {"type": "float", "low": 1e-7, "high": 1e-1, "log": True},
}

LR_BATCH_RIDGE_SPACE: dict[str, Any] = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99},
    "batch_size": {"type": "int", "low": 8, "high": 1024, "log": True},
}

NOISY_SOLVER_SPACE: dict[str, Any] = {
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99, "condition": {"solver": ["sgd"]}},
    "beta_1": {"type": "float", "low": 0.5, "high": 0.999, "condition": {"solver": ["adam"]}},
    "alpha": {"type": "float", "low": 1e-7, "high": 1e-1, "log": True},
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
            value_label="validation accuracy",
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
        ObjectiveSpec(
            "lr-cliff",
            "app.objectives.synthetic:lr_cliff",
            "minimize",
            "A learning rate deep in a log range (best 3e-5) with a divergence cliff (value 0).",
            LR_CLIFF_SPACE,
        ),
        ObjectiveSpec(
            "lr-batch-ridge",
            "app.objectives.synthetic:lr_batch_ridge",
            "minimize",
            "Interacting rate, momentum and batch size: a curved valley (minimum 0).",
            LR_BATCH_RIDGE_SPACE,
        ),
        ObjectiveSpec(
            "noisy-solver",
            "app.objectives.synthetic:noisy_solver",
            "minimize",
            "Conditional and noisy: adam with lr=1e-3 and beta_1=0.9 is best (about 0).",
            NOISY_SOLVER_SPACE,
        ),
    )
}
