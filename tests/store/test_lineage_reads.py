"""What the lineage reads, on SQLite and PostgreSQL: finished trials in ask order, and a parent's
best inside a child's space as the SQL-narrowed walk down its best trials finds it, against a
brute-force look at every trial (conditional, integer and oddly named parameters included)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.core.lineage import at_creation, first_inside
from app.core.region import inside
from app.core.space import SearchSpace
from app.store.claims import ask
from app.store.experiments import create_experiment
from app.store.lineage import relation, search_runs
from app.store.models import Direction, Search, TrialState
from app.store.results import tell
from app.store.searches import SearchSettings, finished_trial_rows, refine_search

SPACE = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "n units": {"type": "int", "low": 1, "high": 64},  # a name no JSON path holds as is
        "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
        "momentum": {"type": "float", "low": 0.0, "high": 1.0, "condition": {"solver": ["sgd"]}},
    }
)
REGIONS: list[dict[str, Any]] = [
    {"lr": [1e-3, 1e-1]},
    {"n units": [10, 20], "solver": ["sgd"]},
    {"momentum": [0.9, 1.0]},  # sgd trials only, adam ones lack it
    {"lr": [1e-5, 2e-5], "n units": [60, 64]},  # a corner that may hold nothing
]


def value_of(params: dict[str, Any]) -> float:
    return (math.log10(params["lr"]) + 3) ** 2 + params["n units"] / 64 + params.get("momentum", 0)


def run_trials(session: Session, search: Search, n: int, fail_every: int = 0) -> None:
    """Claim and finish `n` trials of the search as a worker would."""
    for i in range(n):
        claim = ask(session, objectives=None, worker="w", search_id=search.id)
        assert claim is not None
        if fail_every and i % fail_every == fail_every - 1:
            tell(session, claim.trial_id, state=TrialState.FAILED, error="boom")
        else:
            tell(session, claim.trial_id, state=TrialState.COMPLETE, value=value_of(claim.params))


@pytest.mark.parametrize("direction", [Direction.MINIMIZE, Direction.MAXIMIZE])
def test_a_parents_best_inside_each_childs_space_is_the_brute_force_one(
    session: Session, direction: Direction
) -> None:
    experiment, root = create_experiment(
        session,
        name="lineage",
        objective="own",
        direction=direction,
        space=SPACE,
        settings=SearchSettings(n_trials=150, seed=7),
    )
    run_trials(session, root, 150, fail_every=10)
    children = [
        refine_search(session, root.id, region=r, settings=SearchSettings(n_trials=3, seed=1))
        for r in REGIONS
    ]
    session.flush()
    rows = finished_trial_rows(session, [root.id])
    runs = {r.id: r for r in search_runs(session, [root, *children])}
    pick = max if direction is Direction.MAXIMIZE else min
    for child in children:
        space = child.search_space
        values = [v for _, _, p, v in rows if v is not None and inside(space, p)]
        expected = pick(values) if values else None
        assert first_inside(space, runs[root.id].ranked(space)) == expected, child.region
        # Every trial the root had finished was there when the child was made.
        assert at_creation(runs[root.id], runs[child.id]) == 150
        assert relation(session, root, child) == "ancestor"
    assert relation(session, children[0], children[1]) == "unrelated"
    assert experiment.id == root.experiment_id


def test_finished_trials_come_in_ask_order_with_nan_for_failed_and_running_ones_left_out(
    session: Session,
) -> None:
    _, root = create_experiment(
        session,
        name="order",
        objective="own",
        direction=Direction.MINIMIZE,
        space=SPACE,
        settings=SearchSettings(n_trials=6, seed=2),
    )
    claims = [ask(session, objectives=None, worker="w", search_id=root.id) for _ in range(5)]
    assert all(c is not None for c in claims)
    # Finished out of order: 3, 0, 1 (failed), 4 pruned; 2 still running.
    tell(session, claims[3].trial_id, state=TrialState.COMPLETE, value=3.0)  # type: ignore[union-attr]
    tell(session, claims[0].trial_id, state=TrialState.COMPLETE, value=0.5)  # type: ignore[union-attr]
    tell(session, claims[1].trial_id, state=TrialState.FAILED, error="x")  # type: ignore[union-attr]
    tell(session, claims[4].trial_id, state=TrialState.PRUNED, value=9.0)  # type: ignore[union-attr]
    child = refine_search(
        session, root.id, region={"lr": [1e-3, 1e-1]}, settings=SearchSettings(2)
    )
    session.flush()
    found, made = search_runs(session, [root, child])
    assert found.numbers.tolist() == [0, 1, 3, 4]
    assert [None if math.isnan(v) else v for v in found.values] == [0.5, None, 3.0, None]
    assert found.finished.size == 4 and made.numbers.size == 0
    assert at_creation(found, made) == 4
