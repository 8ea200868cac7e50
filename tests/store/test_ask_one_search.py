"""ask with `search_id`: only that search's trials, waiting ones first, whatever else is open
(the Python API's `optimize` runs one search; workers of other objectives never see it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core.space import SearchSpace
from app.store.claims import ask, enqueue
from app.store.experiments import create_experiment
from app.store.models import Direction
from app.store.recovery import release
from app.store.searches import SearchSettings, refine_search

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


def _search(session: Session, objective: str, n_trials: int = 3) -> int:
    _, search = create_experiment(
        session,
        name=objective,
        objective=objective,
        direction=Direction.MINIMIZE,
        space=SPACE,
        settings=SearchSettings(n_trials=n_trials, seed=1),
    )
    return search.id


def test_ask_for_one_search_takes_only_its_trials(session: Session) -> None:
    mine = _search(session, "python", n_trials=2)
    newer = _search(session, "python", n_trials=5)  # newer: an unfiltered ask takes it first
    taken = [ask(session, objectives=["python"], worker="w", search_id=mine) for _ in range(3)]
    assert [(c.search_id, c.number) for c in taken[:2]] == [(mine, 0), (mine, 1)]
    assert taken[2] is None  # its budget is spent; the newer search is not handed out
    assert ask(session, objectives=["python"], worker="w").search_id == newer


def test_a_search_filter_still_honours_the_objectives(session: Session) -> None:
    search = _search(session, "python")
    assert ask(session, objectives=["bowl"], worker="w", search_id=search) is None
    assert ask(session, objectives=None, worker="w", search_id=search).search_id == search


def test_waiting_trials_of_other_searches_are_left_alone(session: Session) -> None:
    other = _search(session, "python")
    mine = _search(session, "python")
    enqueue(session, other, {"x": 0.5})  # a waiting trial, which asks take before sampling
    claim = ask(session, objectives=["python"], worker="w", search_id=mine)
    assert claim.search_id == mine
    release(session, claim.trial_id, claim.ticket)
    again = ask(session, objectives=["python"], worker="w", search_id=mine)
    assert (again.trial_id, again.attempt) == (claim.trial_id, 1)  # the released one first


def test_a_refinement_is_a_search_of_its_own(session: Session) -> None:
    parent = _search(session, "python", n_trials=1)
    child = refine_search(session, parent, region={"x": [0.0, 0.5]}, settings=SearchSettings(2))
    assert ask(session, objectives=None, worker="w", search_id=parent).search_id == parent
    assert ask(session, objectives=None, worker="w", search_id=parent) is None
    assert ask(session, objectives=None, worker="w", search_id=child.id).search_id == child.id
