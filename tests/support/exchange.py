"""An experiment with something of every kind to export, and a document compared without ids."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from app.core.space import SearchSpace
from app.store.claims import ask, enqueue
from app.store.experiments import create_experiment
from app.store.models import Direction, TrialState
from app.store.notes import set_trial_note
from app.store.results import report, tell
from app.store.searches import Reaping, SearchSettings, refine_search

SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}

# Notes with markup and quotes in them, as people write them.
EXPERIMENT_NOTE = 'Is <b>adam</b> better? "yes", & see </script>'
CHILD_NOTE = "why this box: x < 0.6 holds the best"
TRIAL_NOTE = "<img src=x onerror=alert(1)>\nsecond line"


def populate(session: Session) -> int:
    """An experiment with a refined child and trials in every state, and notes on the
    experiment, the child search and two trials (one complete, one running); its id."""
    experiment, root = create_experiment(
        session,
        name="sweep",
        objective="bowl",
        direction=Direction.MINIMIZE,
        space=SearchSpace.from_dict(SPACE),
        policy=Reaping(heartbeat_timeout=5, max_retries=1),
        settings=SearchSettings(
            pruner={"type": "median", "n_startup_trials": 1}, n_trials=4, seed=7
        ),
        note=EXPERIMENT_NOTE,
    )
    claims = [ask(session, objectives=None, worker="w1") for _ in range(4)]
    report(session, claims[0].trial_id, claims[0].ticket, 0, 0.9)
    report(session, claims[0].trial_id, claims[0].ticket, 1, 0.5)
    tell(session, claims[0].trial_id, state=TrialState.COMPLETE, value=0.25, metrics={"acc": 0.9})
    tell(session, claims[1].trial_id, state=TrialState.FAILED, error="boom\nTraceback ...")
    report(session, claims[2].trial_id, claims[2].ticket, 0, 2.0)
    tell(session, claims[2].trial_id, state=TrialState.PRUNED, value=2.0)
    report(session, claims[3].trial_id, claims[3].ticket, 0, 1.5)  # left running
    set_trial_note(session, claims[0].trial_id, TRIAL_NOTE)
    set_trial_note(session, claims[3].trial_id, "still running")
    sobol = SearchSettings(n_trials=3, sampler="sobol", seed=1)
    child = refine_search(
        session, root.id, region={"x": [0.2, 0.6]}, max_retries=0, settings=sobol, note=CHILD_NOTE
    )
    grandchild = refine_search(
        session, child.id, region={"x": [0.3, 0.4]}, settings=SearchSettings(n_trials=2, seed=2)
    )
    enqueue(session, child.id, {"learning_rate": 0.01, "x": 0.5, "solver": "adam"})
    claim = ask(session, objectives=None, worker="w2")  # takes the enqueued trial
    tell(session, claim.trial_id, state=TrialState.COMPLETE, value=1.0, metrics={"acc": 0.5})
    enqueue(session, grandchild.id, {"learning_rate": 0.1, "x": 0.35, "solver": "sgd"})
    return experiment.id


def without_ids(document: dict[str, Any]) -> dict[str, Any]:
    """The document with search ids replaced by positions and without the experiment's date."""
    doc = copy.deepcopy(document)
    position = {s["id"]: i for i, s in enumerate(doc["searches"])}
    for s in doc["searches"]:
        s["id"] = position[s["id"]]
        s["parent_id"] = position.get(s["parent_id"])
    for t in doc["trials"]:
        t["search_id"] = position[t["search_id"]]
    del doc["experiment"]["created_at"]
    return doc
