"""ask / tell on a real SQLite file: budgets hold, nothing runs twice, seeds reproduce."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.core.values import ValueProblem
from app.store.claims import ask
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.errors import Conflict, NotFound
from app.store.experiments import count_trials, create_experiment
from app.store.models import Direction, SearchStatus, Trial, TrialState
from app.store.results import tell
from app.store.searches import SearchSettings, get_search, refine_search
from app.store.trial_reads import list_trials

SPACE = SearchSpace.from_dict(
    {
        "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
    }
)


def _experiment(session: Session, n_trials: int = 5, seed: int = 3, objective: str = "bowl"):
    return create_experiment(
        session,
        name="e",
        objective=objective,
        direction=Direction.MINIMIZE,
        space=SPACE,
        settings=SearchSettings(n_trials=n_trials, seed=seed),
    )


def test_ask_claims_numbers_in_order_until_the_budget_is_spent(session: Session) -> None:
    _, search = _experiment(session, n_trials=3)
    claims = [ask(session, objectives=None, worker="w") for _ in range(4)]
    assert [c.number for c in claims[:3]] == [0, 1, 2]
    assert claims[3] is None
    assert get_search(session, search.id).status is SearchStatus.RUNNING
    for claim in claims[:3]:
        SPACE.validate_params(claim.params)


def test_tell_records_results_and_finishes_the_search(session: Session) -> None:
    _, search = _experiment(session, n_trials=2)
    first = ask(session, objectives=None, worker="w")
    second = ask(session, objectives=None, worker="w")
    tell(session, first.trial_id, state=TrialState.COMPLETE, value=0.5)
    assert get_search(session, search.id).status is SearchStatus.RUNNING
    tell(session, second.trial_id, state=TrialState.FAILED, error="boom")
    assert get_search(session, search.id).status is SearchStatus.DONE
    assert count_trials(session, [search.id])[search.id] == {
        "waiting": 0,
        "running": 0,
        "complete": 1,
        "failed": 1,
        "pruned": 0,
    }


def test_a_result_is_never_counted_twice(session: Session) -> None:
    _experiment(session)
    claim = ask(session, objectives=None, worker="w")
    tell(session, claim.trial_id, state=TrialState.COMPLETE, value=1.0)
    with pytest.raises(Conflict):
        tell(session, claim.trial_id, state=TrialState.COMPLETE, value=2.0)
    with pytest.raises(NotFound):
        tell(session, 999, state=TrialState.COMPLETE, value=2.0)
    assert session.get(Trial, claim.trial_id).value == 1.0


@pytest.mark.parametrize("value", [None, float("nan"), float("inf")])
def test_a_complete_trial_needs_a_finite_value(session: Session, value: float | None) -> None:
    _experiment(session)
    claim = ask(session, objectives=None, worker="w")
    with pytest.raises(ValueError, match="finite"):
        tell(session, claim.trial_id, state=TrialState.COMPLETE, value=value)


_DEEP: list = []
for _ in range(300):
    _DEEP = [_DEEP]


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"metrics": {"m": _DEEP}}, ("metrics", "m", *[0] * 31)),
        ({"metrics": {"m": "data-\udcff.csv"}}, ("metrics", "m")),
        ({"metrics": {"m": "x" * 1_000_001}}, ("metrics",)),
        ({"error": "cannot open \udcff.csv"}, ("error",)),
        ({"error": "a\x00b"}, ("error",)),
        ({"error": "x" * 100_001}, ("error",)),
    ],
)
def test_a_result_no_read_could_send_back_is_refused_and_changes_nothing(
    session: Session, fields: dict, loc: tuple
) -> None:
    """Issue 14, item 12: a database worker stored metrics nested 300 deep or holding a lone
    surrogate, and every read of the experiment failed; the same limits as over HTTP now."""
    _experiment(session)
    claim = ask(session, objectives=None, worker="w")
    with pytest.raises(ValueProblem) as caught:
        tell(session, claim.trial_id, state=TrialState.FAILED, **fields)
    assert caught.value.loc == loc
    trial = session.get(Trial, claim.trial_id)
    assert trial.state is TrialState.RUNNING and trial.metrics is None and trial.error is None


def test_ask_only_serves_the_workers_objectives(session: Session) -> None:
    _experiment(session, objective="mlp-digits")
    assert ask(session, objectives=["bowl"], worker="w") is None
    assert ask(session, objectives=["mlp-digits"], worker="w") is not None


def test_newest_search_goes_first(session: Session) -> None:
    _, root = _experiment(session, n_trials=10)
    child = refine_search(
        session, root.id, region={"x": [0.2, 0.4]}, settings=SearchSettings(n_trials=2)
    )
    claims = [ask(session, objectives=None, worker="w") for _ in range(3)]
    assert [c.search_id for c in claims] == [child.id, child.id, root.id]
    assert all(0.2 <= c.params["x"] <= 0.4 for c in claims[:2])


def test_seeded_searches_reproduce_whoever_claims_the_trials(session: Session) -> None:
    _experiment(session, seed=11)
    _experiment(session, seed=11)
    claims = [ask(session, objectives=None, worker="w") for _ in range(10)]
    by_search: dict[int, dict[int, dict]] = {}
    for c in claims:
        by_search.setdefault(c.search_id, {})[c.number] = c.params
    first, second = by_search.values()
    assert first == second


def test_since_cursor_returns_exactly_what_changed(session: Session) -> None:
    experiment, _ = _experiment(session)
    a = ask(session, objectives=None, worker="w")
    b = ask(session, objectives=None, worker="w")
    everything = list_trials(session, experiment_id=experiment.id)
    cursor = max(t.seq for t in everything)
    assert list_trials(session, experiment_id=experiment.id, since=cursor) == []
    tell(session, a.trial_id, state=TrialState.COMPLETE, value=0.1)
    changed = list_trials(session, experiment_id=experiment.id, since=cursor)
    assert [t.id for t in changed] == [a.trial_id]
    assert changed[0].state is TrialState.COMPLETE
    assert b.trial_id not in [t.id for t in changed]


def _work(url: str, results: mp.Queue) -> None:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    numbers = []
    while True:
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="p")
        if claim is None:
            break
        with session_scope(factory) as s:
            tell(s, claim.trial_id, state=TrialState.COMPLETE, value=float(claim.number))
        numbers.append(claim.number)
    engine.dispose()
    results.put(numbers)


def _work_all(db_url: str, processes: int = 4) -> list[int]:
    """Run `processes` workers until nothing is left; the trial numbers they claimed."""
    results: mp.Queue = mp.get_context("spawn").Queue()
    workers = [
        mp.get_context("spawn").Process(target=_work, args=(db_url, results))
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    claimed = [n for _ in workers for n in results.get(timeout=120)]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    return claimed


@pytest.mark.slow  # real processes racing for trials
def test_concurrent_processes_never_duplicate_or_overshoot(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_scope(factory) as s:
        _, search = _experiment(s, n_trials=60)
        search_id = search.id
    assert sorted(_work_all(db_url)) == list(range(60))
    with session_scope(factory) as s:
        numbers = s.scalars(select(Trial.number).where(Trial.search_id == search_id)).all()
        assert sorted(numbers) == list(range(60))
        assert get_search(s, search_id).status is SearchStatus.DONE


@pytest.mark.slow  # real processes racing for trials
def test_concurrent_processes_move_on_to_the_next_search_when_one_runs_out(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    # Small budgets, newest first: workers keep losing a search's last trial to each other and
    # must choose again (on PostgreSQL the losing UPDATE reserves nothing), never stopping
    # while another search has budget.
    with session_scope(factory) as s:
        _, root = _experiment(s, n_trials=20)
        children = [
            refine_search(
                s,
                root.id,
                region={"x": [0.1 * i, 0.1 * i + 0.1]},
                settings=SearchSettings(n_trials=3),
            )
            for i in range(6)
        ]
        s.flush()
        budgets = {root.id: 20, **{c.id: 3 for c in children}}
    assert len(_work_all(db_url)) == sum(budgets.values())
    with session_scope(factory) as s:
        for search_id, budget in budgets.items():
            numbers = s.scalars(select(Trial.number).where(Trial.search_id == search_id)).all()
            assert sorted(numbers) == list(range(budget))
            assert get_search(s, search_id).status is SearchStatus.DONE
