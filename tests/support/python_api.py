"""What the Python API's tests share: a space, training functions that report learning curves
and remember what the pruner told them, and reads of the trials as the page reads them."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import httpx

LR_SPACE = {"lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True}}
MEDIAN = {"type": "median", "n_startup_trials": 2}


class Training:
    """A fake training run, best at lr = 3e-3: the loss falls with the epochs from a level set
    by the learning rate, reported each epoch; it stops when `trial.report` says so. Remembers
    each call's parameters, the trials it was told to stop, and the threads it ran in."""

    def __init__(self, epochs: int = 4, pause: float = 0.0) -> None:
        self.epochs, self.pause = epochs, pause
        self.calls: list[dict[str, Any]] = []
        self.stopped: list[dict[str, Any]] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, params: dict[str, Any], trial: Any) -> float:
        with self._lock:
            self.calls.append(params)
            self.threads.add(threading.current_thread().name)
        level = (math.log10(params["lr"]) - math.log10(3e-3)) ** 2
        loss = level
        for epoch in range(self.epochs):
            time.sleep(self.pause)
            loss = level + 1 / (epoch + 1)
            if trial.report(epoch, loss):
                with self._lock:
                    self.stopped.append(params)
                break
        return loss


def page_columns(server: str, experiment_id: int) -> dict[str, Any]:
    """The trials as the experiment page reads them (trialstore.js merges these columns)."""
    response = httpx.get(f"{server}/api/experiments/{experiment_id}/trials/columns?since=0")
    response.raise_for_status()
    return response.json()


def page_curves(server: str, experiment_id: int, trial_ids: list[int]) -> dict[int, list[float]]:
    """Learning curves as the page's curves view reads them."""
    query = "&".join(f"trial_id={i}" for i in trial_ids)
    response = httpx.get(f"{server}/api/experiments/{experiment_id}/curves?{query}")
    response.raise_for_status()
    return {c["trial_id"]: c["values"] for c in response.json()["curves"]}


def states_by_number(trials: list[Any]) -> dict[int, str]:
    """{number: state} of a search's trials (TrialRecord)."""
    return {t.number: t.state for t in trials}


# A script run as its own process: it starts a search on the database in argv[1], runs
# optimize on a function that writes argv[2] once a trial is running and then sleeps until
# interrupted. The test sends SIGINT and reads what the database kept.
INTERRUPTED_SCRIPT = """
import pathlib, sys, time
import hyperzoom as hz

search = hz.create_search(name="interrupted", space={"x": {"type": "float", "low": 0,
                          "high": 1}}, n_trials=3, seed=5, db=sys.argv[1])

def train(params, trial):
    trial.report(0, params["x"])
    ready = pathlib.Path(sys.argv[2] + ".tmp")
    ready.write_text(str(search.id))
    ready.rename(sys.argv[2])  # whole, at once: the test signals only once this is done
    time.sleep(30)
    return params["x"]

search.optimize(train, show_progress=False)
"""


# The five lines of issue 19 with a pruner, as a script for another interpreter (a fresh
# virtual environment): argv[1] is `db=URL` or `server=URL`; prints what the test checks.
FIVE_LINES_SCRIPT = """
import json, math, sys
import app, hyperzoom as hz

where = dict([sys.argv[1].split("=", 1)])

def train(params, trial):
    loss = 0.0
    for epoch in range(4):
        loss = (math.log10(params["lr"]) + 2.5) ** 2 + 1 / (epoch + 1)
        if trial.report(epoch, loss):
            break
    return loss

s = hz.create_search(name="lr sweep", space={"lr": {"type": "float", "low": 1e-5, "high": 1.0,
                     "log": True}}, direction="minimize", sampler="zoom", n_trials=30, seed=1,
                     pruner={"type": "median", "n_startup_trials": 2}, **where)
s.optimize(train, show_progress=False)
best = s.best
child = s.refine({"lr": [1e-3, 1e-2]}, n_trials=20); child.optimize(train, show_progress=False)
print(json.dumps({
    "experiment": s.experiment_id,
    "best": best,
    "reopened": hz.open_search(s.id, **where).best,
    "states": [t.state for t in s.trials],
    "child": [t.state for t in child.trials],
    "url": s.url,
    "files": [hz.__file__, app.__file__],
}))
"""
