"""An integer metric past a float's range (found by review): tell refuses it now, and one
stored before that limit (written here straight into the row) is read as a missing metric, so
the search's asks and its front go on instead of failing with OverflowError every time."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.core.values import ValueProblem
from app.store.claims import ask
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.histories import forget
from app.store.models import Direction, Trial, TrialState
from app.store.pareto import metric_matrix
from app.store.results import tell
from app.store.searches import SearchSettings

SPACE = {"x": {"type": "float", "low": 0.0, "high": 1.0}}
METRICS = [
    {"name": "error", "direction": "minimize"},
    {"name": "cost", "direction": "minimize", "upper": 10.0},
]
HUGE = 2**1024 - 1  # 1024 bits, yet float(HUGE) overflows


def _search(factory: sessionmaker[Session], sampler: str) -> tuple[int, int]:
    with session_scope(factory) as s:
        _, search = create_experiment(
            s,
            name="huge",
            objective="python",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(SPACE),
            settings=SearchSettings(n_trials=6, sampler=sampler, seed=1),
            metrics=METRICS,
        )
        return search.experiment_id, search.id


def test_tell_refuses_an_integer_metric_no_float_holds(factory: sessionmaker[Session]) -> None:
    _, search_id = _search(factory, "random")
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="w", search_id=search_id)
        assert claim is not None
    with pytest.raises(ValueProblem) as caught, session_scope(factory) as s:
        tell(
            s,
            claim.trial_id,
            ticket=claim.ticket,
            state=TrialState.COMPLETE,
            value=0.5,
            metrics={"cost": HUGE},
        )
    assert caught.value.loc == ("metrics", "cost")
    with session_scope(factory) as s:
        assert s.get(Trial, claim.trial_id).state is TrialState.RUNNING  # nothing stored


@pytest.mark.parametrize("sampler", ["zoom", "tpe", "nsga2"])
def test_a_stored_huge_metric_reads_as_missing(
    factory: sessionmaker[Session], sampler: str
) -> None:
    if sampler != "zoom":
        pytest.importorskip("optuna")
    forget()
    experiment_id, search_id = _search(factory, sampler)
    with session_scope(factory) as s:
        first = ask(s, objectives=None, worker="w", search_id=search_id)
        assert first is not None
        tell(
            s,
            first.trial_id,
            ticket=first.ticket,
            state=TrialState.COMPLETE,
            value=0.5,
            metrics={"cost": 1},
        )
    with session_scope(factory) as s:  # as a database written before the limit holds it
        s.execute(update(Trial).where(Trial.id == first.trial_id).values(metrics={"cost": HUGE}))
    with session_scope(factory) as s:
        assert ask(s, objectives=None, worker="w", search_id=search_id) is not None
    with session_scope(factory) as s:
        ids, matrix = metric_matrix(s, experiment_id, ["error", "cost"])
    assert ids.tolist() == [first.trial_id]
    assert matrix[0, 0] == 0.5 and np.isnan(matrix[0, 1])  # the front reads it as missing
