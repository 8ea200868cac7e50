"""The kept columns (app/store/column_cache.py) under two costs found by review: a quiet poll
of an experiment over the budget, and a read whose snapshot is older than the table because
another request of the process caught it up first. Neither may read every trial again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api.columns_binary import pack_selection
from app.core.cache import BoundedCache
from app.core.space import SearchSpace
from app.store import column_cache
from app.store.claims import ask
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction, Search, TrialState
from app.store.results import tell
from app.store.searches import Reaping, SearchSettings

# Twelve float parameters: a trial weighs far more than the 80 bytes guessed before a first read.
SPACE = SearchSpace.from_dict(
    {f"p{i}": {"type": "float", "low": 0.0, "high": 1.0} for i in range(12)}
)


@pytest.fixture(autouse=True)
def _forgotten() -> Iterator[None]:
    column_cache.forget()
    yield
    column_cache.forget()


def _experiment(factory: sessionmaker[Session], n_trials: int = 200) -> int:
    with session_scope(factory) as s:
        experiment, _ = create_experiment(
            s,
            name="review",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SPACE,
            policy=Reaping(),
            settings=SearchSettings(n_trials=n_trials, seed=3),
        )
        return experiment.id


def _complete(factory: sessionmaker[Session], n: int) -> None:
    for i in range(n):
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="w")
            assert claim is not None
            tell(s, claim.trial_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=i / n)


def _read(factory: sessionmaker[Session], experiment_id: int, since: int) -> int:
    """The binary answer's cursor, as the server reads it (kept columns)."""
    with session_scope(factory) as s:
        with column_cache.columns_since(s, experiment_id, since) as kept:
            assert kept is not None
            pack_selection(kept)
            return kept.cursor


@pytest.fixture
def merged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Trials merged into kept tables, per call of Table.merge."""
    counts: list[int] = []
    original = column_cache.Table.merge

    def spy(self: column_cache.Table, batch: list[Any], fresh: bool = False) -> None:
        counts.append(len(batch))
        original(self, batch, fresh)

    monkeypatch.setattr(column_cache.Table, "merge", spy)
    return counts


def test_a_quiet_poll_of_an_experiment_over_the_budget_reads_no_trial_again(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, merged: list[int]
) -> None:
    """An experiment whose guess (80 bytes a trial) fits the budget but whose table does not
    was read whole, weighed, dropped, and read whole again at every poll. Now it is answered
    once, then known not to be kept: its polls go batch by batch since their cursor."""
    experiment_id = _experiment(factory)
    n = 60
    _complete(factory, n)
    _read(factory, experiment_id, 0)
    weight = column_cache.kept_bytes()
    assert weight > 2 * n * column_cache.ROW_GUESS  # twelve params: heavier than the guess
    budget = weight // 2  # the guess fits (n * 80 < budget), the table does not
    assert n * column_cache.ROW_GUESS < budget
    column_cache.forget()
    monkeypatch.setattr(column_cache, "BUDGET", budget)
    monkeypatch.setattr(column_cache, "_KEPT", BoundedCache(budget, column_cache._Kept.nbytes))

    _read(factory, experiment_id, 0)  # the page's first read: answered, then not kept
    assert column_cache.kept_table(factory.kw["bind"].url, experiment_id) is None
    merged.clear()
    for _ in range(3):  # three quiet polls: the batch path, since the cursor
        with session_scope(factory) as s:
            with column_cache.columns_since(s, experiment_id, 0) as kept:
                assert kept is None
    assert sum(merged) == 0, f"quiet polls merged {merged} trials (all {n}, every poll)"


def test_a_read_that_lost_the_race_to_the_lock_does_not_read_everything_again(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, merged: list[int]
) -> None:
    """A request whose facts were read just before another request of the same process caught
    the table up past them sees `facts.seq < mark` under the lock. That is checked again in a
    snapshot of its own (a database put back to an earlier state still reads everything
    again), not taken for a replaced database: 9 s at a million, with the lock held."""
    experiment_id = _experiment(factory)
    _complete(factory, 30)
    cursor = _read(factory, experiment_id, 0)
    real_facts = column_cache._facts
    state = {"raced": False}

    def facts_then_race(session: Session, eid: int) -> Any:
        found = real_facts(session, eid)
        if not state["raced"]:
            state["raced"] = True
            # Between this request's facts and its lock: a trial is written and another
            # request (another page's poll) catches the kept table up past those facts.
            _complete(factory, 1)
            _read(factory, experiment_id, cursor)
        return found

    monkeypatch.setattr(column_cache, "_facts", facts_then_race)
    merged.clear()
    with session_scope(factory) as s:
        with column_cache.columns_since(s, experiment_id, cursor) as kept:
            assert kept is not None
            assert kept.n == 1  # the one new trial, as it should
    # The racing read merged the 1 new trial; the raced one should have merged nothing more.
    assert sum(merged) == 1, f"merged per call: {merged} (31 = every trial read again)"


def _root(factory: sessionmaker[Session], experiment_id: int) -> int:
    with session_scope(factory) as s:
        return s.scalars(select(Search.id).where(Search.experiment_id == experiment_id)).one()
