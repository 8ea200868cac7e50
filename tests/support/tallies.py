"""The check every tallies test ends with: each search's kept tallies (app.store.tallies) equal
its trials counted afresh, a GROUP BY per state and a MIN or MAX of the complete values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from app.store.models import Direction, Experiment, Search, Trial, TrialState

Tallies = dict[int, tuple[dict[str, int], float | None]]


def counted(engine: Engine) -> Tallies:
    """Every search's trials per state and best complete value, from a scan of its trials."""
    with engine.connect() as conn:
        searches = conn.execute(
            select(Search.id, Experiment.direction).join(Experiment).order_by(Search.id)
        ).all()
        found: Tallies = {i: ({s.value: 0 for s in TrialState}, None) for i, _ in searches}
        rows = conn.execute(
            select(Trial.search_id, Trial.state, func.count()).group_by(
                Trial.search_id, Trial.state
            )
        )
        for search_id, state, n in rows:
            found[search_id][0][TrialState(state).value] = n
        for search_id, direction in searches:
            pick = func.max if direction is Direction.MAXIMIZE else func.min
            best = conn.scalar(
                select(pick(Trial.value)).where(
                    Trial.search_id == search_id, Trial.state == TrialState.COMPLETE
                )
            )
            found[search_id] = (found[search_id][0], best)
    return found


def kept(engine: Engine) -> Tallies:
    """Every search's tallies as its row keeps them."""
    columns = [getattr(Search, f"n_{s.value}") for s in TrialState]
    with engine.connect() as conn:
        rows = conn.execute(select(Search.id, Search.best_value, *columns).order_by(Search.id))
        return {
            search_id: ({s.value: n for s, n in zip(TrialState, ns, strict=True)}, best)
            for search_id, best, *ns in rows
        }


def check_tallies(engine: Engine) -> dict[str, Any]:
    """Assert that the kept tallies equal a fresh count; return the totals over all searches."""
    fresh = counted(engine)
    assert kept(engine) == fresh
    totals = {s.value: sum(c[s.value] for c, _ in fresh.values()) for s in TrialState}
    return {**totals, "searches": len(fresh)}
