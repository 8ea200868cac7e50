"""The history asks sample from is kept between asks and caught up by what changed (issue 16,
item 5): whatever order trials finish in, across a refinement's ancestors, and when the
database changes under the process, an ask samples what a full read of the history gives."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.region import inside
from app.core.samplers import Position, make_sampler, trial_rng
from app.core.space import SearchSpace
from app.core.trial_log import TrialLog
from app.store.claims import ask
from app.store.db import make_engine, session_scope
from app.store.experiments import create_experiment
from app.store.histories import history_of
from app.store.models import Direction, Search, Trial, TrialState
from app.store.results import tell
from app.store.searches import SearchSettings, refine_search
from app.store.statements import FINAL

SPACE = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "opt": {"type": "categorical", "choices": ["adam", "sgd"]},
    }
)
ZOOM = {"min_length": 0.1, "failure": 2, "candidates": 16}


def loss(p: dict[str, Any]) -> float:
    return float((np.log10(p["lr"]) + 3) ** 2 + (p["x"] - 0.3) ** 2 + (p["opt"] != "sgd"))


def full_read(session: Session, search: Search) -> list[tuple[dict[str, Any], float | None]]:
    """The history as a full read gives it: ancestors' trials inside the space, then the
    search's own, each by number."""
    lineage = [search.id]
    while (parent := session.get(Search, lineage[-1]).parent_id) is not None:
        lineage.append(parent)
    out = []
    for sid in reversed(lineage):
        rows = session.execute(
            select(Trial.params, Trial.value, Trial.state)
            .where(Trial.search_id == sid, Trial.state.in_(FINAL))
            .order_by(Trial.number)
        )
        for params, value, state in rows:
            if sid == search.id or inside(search.search_space, params):
                out.append((params, value if state is TrialState.COMPLETE else None))
    return out


def kept(session: Session, search: Search) -> list[tuple[dict[str, Any], float | None]]:
    with history_of(
        session, search.id, search.experiment_id, search.search_space, Direction.MINIMIZE
    ) as log:
        return list(log)


def run_search(factory: sessionmaker[Session], search_id: int, workers: int, seed: int) -> None:
    """Ask with `workers` trials in flight, finishing them in random order (one failing now
    and then); before each ask, the kept history must equal a full read, and each claim must
    be what the sampler gives on that full read."""
    rng = np.random.default_rng(seed)
    running: list[Any] = []
    while True:
        with session_scope(factory) as session:
            search = session.get(Search, search_id)
            history = full_read(session, search)
            assert kept(session, search) == history
            claim = ask(session, objectives=None, worker="w", search_id=search_id)
            if claim is not None:
                sampler = make_sampler(search.sampler, search.sampler_options)
                position = Position(search.seed, claim.number, search.n_trials)
                rng_ = trial_rng(search.seed, claim.number)
                log = TrialLog.of(search.search_space, history, "minimize")
                assert [claim.params] == sampler.suggest(
                    search.search_space, log, rng_, 1, position=position
                )
                running.append(claim)
        if running and (claim is None or len(running) >= workers):
            done = running.pop(int(rng.integers(len(running))))
            with session_scope(factory) as session:
                failed = rng.random() < 0.1
                tell(
                    session,
                    done.trial_id,
                    ticket=done.ticket,
                    state=TrialState.FAILED if failed else TrialState.COMPLETE,
                    value=None if failed else loss(done.params),
                    error="boom" if failed else None,
                )
        elif claim is None:
            return


def new_search(session: Session, n_trials: int) -> int:
    _, search = create_experiment(
        session,
        name="kept",
        objective="python",
        direction=Direction.MINIMIZE,
        space=SPACE,
        settings=SearchSettings(n_trials=n_trials, sampler="zoom", options=ZOOM, seed=4),
    )
    return search.id


def test_asks_sample_the_full_history_whatever_order_trials_finish_in(
    factory: sessionmaker[Session],
) -> None:
    with session_scope(factory) as session:
        parent = new_search(session, 60)
    run_search(factory, parent, workers=5, seed=1)
    with session_scope(factory) as session:
        child = refine_search(
            session,
            parent,
            region={"lr": [1e-4, 1e-2], "x": [0.1, 0.6]},
            settings=SearchSettings(n_trials=70, sampler="zoom", options=ZOOM, seed=5),
        ).id
    run_search(factory, child, workers=7, seed=2)


def test_a_finish_the_mark_cannot_see_is_caught_by_the_counts(
    factory: sessionmaker[Session],
) -> None:
    with session_scope(factory) as session:
        search_id = new_search(session, 40)
    run_search(factory, search_id, workers=3, seed=3)
    with session_scope(factory) as session:
        search = session.get(Search, search_id)
        before = kept(session, search)
        # A finish written below the mark (as a change committed out of seq order would
        # leave it), and counted: the count no longer matches what the log read.
        session.execute(
            update(Trial)
            .where(Trial.search_id == search_id, Trial.number == 0)
            .values(state=TrialState.RUNNING, value=None, seq=0)
        )
        session.execute(
            update(Search).where(Search.id == search_id).values(n_finished=Search.n_finished - 1)
        )
        after = full_read(session, search)
        assert len(after) == len(before) - 1
        assert kept(session, search) == after
        # And a finished trial added below the mark.
        session.execute(
            update(Trial)
            .where(Trial.search_id == search_id, Trial.number == 0)
            .values(number=999, state=TrialState.COMPLETE, value=-5.0, seq=0)
        )
        session.execute(
            update(Search).where(Search.id == search_id).values(n_finished=Search.n_finished + 1)
        )
        after = full_read(session, search)
        assert after[-1][1] == -5.0
        assert kept(session, search) == after


def test_a_database_replaced_under_the_process_is_read_afresh(
    sqlite_db_url: str, migrated_template: Path
) -> None:
    path = Path(sqlite_db_url.removeprefix("sqlite:///"))
    for attempt, n_trials in enumerate((30, 12)):
        if attempt:
            shutil.copy(migrated_template, path)  # same URL, same ids, other trials
        engine = make_engine(sqlite_db_url)
        factory = sessionmaker(engine)
        with session_scope(factory) as session:
            search_id = new_search(session, n_trials)
        run_search(factory, search_id, workers=2, seed=attempt)
        engine.dispose()


def test_an_interrupted_catch_up_loses_nothing(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or any error) in the middle of catching up, after the mark and the counts moved
    but before the rows were merged, must not leave the log short of those rows for good."""
    with session_scope(factory) as session:
        search_id = new_search(session, 30)
    run_search(factory, search_id, workers=3, seed=6)
    with session_scope(factory) as session:
        search = session.get(Search, search_id)
        session.execute(  # a change to catch up with: the last trial failed after all
            update(Trial)
            .where(Trial.search_id == search_id, Trial.number == 29)
            .values(state=TrialState.FAILED, value=None, seq=Trial.seq + 1000)
        )
        merge = TrialLog.merge

        def interrupted(self: TrialLog, *args: Any, **kwargs: Any) -> int:
            raise KeyboardInterrupt

        monkeypatch.setattr(TrialLog, "merge", interrupted)
        with pytest.raises(KeyboardInterrupt):
            kept(session, search)
        monkeypatch.setattr(TrialLog, "merge", merge)
        assert kept(session, search) == full_read(session, search)


def test_an_equal_space_parsed_again_keeps_the_log_and_its_replay(
    factory: sessionmaker[Session],
) -> None:
    """The parsed-space cache may drop a space and parse it again: an equal space, another
    object. The kept log (and zoom's checkpoints in it) must carry on, not start over."""
    with session_scope(factory) as session:
        search_id = new_search(session, 40)
    run_search(factory, search_id, workers=2, seed=7)
    with session_scope(factory) as session:
        search = session.get(Search, search_id)
        again = SearchSpace.from_dict(search.space)
        assert again == search.search_space and again is not search.search_space
        with history_of(
            session, search_id, search.experiment_id, search.search_space, Direction.MINIMIZE
        ) as first:
            pass
        with history_of(
            session, search_id, search.experiment_id, again, Direction.MINIMIZE
        ) as second:
            assert second is first and second.space is again
