"""A parent search and a child whose gain is known by hand, put in through the API (experiment,
refine, hand-picked configurations) and the store's worker protocol (ask, tell), for the
lineage's API, CLI and page tests."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import tell
from tests.support.bodies import body

FAILED = math.nan
LR = 1e-3
# The root's trials as (x, value) in ask order: its best overall (0.2 at x = 0.1) lies outside
# the child's region x in [0.2, 0.5]; its best inside is 0.8 (x = 0.45). One failed trial.
ROOT = [(0.1, 0.2), (0.3, 1.0), (0.45, 0.8), (0.9, 0.5), (0.4, FAILED)]
REGION = {"x": [0.2, 0.5]}
# The child first beats 0.8 at its third trial (0.7) and ends at 0.6: a gain of 0.2.
CHILD = [(0.3, 1.5), (0.25, 0.9), (0.4, 0.7), (0.35, FAILED), (0.3, 0.6)]
PARENT_BEST_IN_REGION, CHILD_BEST, GAIN, TRIALS_TO_BEAT = 0.8, 0.6, 0.2, 3


@dataclass(frozen=True)
class Lineage:
    """The experiment made by `make_lineage`, its root and its child."""

    experiment_id: int
    root_id: int
    child_id: int


def record(
    client: httpx.Client, factory: sessionmaker[Session], search_id: int, x: float, value: float
) -> int:
    """Run one hand-picked configuration of a search: enqueue it through the API, claim it and
    tell its value (NaN: it failed) as a worker would."""
    enqueued = client.post(f"/api/searches/{search_id}/trials", json={"learning_rate": LR, "x": x})
    assert enqueued.status_code == 201, enqueued.text
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="t", search_id=search_id)
        assert claim is not None and claim.trial_id == enqueued.json()["id"]
        if math.isnan(value):
            tell(s, claim.trial_id, state=TrialState.FAILED, error="boom")
        else:
            tell(s, claim.trial_id, state=TrialState.COMPLETE, value=value)
    return claim.trial_id


def make_lineage(
    client: httpx.Client, factory: sessionmaker[Session], **overrides: Any
) -> Lineage:
    """An experiment on bowl (minimize): ROOT's trials, then a child over REGION with CHILD's."""
    search = {"n_trials": len(ROOT), "seed": 3}
    created = client.post("/api/experiments", json=body(search=search, **overrides))
    assert created.status_code == 201, created.text
    root_id = created.json()["root_search_id"]
    for x, value in ROOT:
        record(client, factory, root_id, x, value)
    refined = client.post(
        f"/api/searches/{root_id}/refine", json={"region": REGION, "n_trials": len(CHILD)}
    )
    assert refined.status_code == 201, refined.text
    child_id = refined.json()["id"]
    for x, value in CHILD:
        record(client, factory, child_id, x, value)
    return Lineage(created.json()["id"], root_id, child_id)
