"""One reaping policy per search, judged on the database's clock (issue 14, item 14)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.store import recovery
from app.store.claims import Claim, ask
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction, Trial, TrialState
from app.store.reaper import reap_all
from app.store.searches import Reaping, SearchSettings, refine_search
from tests.support.heartbeats import silent_for

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


def _claim(factory: sessionmaker[Session], policy: Reaping, name: str) -> Claim:
    with session_scope(factory) as s:
        create_experiment(
            s,
            name=name,
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SPACE,
            policy=policy,
            settings=SearchSettings(n_trials=1),
        )
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker=name)
    assert claim is not None
    return claim


def _state(factory: sessionmaker[Session], trial_id: int) -> tuple[TrialState, int]:
    with session_scope(factory) as s:
        trial = s.get_one(Trial, trial_id)
        return trial.state, trial.lost


def test_each_search_is_reaped_by_its_own_policy(factory: sessionmaker[Session]) -> None:
    strict = _claim(factory, Reaping(heartbeat_timeout=1, max_retries=0), "strict")
    patient = _claim(factory, Reaping(heartbeat_timeout=60, max_retries=2), "patient")
    assert (strict.heartbeat_timeout, patient.heartbeat_timeout) == (1, 60)
    for claim in (strict, patient):
        silent_for(factory, claim.trial_id, 5)
    assert reap_all(factory) == [strict.trial_id]
    assert _state(factory, strict.trial_id) == (TrialState.FAILED, 1)  # no retries left
    assert _state(factory, patient.trial_id) == (TrialState.RUNNING, 0)  # 5 s of its 60
    silent_for(factory, patient.trial_id, 61)
    assert reap_all(factory) == [patient.trial_id]
    assert _state(factory, patient.trial_id) == (TrialState.WAITING, 1)  # retried


def test_a_reaper_whose_clock_runs_fast_takes_no_healthy_trial(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server and every worker reap; one whose clock runs 120 s fast used to requeue a
    healthy trial. Heartbeats are stamped and judged on the database's clock."""
    claim = _claim(factory, Reaping(heartbeat_timeout=60), "healthy")
    ahead = datetime.now().astimezone() + timedelta(seconds=120)
    monkeypatch.setattr(recovery, "utcnow", lambda: ahead)
    assert reap_all(factory) == []
    assert _state(factory, claim.trial_id) == (TrialState.RUNNING, 0)


def test_a_refined_search_keeps_its_parents_policy_unless_given_one(
    factory: sessionmaker[Session],
) -> None:
    with session_scope(factory) as s:
        _, root = create_experiment(
            s,
            name="tree",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SPACE,
            policy=Reaping(heartbeat_timeout=7, max_retries=5),
            settings=SearchSettings(n_trials=1),
        )
        child = refine_search(
            s, root.id, region={"x": [0.1, 0.2]}, settings=SearchSettings(n_trials=1)
        )
        other = refine_search(
            s,
            root.id,
            region={"x": [0.1, 0.2]},
            max_retries=0,
            settings=SearchSettings(n_trials=1),
        )
        assert (child.heartbeat_timeout, child.max_retries) == (7, 5)
        assert (other.heartbeat_timeout, other.max_retries) == (7, 0)
