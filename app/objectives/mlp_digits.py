"""The demo objective: scikit-learn's MLPClassifier on the digits data set that ships with it.

A real neural network tuned over the hyperparameters deep-learning practice names (learning
rate, momentum or Adam's betas, width, depth, mini-batch size, L2); one trial takes about a
second on one core.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import numpy as np

EPOCHS = 40


@cache
def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0  # pixel intensities are 0..16
    # A fixed split, so every trial is scored on the same validation set.
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y
    )
    return x_train, x_val, y_train, y_val


def objective(params: dict[str, Any]) -> float:
    """Train for a fixed number of epochs and return the validation accuracy (maximize)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_train, x_val, y_train, y_val = _data()
    solver = params.get("solver", "adam")
    model = MLPClassifier(
        hidden_layer_sizes=(int(params.get("hidden_units", 64)),) * int(params.get("layers", 1)),
        solver=solver,
        learning_rate_init=float(params.get("learning_rate_init", 1e-3)),
        momentum=float(params.get("momentum", 0.9)),
        beta_1=float(params.get("beta_1", 0.9)),
        beta_2=float(params.get("beta_2", 0.999)),
        nesterovs_momentum=solver == "sgd",
        batch_size=int(params.get("batch_size", 64)),
        alpha=float(params.get("alpha", 1e-4)),
        max_iter=EPOCHS,
        random_state=0,
    )
    with warnings.catch_warnings():
        # A fixed epoch budget is the point: not converging is a result, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # A diverging learning rate overflows; the accuracy then says how bad it was.
        warnings.simplefilter("ignore", RuntimeWarning)
        model.fit(x_train, y_train)
    return float(model.score(x_val, y_val))
