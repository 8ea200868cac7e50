"""The demo objective: scikit-learn's MLPClassifier on the digits data set that ships with it.

A real neural network tuned over the hyperparameters deep-learning practice names (learning
rate and its decay, momentum or Adam's betas, width, depth, mini-batch size, L2); one trial
takes about a second on one core.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import numpy as np

EPOCHS = 25


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


def objective(params: dict[str, Any], trial: Any = None) -> float:
    """Train epoch by epoch and return the final validation accuracy (maximize).

    Each epoch's validation accuracy goes to `trial.report`, so a pruner can stop a hopeless
    configuration early; the learning rate decays as lr / (1 + lr_decay * epoch).
    """
    from sklearn.exceptions import ConvergenceWarning

    x_train, x_val, y_train, y_val = _data()
    model = _model(params)
    lr0, decay = float(params.get("learning_rate_init", 1e-3)), float(params.get("lr_decay", 0))
    classes = np.unique(y_train)
    accuracy = 0.0
    with warnings.catch_warnings():
        # A fixed epoch budget is the point: not converging is a result, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # A diverging learning rate overflows; the accuracy then says how bad it was.
        warnings.simplefilter("ignore", RuntimeWarning)
        for epoch in range(EPOCHS):
            _set_learning_rate(model, lr0 / (1 + decay * epoch))
            try:
                model.partial_fit(x_train, y_train, classes=classes)
            except ValueError as exc:  # NaN weights: the learning rate blew the network up
                raise RuntimeError(f"training diverged at epoch {epoch}: {exc}") from None
            accuracy = float(model.score(x_val, y_val))
            if trial is not None and trial.report(epoch, accuracy):
                break
    return accuracy


def _model(params: dict[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier

    solver = params.get("solver", "adam")
    return MLPClassifier(
        hidden_layer_sizes=(int(params.get("hidden_units", 64)),) * int(params.get("layers", 1)),
        solver=solver,
        learning_rate_init=float(params.get("learning_rate_init", 1e-3)),
        momentum=float(params.get("momentum", 0.9)),
        beta_1=float(params.get("beta_1", 0.9)),
        beta_2=float(params.get("beta_2", 0.999)),
        nesterovs_momentum=solver == "sgd",
        batch_size=int(params.get("batch_size", 64)),
        alpha=float(params.get("alpha", 1e-4)),
        random_state=0,
    )


def _set_learning_rate(model: Any, rate: float) -> None:
    """Set the step size for the next epoch (sklearn keeps it on its optimizer object)."""
    model.learning_rate_init = rate
    optimizer = getattr(model, "_optimizer", None)
    if optimizer is not None:
        optimizer.learning_rate_init = rate
        if hasattr(optimizer, "learning_rate"):
            optimizer.learning_rate = rate
