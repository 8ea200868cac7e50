"""Search tallies (trials per state, best complete value) kept exact by every trial write:
after each step of every path that inserts a trial or changes its state, they equal a fresh
GROUP BY count and MIN or MAX of the trials (tests/support/tallies.py), on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.store.claims import Claim, ask, enqueue
from app.store.db import session_scope
from app.store.errors import Conflict
from app.store.experiments import count_trials, create_experiment, progress
from app.store.exporting import export_experiment, export_text
from app.store.importing import import_experiment, import_stream
from app.store.models import Direction, Search, TrialState
from app.store.reaper import reap_all
from app.store.recovery import release
from app.store.results import tell
from app.store.searches import Reaping, SearchSettings, refine_search, stop_search
from tests.support.heartbeats import silent_for
from tests.support.tallies import check_tallies, kept

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


def _experiment(factory: sessionmaker[Session], direction: Direction, n_trials: int) -> int:
    with session_scope(factory) as s:
        _, root = create_experiment(
            s,
            name=f"tallies-{direction.value}",
            objective="bowl",
            direction=direction,
            space=SPACE,
            policy=Reaping(heartbeat_timeout=1, max_retries=1),
            settings=SearchSettings(n_trials=n_trials, seed=3),
        )
        return root.id


def _ask(factory: sessionmaker[Session], search_id: int | None = None) -> Claim:
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="w", search_id=search_id)
    assert claim is not None
    return claim


def _tell(factory: sessionmaker[Session], claim: Claim, state: TrialState, value: float | None):
    with session_scope(factory) as s:
        tell(s, claim.trial_id, ticket=claim.ticket, state=state, value=value)


@pytest.mark.parametrize("direction", [Direction.MINIMIZE, Direction.MAXIMIZE])
def test_every_trial_write_keeps_the_tallies_exact(
    factory: sessionmaker[Session], engine: Engine, direction: Direction
) -> None:
    root = _experiment(factory, direction, n_trials=12)
    check_tallies(engine)
    first = _ask(factory)  # a new running trial
    check_tallies(engine)
    _tell(factory, first, TrialState.COMPLETE, 0.5)
    check_tallies(engine)
    for value in (0.7, 0.2, 0.2, 0.9):  # worse and better in either direction, and a tie
        _tell(factory, _ask(factory), TrialState.COMPLETE, value)
        check_tallies(engine)
    _tell(factory, _ask(factory), TrialState.PRUNED, -5.0)  # a pruned value is never the best
    _tell(factory, _ask(factory), TrialState.FAILED, None)
    check_tallies(engine)
    with session_scope(factory) as s:
        enqueue(s, root, {"x": 0.25})  # a waiting trial
    check_tallies(engine)
    waiting = _ask(factory)  # waiting trials go first: waiting -> running
    check_tallies(engine)
    with session_scope(factory) as s:
        assert release(s, waiting.trial_id, waiting.ticket)  # running -> waiting
    check_tallies(engine)
    again = _ask(factory)
    assert again.trial_id == waiting.trial_id
    silent_for(factory, again.trial_id)
    assert reap_all(factory) == [again.trial_id]  # lost: retried, running -> waiting
    check_tallies(engine)
    lost = _ask(factory)
    silent_for(factory, lost.trial_id)
    assert reap_all(factory) == [lost.trial_id]  # lost again, no retry left: failed
    check_tallies(engine)
    with session_scope(factory) as s:
        stop_search(s, root)  # no trial changes state; a running one still finishes
    with session_scope(factory) as s:
        assert ask(s, objectives=None, worker="w") is None
    fresh = check_tallies(engine)
    assert fresh["complete"] == 5 and fresh["failed"] == 2 and fresh["pruned"] == 1
    best = kept(engine)[root][1]
    assert best == (0.9 if direction is Direction.MAXIMIZE else 0.2)


def test_a_refused_or_rolled_back_write_leaves_the_tallies_alone(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    _experiment(factory, Direction.MINIMIZE, n_trials=3)
    claim = _ask(factory)
    _tell(factory, claim, TrialState.COMPLETE, 1.0)
    with pytest.raises(Conflict), session_scope(factory) as s:
        tell(s, claim.trial_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=0.0)
    other = _ask(factory)
    with pytest.raises(RuntimeError), session_scope(factory) as s:
        tell(s, other.trial_id, ticket=other.ticket, state=TrialState.COMPLETE, value=0.1)
        raise RuntimeError("the caller fails after the tell: its transaction rolls back")
    fresh = check_tallies(engine)
    assert (fresh["complete"], fresh["running"]) == (1, 1)
    assert [best for _, best in kept(engine).values()] == [1.0]


def test_an_import_brings_its_tallies_and_running_trials_come_back_waiting(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    root = _experiment(factory, Direction.MAXIMIZE, n_trials=8)
    with session_scope(factory) as s:
        refine_search(s, root, region={"x": [0.0, 0.5]}, settings=SearchSettings(n_trials=3))
    for state, value in [
        (TrialState.COMPLETE, 0.4),
        (TrialState.PRUNED, 9.0),
        (TrialState.COMPLETE, 0.3),
        (TrialState.FAILED, None),
        (TrialState.COMPLETE, 0.8),
    ]:
        _tell(factory, _ask(factory), state, value)
    _ask(factory)  # left running
    with session_scope(factory) as s:
        experiment_id = s.scalar(select(Search.experiment_id).where(Search.id == root))
        document = export_experiment(s, experiment_id)
        text = "".join(export_text(s, experiment_id)).encode()
    with session_scope(factory) as s:
        copy = import_experiment(s, document)
        copies = [c.id for c in copy.searches]
    with session_scope(factory) as s:  # streamed, two trials a batch
        streamed = [c.id for c in import_stream(s, [text[:100], text[100:]], batch=2).searches]
    fresh = check_tallies(engine)
    assert fresh["searches"] == 6 and fresh["running"] == 1 and fresh["waiting"] == 2
    tallies = kept(engine)
    originals = sorted(i for i in tallies if i not in copies + streamed)
    for imported in (copies, streamed):
        for original, search_id in zip(originals, imported, strict=True):
            counts, best = tallies[original]
            running = counts["running"]
            moved = {**counts, "running": 0, "waiting": counts["waiting"] + running}
            assert tallies[search_id] == (moved, best)


def test_reads_answer_from_the_tallies(factory: sessionmaker[Session]) -> None:
    """count_trials and progress read what the rows keep: a bulk write that goes around the
    store (as no code of the app does) shows as a stale count, not a scan's fresh one."""
    root = _experiment(factory, Direction.MINIMIZE, n_trials=4)
    _tell(factory, _ask(factory), TrialState.COMPLETE, 2.0)
    with session_scope(factory) as s:
        s.execute(update(Search).where(Search.id == root).values(n_complete=7, best_value=-1.0))
    with session_scope(factory) as s:
        search = s.get_one(Search, root)
        assert count_trials(s, [root])[root]["complete"] == 7
        counts, best = progress(s, [search])
        assert counts[root]["complete"] == 7 and best == {root: -1.0}
