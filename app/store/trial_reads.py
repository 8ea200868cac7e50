"""Reading trials back: lists of rows, learning curves, and every trial as columns.

The columnar read serves the page's plots and must stay quick at a million trials, so it skips
the ORM: a Core select of the plain columns, streamed in batches, each batch's JSON parameters
decoded in one call and appended to the columns at once. Loading `Trial` objects instead spent
most of its time building objects and decoding JSON row by row (see docs/benchmarks.md).

Every trial has a cell in every column, so the answer is trials x names: metric names, which
any trial may invent, get at most MAX_METRIC_COLUMNS columns per answer (issue 14, item 9).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from pydantic_core import from_json
from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from app.store.models import Experiment, IntermediateValue, Trial, TrialState

# Rows per batch of the columnar read: large enough to amortise the per-batch work, small
# enough that a million trials never sit in memory as rows.
BATCH = 20_000
# Metric columns in one columnar answer: the first names in change order. 600 trials each with
# 300 names of its own made 180,000 columns of 600 cells, a 542 MB answer after 60 s at 2.8 GB.
# Names past the limit are counted in `metrics_omitted`; each trial still has all its metrics
# in every per-trial read (/api/trials/{id}, /trials, export).
MAX_METRIC_COLUMNS = 100
_STATES = {state.value: state for state in TrialState}


def intermediate_values(session: Session, trial_id: int) -> list[tuple[int, float]]:
    """A trial's learning curve: (step, value) in step order."""
    rows = session.execute(
        select(IntermediateValue.step, IntermediateValue.value)
        .where(IntermediateValue.trial_id == trial_id)
        .order_by(IntermediateValue.step)
    )
    return [(step, value) for step, value in rows]


def list_trials(
    session: Session,
    *,
    experiment_id: int | None = None,
    search_id: int | None = None,
    since: int = 0,
    states: Collection[TrialState] | None = None,
    value_min: float | None = None,
    value_max: float | None = None,
    limit: int | None = None,
) -> Sequence[Trial]:
    """Trials of an experiment or a search that changed after `since`, in change order.

    `since` doubles as the page cursor: pass the last trial's `seq` to get the next page.
    """
    query = _trials_query(experiment_id, search_id, since)
    if states:
        query = query.where(Trial.state.in_(list(states)))
    if value_min is not None:
        query = query.where(Trial.value >= value_min)
    if value_max is not None:
        query = query.where(Trial.value <= value_max)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def _trials_query(experiment_id: int | None, search_id: int | None, since: int) -> Select[Any]:
    query = select(Trial).where(Trial.seq > since).order_by(Trial.seq)
    if experiment_id is not None:
        query = query.where(Trial.experiment_id == experiment_id)
    if search_id is not None:
        query = query.where(Trial.search_id == search_id)
    return query


@dataclass
class TrialColumns:
    """Trials as parallel lists (item i of every list is one trial), in change order.

    A parameter or metric a trial lacks is None in its column; `cursor` is the experiment's
    `seq` as of the read (see `cursor_floor`), or the largest trial `seq` read, or the `since`
    asked for, whichever is largest: pass it as the next `since`. `metrics_omitted` counts the
    metric names past MAX_METRIC_COLUMNS, which have no column. `notes` is sparse (trial id ->
    note): nearly every trial has none, and a column of nulls would cost a million-trial read.
    """

    cursor: int
    id: list[int] = field(default_factory=list)
    search_id: list[int] = field(default_factory=list)
    number: list[int] = field(default_factory=list)
    state: list[TrialState] = field(default_factory=list)
    value: list[float | None] = field(default_factory=list)
    params: dict[str, list[Any]] = field(default_factory=dict)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    duration: list[float | None] = field(default_factory=list)
    metrics_omitted: int = 0
    notes: dict[int, str] = field(default_factory=dict)  # only trials that have one


def cursor_floor(session: Session, experiment_id: int, since: int = 0) -> int:
    """The least cursor of an answer since `since`: the experiment's `seq` now, read BEFORE the
    trials (a statement of its own), or `since` when larger.

    Every trial write, and every change to the experiment or its searches without one
    (statements.changed), takes the next `seq` under the experiment row's lock and holds it to
    commit, so the committed values are a prefix: whoever takes seq + 1 waited for the commit
    of seq. A `seq` S read here is committed, and so is every change numbered up to S; the
    trials are read after it (on PostgreSQL READ COMMITTED, a later snapshot; on SQLite, or
    in a transaction's one snapshot, the same or a later one), so they hold every trial
    stamped up to S, and any trial they hold above S is committed too. An answer's cursor is
    then max(S, the seqs read): everything up to it has been answered, nothing is skipped. A
    cursor that moved with no trials says that something else changed (a search, a note, a
    name: the page reads the experiment and its tree again). Read the other way round (the
    trials, then S) a trial committed between the two would be passed over for good."""
    seq = session.connection().execute(_SEQ, {"experiment_id": experiment_id}).scalar()
    return max(since, seq or 0)


_SEQ = select(Experiment.seq).where(Experiment.id == bindparam("experiment_id"))


def trial_columns(session: Session, experiment_id: int, since: int = 0) -> TrialColumns:
    """Every trial of the experiment that changed after `since`, as columns; the cursor is at
    least the experiment's `seq` read before them (`cursor_floor`)."""
    columns = TrialColumns(cursor=cursor_floor(session, experiment_id, since))
    # Core, not the ORM: plain tuples, no per-row entity handling.
    omitted: set[str] = set()  # each name once, across batches
    query = columns_query(session, experiment_id, since)
    with collector_paused():
        for batch in session.connection().execute(query).partitions():
            _append(columns, batch, omitted)
    columns.metrics_omitted = len(omitted)
    return columns


def trial_column_batches(
    session: Session, experiment_id: int, since: int = 0
) -> Iterator[TrialColumns]:
    """What `trial_columns` reads, one batch of BATCH trials at a time, so that a caller that
    packs each batch away (the page's binary columns) never holds a million trials' Python
    objects. A batch has a column for each parameter it holds and for every metric name that
    has a column so far (the same first MAX_METRIC_COLUMNS as `trial_columns`); its
    `metrics_omitted` counts the names past them up to and including this batch. A batch's
    cursor is only its trials' largest `seq`: the caller reads `cursor_floor` before it
    iterates (with no trials changed there is no batch at all)."""
    omitted: set[str] = set()
    metric_names: list[str] = []
    query = columns_query(session, experiment_id, since)
    with collector_paused():
        for batch in session.connection().execute(query).partitions():
            part = TrialColumns(cursor=since, metrics={name: [] for name in metric_names})
            _append(part, batch, omitted)
            part.metrics_omitted = len(omitted)
            metric_names = list(part.metrics)
            yield part


def columns_query(session: Session, experiment_id: int, since: int) -> Select[Any]:
    """The trials of the experiment changed after `since`, in seq order, as the columns read
    them (the statement is built once per database kind: building it cost more than a read
    that finds nothing)."""
    dialect = session.get_bind().dialect.name
    statement = _COLUMNS.get(dialect)
    if statement is None:
        statement = _COLUMNS[dialect] = _columns_statement(dialect)
    return statement.params(experiment_id=experiment_id, since=since)


_COLUMNS: dict[str, Select[Any]] = {}


def _columns_statement(dialect: str) -> Select[Any]:
    return (
        select(
            Trial.id,
            Trial.search_id,
            Trial.number,
            type_coerce(Trial.state, String()),
            Trial.value,
            Trial.seq,
            # JSON as text, decoded a batch at a time below (on PostgreSQL too, where the driver
            # would otherwise decode each value by itself).
            cast(Trial.params, Text),
            cast(Trial.metrics, Text),
            _duration(dialect),
            Trial.note,
        )
        .where(Trial.experiment_id == bindparam("experiment_id"), Trial.seq > bindparam("since"))
        .order_by(Trial.seq)
        .execution_options(yield_per=BATCH)
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause CPython's cycle collector: a big read allocates millions of short-lived rows and
    dicts (none of them in cycles), and the collector would walk the whole heap over and over
    for them (a third of the time of a million-trial read). Garbage is still freed at once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _append(columns: TrialColumns, rows: Sequence[Any], omitted: set[str]) -> None:
    ids, search_ids, numbers, states, values, seqs, params, metrics, durations, notes = zip(
        *rows, strict=True
    )
    done = len(columns.id)
    columns.id.extend(ids)
    columns.search_id.extend(search_ids)
    columns.number.extend(numbers)
    columns.state.extend(_STATES[state] for state in states)
    columns.value.extend(values)
    columns.cursor = max(columns.cursor, *seqs)
    columns.duration.extend(durations)
    if notes.count(None) < len(notes):  # at C speed: most batches hold no note at all
        columns.notes.update((i, n) for i, n in zip(ids, notes, strict=True) if n is not None)
    _extend_named(columns.params, decode_all(params), done)
    _extend_named(columns.metrics, decode_all(metrics), done, MAX_METRIC_COLUMNS, omitted)


def decode_all(texts: Sequence[str | None]) -> list[dict[str, Any] | None]:
    """Many JSON documents decoded in one call: much cheaper than one call each. pydantic's
    parser (already here for the API) takes less than half the time of `json.loads`; anything
    it refuses (say a lone surrogate escape written before those were refused) goes to
    `json.loads`, which accepts more."""
    document = "[" + ",".join(text or "null" for text in texts) + "]"
    try:
        return from_json(document)
    except ValueError:
        return json.loads(document)


def _extend_named(
    named: dict[str, list[Any]],
    dicts: list[dict[str, Any] | None],
    done: int,
    limit: int | None = None,
    omitted: set[str] | None = None,
) -> None:
    """Append one value per dict to each name's column; a name seen for the first time gets
    None for the `done` trials before it, or, once `limit` names have columns, goes into
    `omitted`: the work is the names read plus the cells written, never names x trials."""
    present = [d or {} for d in dicts]
    for name in dict.fromkeys(chain.from_iterable(present)):
        if name in named:
            continue
        if limit is not None and omitted is not None and len(named) >= limit:
            omitted.add(name)
        else:
            named[name] = [None] * done
    for name, column in named.items():
        column.extend([d.get(name) for d in present])


def _duration(dialect: str) -> ColumnElement[float]:
    """Seconds from start to finish (None while either is missing), worked out by the database:
    parsing two datetimes per row in Python took longer than the rest of the row. SQLite's
    julianday carries about 50 microseconds of rounding at today's dates, so it is rounded to
    the millisecond."""
    if dialect == "sqlite":
        days = func.julianday(Trial.finished_at) - func.julianday(Trial.started_at)
        return func.round(days * 86400.0, 3)
    return cast(func.extract("epoch", Trial.finished_at - Trial.started_at), Float)


def intermediate_values_of(
    session: Session, experiment_id: int, trial_ids: Collection[int]
) -> dict[int, list[tuple[int, float]]]:
    """Each asked-for trial of the experiment -> its (step, value) pairs in step order.

    One query for all of them (the page would otherwise fetch trial after trial). Trials of
    other experiments, and ids that do not exist, are left out; a trial without values maps
    to an empty list.
    """
    wanted = session.scalars(
        select(Trial.id).where(Trial.experiment_id == experiment_id, Trial.id.in_(trial_ids))
    ).all()
    curves: dict[int, list[tuple[int, float]]] = {trial_id: [] for trial_id in sorted(wanted)}
    if not curves:
        return curves
    rows = session.execute(
        select(IntermediateValue.trial_id, IntermediateValue.step, IntermediateValue.value)
        .where(IntermediateValue.trial_id.in_(list(curves)))
        .order_by(IntermediateValue.trial_id, IntermediateValue.step)
    )
    for trial_id, step, value in rows:
        curves[trial_id].append((step, value))
    return curves
