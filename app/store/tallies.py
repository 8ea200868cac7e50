"""Each search's tallies: its trials per state and its best complete value, kept on its row so
a poll of the page reads one row per search instead of counting a million trials (issue 18).

Every statement that inserts a trial or changes its state updates them in the same transaction,
as SQL expressions on the row (`n_running = n_running - 1`), never read into Python and written
back: concurrent writers on PostgreSQL queue on the search's row lock, SQLite has one writer,
and a rollback takes the tallies with the trial. A complete trial never changes state again
(tell, release and the reaper act only on running trials; only deleting the experiment removes
trials), so the best value only ever improves and needs no rescan. `recount` recomputes them
from the trials, for whatever writes trials in bulk (the benchmarks' fills)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Update, case, func, select, update

from app.store.models import Direction, Experiment, Search, Trial, TrialState

# The column of each state on `searches`.
STATE_COLUMNS: dict[TrialState, str] = {state: f"n_{state.value}" for state in TrialState}


def tally(state: TrialState) -> Any:
    """The search's column counting trials in `state`."""
    return getattr(Search, STATE_COLUMNS[state])


def moved(source: TrialState | None, target: TrialState) -> dict[str, Any]:
    """Values for an UPDATE of the trial's search: one trial left `source` (None for a new
    trial) and is now in `target`."""
    values = {STATE_COLUMNS[target]: tally(target) + 1}
    if source is not None:
        values[STATE_COLUMNS[source]] = tally(source) - 1
    return values


def _direction() -> Any:
    return (
        select(Experiment.direction).where(Experiment.id == Search.experiment_id).scalar_subquery()
    )


def improved(value: ColumnElement[float]) -> dict[str, Any]:
    """Values for an UPDATE of the search: a trial completed with `value` (a bound parameter).

    The direction is read from the experiment in the same statement (a plain read: no lock,
    so the lock order trial, search, experiment holds)."""
    maximize = _direction() == Direction.MAXIMIZE
    best = Search.best_value
    return {
        "best_value": case(
            (best.is_(None), value),
            (maximize & (value > best), value),
            (~maximize & (value < best), value),
            else_=best,
        )
    }


def _count(state: TrialState) -> Any:
    return (
        select(func.count())
        .select_from(Trial)
        .where(Trial.search_id == Search.id, Trial.state == state)
        .scalar_subquery()
    )


def _best() -> Any:
    complete = (Trial.search_id == Search.id, Trial.state == TrialState.COMPLETE)
    return case(
        (
            _direction() == Direction.MAXIMIZE,
            select(func.max(Trial.value)).where(*complete).scalar_subquery(),
        ),
        else_=select(func.min(Trial.value)).where(*complete).scalar_subquery(),
    )


def recount() -> Update:
    """An UPDATE setting every search's tallies (`.where(...)` narrows it) from its trials:
    a count per state and a min or max, each one lookup in the (search, state, value) index."""
    values = {STATE_COLUMNS[state]: _count(state) for state in TrialState}
    return update(Search).values(**values, best_value=_best())
