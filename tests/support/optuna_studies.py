"""Optuna studies written by the real optuna package into SQLite files, for the import tests."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
from sqlalchemy import Engine, event

SPACE_NAMES = ["lr", "units", "layers", "batch", "optimizer", "dropout"]
STEPS = 5


@contextmanager
def writing() -> Iterator[None]:
    """While a study is written: Optuna's log quiet (it logs every trial, failures with a
    traceback; the tests read the storage instead), and SQLite without fsync (Optuna commits
    every report: 13 s for 50 trials on this disk, 4 s without; the file holds the same)."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    event.listen(Engine, "connect", _unsynced)
    try:
        yield
    finally:
        event.remove(Engine, "connect", _unsynced)
        optuna.logging.set_verbosity(before)


def _unsynced(connection: Any, _record: Any) -> None:
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA synchronous = OFF")


def storage_url(path: Path) -> str:
    return f"sqlite:///{path}"


def training(trial: optuna.Trial) -> float:
    """A made-up training run: a log float, a log int, an int, a stepped int, a categorical
    and a stepped float; a loss reported per epoch (pruned by the study's pruner), and every
    tenth trial failing at its third epoch, so failed trials have curves too."""
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    units = trial.suggest_int("units", 16, 256, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    batch = trial.suggest_int("batch", 16, 128, step=16)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
    base = (math.log10(lr) + 3) ** 2 + 0.1 * layers + 10 / units + batch / 1000 + dropout
    base += {"adam": 0.0, "sgd": 0.3, "rmsprop": 0.1}[optimizer]
    loss = base
    for step in range(STEPS):
        loss = base * (1 + 1 / (step + 1))
        trial.report(loss, step)
        if step == 2 and trial.number % 10 == 7:
            raise ValueError("diverged")
        if trial.should_prune():
            raise optuna.TrialPruned()
    trial.set_user_attr("train_seconds", 1.5 + layers)
    trial.set_user_attr("device", "cpu")
    return loss


def write_study(path: Path, name: str = "mlp", n_trials: int = 50, seed: int = 3) -> str:
    """A study of `training` (random sampler, median pruner) in `path`; the storage's URL."""
    url = storage_url(path)
    with writing():
        study = optuna.create_study(
            study_name=name,
            storage=url,
            sampler=optuna.samplers.RandomSampler(seed=seed),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
        )
        study.optimize(training, n_trials=n_trials, catch=(ValueError,))
    return url


def write_with(
    path: Path,
    objective: Callable[[optuna.Trial], float | tuple[float, ...]],
    name: str,
    n_trials: int,
    directions: list[str] | None = None,
) -> optuna.Study:
    """Another study in `path`, of `objective`, with a seeded random sampler."""
    with writing():
        study = optuna.create_study(
            study_name=name,
            storage=storage_url(path),
            sampler=optuna.samplers.RandomSampler(seed=1),
            directions=directions,
        )
        study.optimize(objective, n_trials=n_trials, catch=(ValueError,))
    return study


def two_objectives(trial: optuna.Trial) -> tuple[float, float]:
    """Error and speed of a made-up model: a trade-off."""
    size = trial.suggest_float("size", 1.0, 100.0, log=True)
    return 1 / size, -size


def branching(trial: optuna.Trial) -> float:
    """Define-by-run branches: each model has its own parameters, the layers theirs, and a
    None choice; a trial with model "boom" fails before it suggests its own parameters."""
    model = trial.suggest_categorical("model", ["svc", "forest", "boom"])
    if model == "boom":
        raise ValueError("no such model")
    if model == "svc":
        c = trial.suggest_float("svc_c", 1e-3, 1e3, log=True)
        return abs(math.log10(c))
    n_layers = trial.suggest_int("n_layers", 1, 3)
    total = 0.0
    for i in range(n_layers):
        total += trial.suggest_int(f"depth_{i}", 2, 32, log=True)
    weight = trial.suggest_categorical("class_weight", [None, "balanced"])
    return total / 10 + (0.5 if weight is None else 0.0)
