"""The kept history of an experiment with several metrics carries each finished trial's metric
vector, caught up like the plain one: with trials finishing out of order, some failed and some
missing a metric, the kept log equals a full read, vectors included, and every claim is what
the sampler gives on that full read. An experiment with one unbounded metric keeps the plain log.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.metric_log import MetricLog
from app.core.metrics import Objectives
from app.core.samplers import Position, make_sampler, trial_rng
from app.core.space import SearchSpace
from app.core.trial_log import TrialLog
from app.store.claims import ask
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.histories import history_of
from app.store.models import Direction, Search, Trial, TrialState
from app.store.results import tell
from app.store.searches import SearchSettings
from app.store.statements import FINAL

pytest.importorskip("optuna")

SPACE = {
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "y": {"type": "float", "low": 0.0, "high": 0.5},
}
METRICS = [
    {"name": "accuracy", "direction": "maximize"},
    {"name": "fit_seconds", "direction": "minimize", "upper": 0.8},
]


def full_read(session: Session, search: Search) -> MetricLog:
    """The search's finished trials by number, as a log built from scratch."""
    log = MetricLog(search.search_space, "maximize", Objectives.of(METRICS))  # type: ignore[arg-type]
    rows = session.execute(
        select(Trial.number, Trial.params, Trial.value, Trial.state, Trial.metrics).where(
            Trial.search_id == search.id, Trial.state.in_(FINAL)
        )
    )
    merged = []
    for number, params, value, state, metrics in rows:
        value = value if state is TrialState.COMPLETE else None
        seconds = (metrics or {}).get("fit_seconds", math.nan)
        merged.append((number, params, value, [math.nan if value is None else value, seconds]))
    log.merge(merged)
    return log


def finish(session: Session, claim: Any, rng: np.random.Generator) -> None:
    """Complete with both metrics, or fail, or complete without the second metric."""
    x, y = claim.params["x"], claim.params["y"]
    draw = rng.random()
    if draw < 0.1:
        tell(session, claim.trial_id, ticket=claim.ticket, state=TrialState.FAILED, error="boom")
        return
    metrics = {"fit_seconds": x * x + y} if draw > 0.2 else None
    tell(
        session,
        claim.trial_id,
        ticket=claim.ticket,
        state=TrialState.COMPLETE,
        value=x,
        metrics=metrics,
    )


@pytest.mark.parametrize(
    ("sampler", "options"), [("nsga2", {"population_size": 4}), ("tpe", {"n_startup_trials": 3})]
)
def test_the_kept_metric_history_is_a_full_read_whatever_order_trials_finish_in(
    factory: sessionmaker[Session], sampler: str, options: dict
) -> None:
    with session_scope(factory) as session:
        _, search = create_experiment(
            session,
            name="two",
            objective="python",
            direction=Direction.MAXIMIZE,
            space=SearchSpace.from_dict(SPACE),
            settings=SearchSettings(n_trials=22, sampler=sampler, options=options, seed=3),
            metrics=METRICS,
        )
        search_id = search.id
    rng = np.random.default_rng(0)
    running: list[Any] = []
    while True:
        with session_scope(factory) as session:
            search = session.get(Search, search_id)
            space = search.search_space
            full = full_read(session, search)
            with history_of(
                session, search_id, search.experiment_id, space, Direction.MAXIMIZE
            ) as log:
                assert isinstance(log, MetricLog)
                assert list(log) == list(full)
                np.testing.assert_array_equal(log.vectors(), full.vectors())
                np.testing.assert_array_equal(log.y, full.y)
            claim = ask(session, objectives=None, worker="w", search_id=search_id)
            if claim is not None:
                made = make_sampler(sampler, options)
                position = Position(3, claim.number, 22)
                rng_ = trial_rng(3, claim.number)
                expected = made.suggest(
                    space, full, rng_, 1, position=position, direction="maximize"
                )
                assert [claim.params] == expected
                running.append(claim)
        if running and (claim is None or len(running) >= 3):
            done = running.pop(int(rng.integers(len(running))))
            with session_scope(factory) as session:
                finish(session, done, rng)
        elif claim is None:
            break
    assert any(np.isnan(v[1]) and not np.isnan(v[0]) for v in full.vectors())  # a missing one
    assert any(v[1] > 0.8 for v in full.vectors())  # and an infeasible one


def test_one_unbounded_metric_keeps_the_plain_log(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        _, search = create_experiment(
            session,
            name="one",
            objective="python",
            direction=Direction.MAXIMIZE,
            space=SearchSpace.from_dict(SPACE),
            settings=SearchSettings(n_trials=4, sampler="tpe", seed=3),
            metrics=METRICS[:1],
        )
        with history_of(
            session, search.id, search.experiment_id, search.search_space, Direction.MAXIMIZE
        ) as log:
            assert type(log) is TrialLog
