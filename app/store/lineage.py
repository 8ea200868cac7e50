"""What the lineage reads (app/core/lineage.py computes): each search's finished trials as
arrays, its complete trials best first (streamed, so a baseline stops reading at the first trial
inside a child's box), how many of a parent's trials had finished when a child was made, and how
two searches are related.

Only plain columns are read for every trial (search, number, state, value): parameters are read
for the trials a baseline looks at, which is a handful when the child's box holds the parent's
best trials, as it usually does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from app.core.lineage import Relation, SearchRun
from app.store.models import Direction, Search, Trial, TrialState
from app.store.searches import ancestor_ids
from app.store.statements import FINAL

# Rows per fetch while a baseline reads a parent's trials best first: most reads stop within
# the first few.
_RANKED_BATCH = 64


def search_runs(session: Session, searches: Sequence[Search]) -> list[SearchRun]:
    """The searches (of one experiment) as the core's SearchRuns, in the order given."""
    if not searches:
        return []
    direction = searches[0].experiment.direction
    ids = [s.id for s in searches]
    columns = _finished(session, ids)
    at_creation = _parent_trials_at_creation(session, ids)
    return [
        SearchRun(
            id=s.id,
            parent_id=s.parent_id,
            space=s.search_space,
            numbers=columns[s.id][0],
            values=columns[s.id][1],
            ranked=_ranked(session, s.id, direction),
            at_creation=at_creation.get(s.id, 0),
        )
        for s in searches
    ]


def _finished(session: Session, ids: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """search id -> (numbers, values) of its finished trials in ask order, NaN unless complete."""
    rows = session.connection().execute(
        select(Trial.search_id, Trial.number, type_coerce(Trial.state, String()), Trial.value)
        .where(Trial.search_id.in_(ids), Trial.state.in_(FINAL))
        .order_by(Trial.search_id, Trial.number)
    )
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {
        i: (np.zeros(0, dtype=np.int64), np.zeros(0)) for i in ids
    }
    table = rows.all()
    if not table:
        return found
    search_ids, numbers, states, values = zip(*table, strict=True)
    of = np.asarray(search_ids, dtype=np.int64)
    complete = np.asarray(states, dtype=object) == TrialState.COMPLETE.value
    value = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    value[~complete] = np.nan
    number = np.asarray(numbers, dtype=np.int64)
    cuts = np.flatnonzero(np.diff(of)) + 1
    for part in np.split(np.arange(of.size), cuts):
        found[int(of[part[0]])] = (number[part], value[part])
    return found


def _ranked(session: Session, search_id: int, direction: Direction) -> Any:
    """A factory of the search's complete trials as (value, params), best first, streamed (the
    (search_id, state, value) index gives the order; ties by id, which SQLite's index holds)."""
    order = Trial.value.desc() if direction is Direction.MAXIMIZE else Trial.value.asc()
    query = (
        select(Trial.value, Trial.params)
        .where(
            Trial.search_id == search_id,
            Trial.state == TrialState.COMPLETE,
            Trial.value.is_not(None),
        )
        .order_by(order, Trial.id)
        .execution_options(yield_per=_RANKED_BATCH)
    )

    def ranked() -> Iterator[tuple[float, dict[str, Any]]]:
        result = session.execute(query)
        try:
            for value, params in result:
                yield float(value), params
        finally:
            result.close()

    return ranked


def _parent_trials_at_creation(session: Session, ids: list[int]) -> dict[int, int]:
    """child id -> its parent's trials that had finished when the child was made (by the
    trials' finished_at and the child's created_at: a search imported elsewhere keeps both)."""
    child = aliased(Search)
    rows = session.execute(
        select(child.id, func.count(Trial.id))
        .join(
            Trial,
            and_(
                Trial.search_id == child.parent_id,
                Trial.state.in_(FINAL),
                Trial.finished_at <= child.created_at,
            ),
        )
        .where(child.id.in_(ids), child.parent_id.is_not(None))
        .group_by(child.id)
    )
    return {search_id: n for search_id, n in rows}


def relation(session: Session, a: Search, b: Search) -> Relation:
    """How `a` stands to `b` in the search tree."""
    if a.id == b.id:
        return "same"
    if a.id in ancestor_ids(session, b):
        return "ancestor"
    if b.id in ancestor_ids(session, a):
        return "descendant"
    return "unrelated"
