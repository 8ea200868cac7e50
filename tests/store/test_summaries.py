"""Counts and best values per search, as the page's summaries and tree show them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.core.space import SearchSpace
from app.store.claims import ask
from app.store.experiments import best_values, count_trials, create_experiment
from app.store.models import Direction, TrialState
from app.store.results import tell
from app.store.searches import SearchSettings, refine_search

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


@pytest.mark.parametrize("direction", [Direction.MINIMIZE, Direction.MAXIMIZE])
def test_best_counts_only_complete_trials_of_each_search(
    session: Session, direction: Direction
) -> None:
    _, root = create_experiment(
        session,
        name=f"best-{direction.value}",
        objective="bowl",
        direction=direction,
        space=SPACE,
        settings=SearchSettings(n_trials=5, seed=1),
    )
    child = refine_search(
        session, root.id, region={"x": [0.2, 0.4]}, settings=SearchSettings(n_trials=3)
    )
    idle = refine_search(
        session, root.id, region={"x": [0.6, 0.8]}, settings=SearchSettings(n_trials=2)
    )
    session.flush()
    # Outcomes by search; the newest search is asked first, so the idle one goes last.
    outcomes = {
        idle.id: [(TrialState.FAILED, None), (TrialState.PRUNED, -100.0)],
        child.id: [(TrialState.COMPLETE, 3.0), (TrialState.COMPLETE, 1.0), None],
        root.id: [(TrialState.COMPLETE, 2.0), (TrialState.FAILED, None), None, None, None],
    }
    for search_id in (idle.id, child.id, root.id):
        for outcome in outcomes[search_id]:
            claim = ask(session, objectives=None, worker="w")
            assert claim is not None and claim.search_id == search_id
            if outcome is not None:  # else left running
                state, value = outcome
                tell(session, claim.trial_id, state=state, value=value)
    ids = [root.id, child.id, idle.id]
    best = best_values(session, ids)
    if direction is Direction.MINIMIZE:
        assert best == {root.id: 2.0, child.id: 1.0, idle.id: None}
    else:
        assert best == {root.id: 2.0, child.id: 3.0, idle.id: None}
    assert list(best) == ids
    counts = count_trials(session, ids)
    assert counts[root.id] == {
        "waiting": 0,
        "running": 3,
        "complete": 1,
        "failed": 1,
        "pruned": 0,
    }
    assert counts[child.id]["complete"] == 2 and counts[child.id]["running"] == 1
    assert counts[idle.id]["failed"] == 1 and counts[idle.id]["pruned"] == 1
