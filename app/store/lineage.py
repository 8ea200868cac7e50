"""What the lineage reads (app/core/lineage.py computes): each search's finished trials as
arrays (number, value, when it finished), its complete trials best first (streamed, so a
baseline stops reading at the first trial inside a child's box), and how two searches are
related.

Only plain columns are read for every trial: parameters are read for the trials a baseline
looks at, which is a handful when the child's box holds the parent's best trials, as it
usually does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Float, case, cast, func, or_, select
from sqlalchemy.orm import Session

from app.core.lineage import Ranked, Relation, SearchRun
from app.core.space import FloatParam, IntParam, SearchSpace
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
    clock = _clock(session.get_bind().dialect.name)
    columns = _finished(session, ids, clock)
    made = select(Search.id, clock(Search.created_at)).where(Search.id.in_(ids))
    created = {search_id: at for search_id, at in session.execute(made)}
    return [
        SearchRun(
            id=s.id,
            parent_id=s.parent_id,
            space=s.search_space,
            numbers=columns[s.id][0],
            values=columns[s.id][1],
            ranked=_ranked(session, s, direction),
            finished=columns[s.id][2],
            created=float(created[s.id]),
        )
        for s in searches
    ]


Clock = Callable[[Any], ColumnElement[float]]


def _clock(dialect: str) -> Clock:
    """A timestamp as a number, worked out by the database (parsing 100,000 datetimes in
    Python costs more than the rest of the read): days on SQLite, seconds on PostgreSQL."""
    if dialect == "sqlite":
        return lambda column: func.julianday(column)
    return lambda column: cast(func.extract("epoch", column), Float)


def _finished(
    session: Session, ids: list[int], clock: Clock
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """search id -> (numbers, values, finished) of its finished trials in ask order, a value
    NaN unless complete. Every trial of the searches is read and the unfinished dropped here:
    with the state in the WHERE clause SQLite picks the (search, state, value) index and reads
    the rows out of order, three times slower. Every column is a number (or NULL), so the
    driver's own tuples go into one array: building a Row per trial and splitting the rows into
    columns took longer than the query (100,000 trials: 0.3 s of 0.6 s)."""
    result = session.connection().execute(
        select(
            Trial.search_id,
            Trial.number,
            case((Trial.state == TrialState.COMPLETE, Trial.value)),
            case((Trial.state.in_(FINAL), 1.0), else_=0.0),
            clock(Trial.finished_at),
        )
        .where(Trial.search_id.in_(ids))
        .order_by(Trial.search_id, Trial.number)
    )
    try:
        table = result.cursor.fetchall()
    finally:
        result.close()
    empty = np.zeros(0)
    found = {i: (np.zeros(0, dtype=np.int64), empty, empty) for i in ids}
    if not table:
        return found
    of, number, value, final, finished = np.array(table, dtype=float).T  # NULL is NaN
    keep = final == 1
    of, number, value, finished = (
        of[keep],
        number[keep].astype(np.int64),
        value[keep],
        finished[keep],
    )
    cuts = np.flatnonzero(np.diff(of)) + 1
    for part in np.split(np.arange(of.size), cuts):
        if part.size:
            found[int(of[part[0]])] = (number[part], value[part], finished[part])
    return found


# Parameter names a JSON path can hold as they are (others are checked in Python only).
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _ranked(session: Session, search: Search, direction: Direction) -> Ranked:
    """A factory of the search's complete trials as (value, params), best first, streamed (the
    (search_id, state, value) index gives the order; ties by id, which SQLite's index holds).

    Given a narrower space (a child's), it leaves out in SQL the trials outside its numeric
    bounds, a little widened (the core checks each trial it reads exactly): when the child's
    box holds none of the parent's best trials, the database skips them instead of Python.
    """
    order = Trial.value.desc() if direction is Direction.MAXIMIZE else Trial.value.asc()
    query = (
        select(Trial.value, Trial.params)
        .where(
            Trial.search_id == search.id,
            Trial.state == TrialState.COMPLETE,
            Trial.value.is_not(None),
        )
        .order_by(order, Trial.id)
    )
    own = search.search_space

    def ranked(space: SearchSpace) -> Iterator[tuple[float, dict[str, Any]]]:
        narrowed = query.where(*_bounds(own, space)).execution_options(yield_per=_RANKED_BATCH)
        result = session.execute(narrowed)
        try:
            for value, params in result:
                yield float(value), params
        finally:
            result.close()

    return ranked


def _bounds(own: SearchSpace, space: SearchSpace) -> list[ColumnElement[bool]]:
    """SQL conditions a trial of `own` meets if it lies in `space`: each numeric parameter that
    `space` narrows lies within its bounds (or is absent: an inactive conditional one)."""
    found = []
    for name, p in space.params.items():
        mine = own.params.get(name)
        if not isinstance(p, FloatParam | IntParam) or not _PLAIN_NAME.fullmatch(name):
            continue
        if isinstance(mine, FloatParam | IntParam) and (mine.low, mine.high) == (p.low, p.high):
            continue
        slack = 1e-9 * (p.high - p.low) + 1e-300
        value = Trial.params[name].as_float()
        found.append(or_(value.is_(None), value.between(p.low - slack, p.high + slack)))
    return found


def relation(session: Session, a: Search, b: Search) -> Relation:
    """How `a` stands to `b` in the search tree."""
    if a.id == b.id:
        return "same"
    if a.id in ancestor_ids(session, b):
        return "ancestor"
    if b.id in ancestor_ids(session, a):
        return "descendant"
    return "unrelated"
