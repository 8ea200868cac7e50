"""The kept columns (app/store/column_cache.py) answer what a fresh read answers: after every
kind of trial write, since any cursor, across a deleted experiment whose id comes back, with a
second process writing and reading, and within their memory budget; on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.api.columns_binary import pack, pack_selection
from app.core.cache import BoundedCache
from app.core.space import SearchSpace
from app.store import column_cache
from app.store.claims import Claim, ask, enqueue
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.experiments import create_experiment, delete_experiment
from app.store.exporting import export_experiment
from app.store.importing import import_experiment
from app.store.models import Direction, Search, Trial, TrialState
from app.store.notes import set_trial_note
from app.store.reaper import reap_all
from app.store.recovery import release
from app.store.results import tell
from app.store.searches import Reaping, SearchSettings, refine_search
from app.store.trial_reads import cursor_floor, trial_column_batches
from tests.support.columns import MEDIA_TYPE, decode
from tests.support.heartbeats import silent_for

SPACE = SearchSpace.from_dict(
    {
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "units": {"type": "int", "low": 8, "high": 256, "log": True},
        "kind": {"type": "categorical", "choices": ["a", "b"]},
        "momentum": {"type": "float", "low": 0.0, "high": 1.0, "condition": {"kind": ["a"]}},
    }
)


@pytest.fixture(autouse=True)
def _forgotten() -> Iterator[None]:
    column_cache.forget()
    yield
    column_cache.forget()


def _experiment(factory: sessionmaker[Session], n_trials: int = 40, name: str = "kept") -> int:
    with session_scope(factory) as s:
        experiment, _ = create_experiment(
            s,
            name=name,
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SPACE,
            policy=Reaping(heartbeat_timeout=1, max_retries=1),
            settings=SearchSettings(n_trials=n_trials, seed=5),
        )
        return experiment.id


def _root(factory: sessionmaker[Session], experiment_id: int) -> int:
    with session_scope(factory) as s:
        found = select(Search.id).where(Search.experiment_id == experiment_id)
        return s.scalars(found.order_by(Search.id)).first() or 0


def _ask(factory: sessionmaker[Session], search_id: int | None = None) -> Claim:
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="w", search_id=search_id)
    assert claim is not None
    return claim


def _tell(
    factory: sessionmaker[Session],
    claim: Claim,
    state: TrialState,
    value: float | None = None,
    metrics: dict[str, Any] | None = None,
) -> None:
    with session_scope(factory) as s:
        tell(s, claim.trial_id, ticket=claim.ticket, state=state, value=value, metrics=metrics)


def _answers(
    factory: sessionmaker[Session], experiment_id: int, since: int
) -> tuple[bytes, bytes]:
    """The answer from the kept columns, and from a fresh read of the database."""
    with session_scope(factory) as s:
        with column_cache.columns_since(s, experiment_id, since) as kept:
            assert kept is not None, "the experiment is kept"
            cached = pack_selection(kept).join()
        floor = cursor_floor(s, experiment_id, since)  # as the server: before the trials
        fresh = pack(trial_column_batches(s, experiment_id, since), floor).join()
    return cached, fresh


def check(factory: sessionmaker[Session], experiment_id: int, *cursors: int) -> int:
    """The kept answer is the fresh one, byte for byte (one batch), since 0 and each cursor;
    returns the cursor of the whole read."""
    whole = 0
    for since in (0, *cursors):
        cached, fresh = _answers(factory, experiment_id, since)
        assert decode(cached) == decode(fresh), since
        assert cached == fresh, since
        whole = whole or decode(cached)["cursor"]
    table = _table(factory, experiment_id)
    if table is not None:  # the states counted as rows are written, as a count of them finds
        assert table.counts() == table.recount()
    return whole


def _table(factory: sessionmaker[Session], experiment_id: int) -> column_cache.Table | None:
    return column_cache.kept_table(factory.kw["bind"].url, experiment_id)


def test_the_kept_columns_follow_every_trial_write(
    factory: sessionmaker[Session], db_url: str
) -> None:
    experiment_id = _experiment(factory)
    check(factory, experiment_id)  # no trials
    running = [_ask(factory) for _ in range(3)]  # new running trials
    first_cursor = check(factory, experiment_id)
    table = _table(factory, experiment_id)
    _tell(factory, running[0], TrialState.COMPLETE, 0.5, {"acc": 0.9, "tag": "best"})
    check(factory, experiment_id, first_cursor)
    _tell(factory, running[1], TrialState.FAILED, metrics={"acc": 0.1, "reason": [1, {"a": 2}]})
    _tell(factory, running[2], TrialState.PRUNED, 3.0, {"big": 2**60, "flag": True})
    middle = check(factory, experiment_id, first_cursor)
    for i in range(6):
        _tell(factory, _ask(factory), TrialState.COMPLETE, 0.1 * i, {"acc": i, "n": 10**10})
    check(factory, experiment_id, first_cursor, middle)
    assert _table(factory, experiment_id) is table, "caught up, not read again"
    root = _root(factory, experiment_id)
    with session_scope(factory) as s:
        enqueue(s, root, {"x": 0.25, "units": 9, "kind": "b"})  # a waiting trial
    check(factory, experiment_id, middle)
    waiting = _ask(factory)
    with session_scope(factory) as s:
        assert release(s, waiting.trial_id, waiting.ticket)  # given back: waiting again
    check(factory, experiment_id, middle)
    again = _ask(factory)
    silent_for(factory, again.trial_id)
    assert reap_all(factory) == [again.trial_id]  # lost: retried (requeued)
    check(factory, experiment_id, middle)
    with session_scope(factory) as s:
        set_trial_note(s, running[0].trial_id, "looks \u2713 good")
    noted = check(factory, experiment_id, middle)
    with session_scope(factory) as s:
        set_trial_note(s, running[0].trial_id, None)
    check(factory, experiment_id, middle, noted)
    with session_scope(factory) as s:
        child = refine_search(
            s, root, region={"x": [0.0, 0.5]}, settings=SearchSettings(n_trials=3, seed=2)
        ).id
    _tell(factory, _ask(factory, child), TrialState.COMPLETE, 0.05, {"acc": "n/a"})
    check(factory, experiment_id, middle, noted)
    with session_scope(factory) as s:
        copy = import_experiment(s, export_experiment(s, experiment_id)).id
    check(factory, copy)
    check(factory, experiment_id, middle, noted)
    assert _table(factory, experiment_id) is table, "never read again from scratch"


def test_a_change_around_the_cursor_is_found_and_read_again(
    factory: sessionmaker[Session], db_url: str
) -> None:
    """A write that took no seq (by hand, or a bug) moves the states the tallies count: the
    counts no longer match the kept rows and everything is read again."""
    experiment_id = _experiment(factory)
    for value in (0.3, 0.2):
        _tell(factory, _ask(factory), TrialState.COMPLETE, value)
    running = _ask(factory)
    check(factory, experiment_id)
    table = _table(factory, experiment_id)
    with session_scope(factory) as s:
        s.execute(update(Trial).where(Trial.id == running.trial_id).values(state="failed"))
        s.execute(
            update(Search)
            .where(Search.id == running.search_id)
            .values(n_running=Search.n_running - 1, n_failed=Search.n_failed + 1)
        )
    check(factory, experiment_id)
    assert _table(factory, experiment_id) is not table


def test_a_deleted_experiment_whose_id_comes_back_is_not_served(
    sqlite_db_url: str, migrated_template: Any
) -> None:
    factory = make_sessionmaker(make_engine(sqlite_db_url))
    first = _experiment(factory, name="first")
    for value in (0.1, 0.2, 0.3):
        _tell(factory, _ask(factory), TrialState.COMPLETE, value, {"acc": value})
    check(factory, first)
    with session_scope(factory) as s:
        delete_experiment(s, first, confirm="first")
    second = _experiment(factory, name="second")
    assert second == first  # SQLite hands the id out again
    _tell(factory, _ask(factory), TrialState.FAILED)
    check(factory, second)
    assert len(decode(_answers(factory, second, 0)[0])["id"]) == 1


def test_two_processes_writing_and_reading_agree(
    factory: sessionmaker[Session], db_url: str, live_server: str
) -> None:
    """This process writes (through a second engine too) and reads its kept columns; a real
    server reads its own; both are the fresh answer after every write."""
    experiment_id = _experiment(factory)
    second = make_engine(db_url)
    other = make_sessionmaker(second)
    url = f"{live_server}/api/experiments/{experiment_id}/trials/columns"

    def agree(*cursors: int) -> int:
        whole = check(factory, experiment_id, *cursors)
        for since in (0, *cursors):
            served = httpx.get(url, params={"since": since}, headers={"Accept": MEDIA_TYPE})
            assert served.content == _answers(other, experiment_id, since)[1], since
        return whole

    try:
        cursor = agree()
        for i in range(4):
            writer = (factory, other)[i % 2]
            claim = _ask(writer)
            cursor = agree(cursor)
            _tell(writer, claim, TrialState.COMPLETE, float(i), {"acc": i / 4})
            agree(cursor)
            with session_scope(writer) as s:
                set_trial_note(s, claim.trial_id, f"note {i}")
            agree(cursor)
    finally:
        second.dispose()


def test_the_kept_columns_stay_within_their_budget(
    factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiments = [_experiment(factory, name=f"e{i}") for i in range(3)]
    for experiment_id in experiments:
        root = _root(factory, experiment_id)
        for value in (0.1, 0.2, 0.3):
            _tell(factory, _ask(factory, root), TrialState.COMPLETE, value, {"label": f"{value}"})
    check(factory, experiments[0])
    one = column_cache.kept_bytes()  # what one of them weighs (they are alike)
    budget = 2 * one + one // 2
    kept: BoundedCache[Any] = BoundedCache(budget, column_cache._Kept.nbytes)
    monkeypatch.setattr(column_cache, "_KEPT", kept)
    for experiment_id in experiments:
        check(factory, experiment_id)
        assert kept.total <= budget
    for experiment_id in experiments:
        table = _table(factory, experiment_id)
        if table is not None:
            arrays = sum(a.nbytes for a in table.arrays.values())
            assert table.nbytes() >= arrays + table.capacity * 4  # four parameters' kinds
    assert len(kept) == 2 and _table(factory, experiments[0]) is None, "the oldest dropped"
    # An experiment heavier than the whole budget is answered, and not kept.
    heavy = _experiment(factory, n_trials=60, name="heavy")
    for _ in range(40):
        _tell(factory, _ask(factory), TrialState.COMPLETE, 0.5, {"label": "x" * 50})
    with session_scope(factory) as s:
        with column_cache.columns_since(s, heavy, 0) as selection:
            if selection is not None:
                cached = pack_selection(selection).join()
                assert cached == pack(trial_column_batches(s, heavy, 0)).join()
    assert _table(factory, heavy) is None and kept.total <= budget


def test_an_experiment_of_more_metric_names_than_columns_is_not_kept(
    factory: sessionmaker[Session],
) -> None:
    experiment_id = _experiment(factory)
    claim = _ask(factory)
    _tell(factory, claim, TrialState.COMPLETE, 1.0, {f"m{k}": k for k in range(101)})
    with session_scope(factory) as s, column_cache.columns_since(s, experiment_id, 0) as kept:
        assert kept is None  # read batch by batch, as before (tests/api/test_columns_binary.py)


def test_a_table_in_change_order_answers_since_any_cursor_as_a_sort_would() -> None:
    """Rows in change order (trials finish out of order, ids not sorted): the rows since a
    cursor and the row of an id come from sorts kept between catch-ups plus what was merged
    since (O(changes)), re-sorted past a size; always what sorting everything finds."""
    rng = np.random.default_rng(7)
    table = column_cache.Table()
    seq = 0
    current: dict[int, int] = {}  # id -> its last seq

    def batch(ids: list[int]) -> list[tuple[Any, ...]]:
        nonlocal seq
        rows = []
        for trial_id in ids:
            seq += 1
            current[trial_id] = seq
            rows.append((trial_id, 1, trial_id, "complete", 0.5, seq, '{"x": 1}', None, 1.0, None))
        return rows

    first = [int(i) for i in rng.permutation(3000) + 1]
    table.merge(batch(first), fresh=True)
    for step in range(60):
        known = list(current)
        size = int(rng.integers(1, 300))
        changed = [int(i) for i in rng.choice(known, size=size, replace=False)]
        new = [max(current) + 1 + i for i in range(int(rng.integers(0, 40)))]
        mixed = [int(i) for i in rng.permutation(changed + new)]
        table.merge(batch(mixed))
        if step % 7 == 0:
            rows = table._rows_of(np.array([*known[:50], 10**9], np.int64))
            assert table.arrays["id"][rows[:-1]].tolist() == known[:50] and rows[-1] == -1
        for since in (0, seq - 1, seq - int(rng.integers(1, 2000)), seq):
            start, rows = table.rows_since(since)
            picked = np.arange(start, table.size) if rows is None else rows
            got = [(int(table.arrays["seq"][r]), int(table.arrays["id"][r])) for r in picked]
            wanted = sorted((s, i) for i, s in current.items() if s > since)
            assert got == wanted, (step, since)
    assert table.counts() == table.recount()
