"""The columns' cursor is the experiment's change number as of the read (issue 18): every change
the experiment read or its tree shows moves it, trial or not, so a page whose cursor did not move
skips those reads; and a read never passes over a trial committed while it runs, on SQLite and on
PostgreSQL (each statement its own snapshot under READ COMMITTED)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.api.columns_binary import pack, pack_selection
from app.core.space import SearchSpace
from app.store import column_cache
from app.store.claims import ask
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.experiments import add_root_search, create_experiment, rename_experiment
from app.store.models import Direction, Experiment, Search, TrialState
from app.store.notes import set_experiment_note, set_search_note, set_trial_note
from app.store.results import tell
from app.store.searches import SearchSettings, refine_search, resume_search, stop_search
from app.store.trial_reads import cursor_floor, trial_column_batches, trial_columns
from tests.support.columns import decode

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


@pytest.fixture(autouse=True)
def _forgotten() -> Iterator[None]:
    column_cache.forget()
    yield
    column_cache.forget()


def _experiment(factory: sessionmaker[Session], n_trials: int = 50) -> tuple[int, int]:
    with session_scope(factory) as s:
        experiment, root = create_experiment(
            s,
            name="polled",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SPACE,
            settings=SearchSettings(n_trials=n_trials, seed=3),
        )
        return experiment.id, root.id


def _finish_one(factory: sessionmaker[Session]) -> int | None:
    """Ask a trial and tell it complete: its id (None: no open search had one)."""
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="w")
        if claim is None:
            return None
        tell(s, claim.trial_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=0.5)
        return claim.trial_id


def _seq(factory: sessionmaker[Session], experiment_id: int) -> int:
    with session_scope(factory) as s:
        return s.scalars(select(Experiment.seq).where(Experiment.id == experiment_id)).one()


def _reads(
    factory: sessionmaker[Session], experiment_id: int, since: int
) -> dict[str, tuple[tuple[int, ...], int]]:
    """The JSON read's, the kept columns' and the batch read's (ids, cursor) since `since`."""
    with session_scope(factory) as s:
        columns = trial_columns(s, experiment_id, since)
        with column_cache.columns_since(s, experiment_id, since) as kept:
            assert kept is not None
            cached = decode(pack_selection(kept).join())
        floor = cursor_floor(s, experiment_id, since)
        batches = decode(pack(trial_column_batches(s, experiment_id, since), floor).join())
    return {
        "json": (tuple(columns.id), columns.cursor),
        "kept": (tuple(cached["id"]), cached["cursor"]),
        "batches": (tuple(batches["id"]), batches["cursor"]),
    }


def _writes(root: int, experiment_id: int) -> list[tuple[str, Callable[[Session], Any]]]:
    """Every change to what the experiment read or the tree shows that writes no trial."""
    region = {"x": [0.0, 0.5]}
    return [
        ("refine", lambda s: refine_search(s, root, region=region, settings=SearchSettings(4))),
        ("root search", lambda s: add_root_search(s, experiment_id, settings=SearchSettings(4))),
        ("stop", lambda s: stop_search(s, root)),
        ("resume", lambda s: resume_search(s, root)),
        ("experiment note", lambda s: set_experiment_note(s, experiment_id, "why")),
        ("search note", lambda s: set_search_note(s, root, "this box")),
        ("search note cleared", lambda s: set_search_note(s, root, None)),
        ("rename", lambda s: rename_experiment(s, experiment_id, "renamed")),
    ]


def test_every_change_the_page_shows_moves_the_cursor(
    factory: sessionmaker[Session], db_url: str
) -> None:
    experiment_id, root = _experiment(factory)
    trial = _finish_one(factory)
    assert trial is not None
    first = _reads(factory, experiment_id, 0)
    assert set(first.values()) == {((trial,), _seq(factory, experiment_id))}
    cursor = first["json"][1]
    assert set(_reads(factory, experiment_id, cursor).values()) == {((), cursor)}, "nothing new"
    for name, write in _writes(root, experiment_id):
        with session_scope(factory) as s:
            write(s)
        after = _reads(factory, experiment_id, cursor)
        moved = _seq(factory, experiment_id)
        assert moved > cursor, name
        assert set(after.values()) == {((), moved)}, name  # no trial: something else changed
        cursor = moved
        assert set(_reads(factory, experiment_id, cursor).values()) == {((), cursor)}, name
    # A trial's note and a trial write move it as before, and bring the trial.
    with session_scope(factory) as s:
        set_trial_note(s, trial, "a note")
    assert set(_reads(factory, experiment_id, cursor).values()) == {
        ((trial,), _seq(factory, experiment_id))
    }
    # Read from scratch, the cursor is the experiment's seq, not its last trial's.
    assert set(_reads(factory, experiment_id, 0).values()) == {
        ((trial,), _seq(factory, experiment_id))
    }


def test_a_cursor_past_the_experiments_seq_is_kept(
    factory: sessionmaker[Session], db_url: str
) -> None:
    experiment_id, _ = _experiment(factory)
    _finish_one(factory)
    ahead = _seq(factory, experiment_id) + 10
    assert set(_reads(factory, experiment_id, ahead).values()) == {((), ahead)}


@pytest.mark.parametrize("path", ["json", "kept"])
@pytest.mark.parametrize("after", [0, 1, 2, 3])
def test_a_trial_committed_during_a_read_is_never_skipped(
    factory: sessionmaker[Session], db_url: str, path: str, after: int
) -> None:
    """A writer holds a new trial (and a note on another, and a new search) uncommitted while a
    reader reads the columns since its cursor, and commits right after the reader's statement
    number `after` (0: before the first). Whatever the moment, the answer and the next one since
    its cursor hold the new trial, and a third read brings nothing new."""
    experiment_id, root = _experiment(factory)
    older = _finish_one(factory)
    cursor = _reads(factory, experiment_id, 0)["json"][1]
    reader_engine = make_engine(db_url)
    reader = make_sessionmaker(reader_engine)
    writer = factory()
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="w")
        assert claim is not None
        ask_id = claim.trial_id
    # The open write: a trial told, a note on another, a new search (trial, search, experiment).
    tell(writer, ask_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=0.25)
    set_trial_note(writer, older, "seen later")
    refine_search(writer, root, region={"x": [0.0, 0.5]}, settings=SearchSettings(4))
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1
        if statements == after:
            writer.commit()

    def read(since: int) -> tuple[list[int], int]:
        with session_scope(reader) as s:
            if path == "json":
                columns = trial_columns(s, experiment_id, since)
                return columns.id, columns.cursor
            with column_cache.columns_since(s, experiment_id, since) as kept:
                assert kept is not None
                ids = kept.column("id").tolist()
                return ids, kept.cursor

    try:
        read(0)  # the kept columns caught up before the write
        if after == 0:
            writer.commit()
        event.listen(reader_engine, "after_cursor_execute", count)
        first, first_cursor = read(cursor)
        event.remove(reader_engine, "after_cursor_execute", count)
        if after > statements:
            writer.commit()  # the read had fewer statements: commit after it
        second, second_cursor = read(first_cursor)
        assert {ask_id, older} <= set(first) | set(second), (first, second)
        assert second_cursor == _seq(factory, experiment_id)
        assert read(second_cursor) == ([], second_cursor)
    finally:
        writer.close()
        reader_engine.dispose()


def test_changes_and_trial_writes_at_once_do_not_deadlock(
    factory: sessionmaker[Session], db_url: str
) -> None:
    """Workers ask and tell while a person stops, resumes, notes and refines the same search:
    rows are locked trial, search, experiment by both, so PostgreSQL finds no deadlock (it
    would abort one of them after deadlock_timeout) and every change is counted."""
    experiment_id, root = _experiment(factory, n_trials=10_000)
    errors: list[BaseException] = []
    rounds = 25

    def worker() -> None:
        try:
            for _ in range(rounds * 2):
                _finish_one(factory)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def person() -> None:
        try:
            for i in range(rounds):
                with session_scope(factory) as s:
                    stop_search(s, root)
                    set_search_note(s, root, f"note {i}")
                with session_scope(factory) as s:
                    resume_search(s, root)
                    set_experiment_note(s, experiment_id, f"experiment {i}")
                if i % 5 == 0:
                    with session_scope(factory) as s:
                        refine_search(
                            s, root, region={"x": [0.0, 0.5]}, settings=SearchSettings(2)
                        )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker), threading.Thread(target=person)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    with session_scope(factory) as s:
        told = select(func.sum(Search.n_complete)).where(Search.experiment_id == experiment_id)
        trials_told = s.scalar(told)
    assert trials_told is not None and trials_told >= 1
    # Each trial took two numbers (ask, tell), each of the person's writes one.
    changes = 2 * trials_told + rounds * 4 + (rounds + 4) // 5
    assert _seq(factory, experiment_id) == changes
