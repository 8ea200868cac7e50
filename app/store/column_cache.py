"""Every trial of an experiment as numpy columns, kept per process and caught up at each read,
so that the page's read of a million trials never turns a row into Python objects (issue 18).

Reading the columns from the database costs seconds at a million trials however they are
packed: SQLite hands out a tuple of Python objects per row and the params' JSON is decoded per
trial. Here each process keeps, per experiment, the columns as arrays (integers and floats as
they are, text and other values as dictionary codes) and at each read merges in only the trials
whose `seq` passed the kept mark: every trial write (a note too) takes the next value of its
experiment's `seq` under the experiment row's lock, so the committed values are a prefix and
"seq above the mark" is exactly what changed (see app/store/histories.py). A changed trial
replaces its row in place, a new one is appended; an answer `since` a cursor is a mask on the
kept `seq` column, in seq order. Changes that write no trial (a new search, a note, a rename:
statements.changed) take a `seq` too, so the mark is the experiment's `seq` read before the
trials, or the largest trial `seq` read if larger (trial_reads.cursor_floor says why nothing is
skipped), and an answer's cursor is the mark: a page whose cursor did not move knows that
nothing changed at all.

Checked, not trusted: the experiment's `created_at` (an id re-used after a delete) and `seq`
(lower than the mark: a database replaced) and, once the kept columns have caught up to exactly
the experiment's `seq`, its trials per state counted in the arrays against the searches' tallies
(app/store/tallies.py). A full read is the truth, so the difference found right after one is
the baseline (tallies written around the app, as tests and old fills do, stay off by a constant);
any drift from it reads everything again. An experiment with more metric names than one answer
has columns for, or too many trials for the cache's budget, is not kept: the caller reads it
batch by batch as before.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, pairwise
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import URL, Connection, bindparam, func, select
from sqlalchemy.orm import Session

from app.core.cache import BoundedCache
from app.core.states import TrialState
from app.store import trial_reads
from app.store.models import Experiment, Search
from app.store.tallies import tally

# Budget of all kept experiments: a million trials of four parameters hold about 80 MB, so the
# page's read of them (40 MB of answer) keeps the server under 300 MB (docs/benchmarks.md).
BUDGET = 128 * 2**20
# Bytes a trial is guessed to need before a first read (fixed columns, four parameters): an
# experiment whose guess exceeds the budget is not read into the cache at all.
ROW_GUESS = 80
STATES: tuple[TrialState, ...] = tuple(TrialState)
_STATE_CODE = {state.value: code for code, state in enumerate(STATES)}
_FLOAT_EXACT = 2**53
# Kinds of cell in a param or metric column.
ABSENT, NULL, INT, FLOAT, CODED = 0, 1, 2, 3, 4
_FIXED = (
    ("id", np.int64),
    ("search_id", np.int64),
    ("number", np.int64),
    ("state", np.int8),
    ("value", np.float64),
    ("duration", np.float64),
    ("seq", np.int64),
)


class _Absent:
    """A name a trial's dict does not hold (told apart from an explicit null)."""


_MISSING = _Absent()
_KINDS = {_Absent: ABSENT, type(None): NULL, int: INT, float: FLOAT}


class Uncacheable(Exception):
    """The experiment is not kept (more metric names than an answer's columns)."""


@dataclass
class Named:
    """One parameter's or metric's cells: a kind per row (ABSENT ... CODED), the number where
    it is one (NaN elsewhere) and the dictionary code where CODED (-1 elsewhere); `num` and
    `code` exist once a row needed them."""

    tag: np.ndarray
    num: np.ndarray | None = None
    code: np.ndarray | None = None
    values: list[Any] = field(default_factory=list)
    keys: dict[Any, int] = field(default_factory=dict)

    def grow(self, capacity: int) -> None:
        """One array at a time: the old one goes before the next is copied."""
        self.tag = _grown(self.tag, capacity, ABSENT)
        if self.num is not None:
            self.num = _grown(self.num, capacity, np.nan)
        if self.code is not None:
            self.code = _grown(self.code, capacity, -1)

    def write(self, rows: np.ndarray, cells: list[Any]) -> None:
        """Set the cells of `rows` (cells may be _MISSING)."""
        capacity = len(self.tag)
        tags, nums, coded = _classify(cells)
        self.tag[rows] = tags
        if nums is not None and self.num is None:
            self.num = np.full(capacity, np.nan)
        if self.num is not None:
            self.num[rows] = np.nan if nums is None else nums
        if coded and self.code is None:
            self.code = np.full(capacity, -1, np.int32)
        if self.code is not None:
            codes = np.full(len(cells), -1, np.int32)
            if coded:
                text = all(type(cell) is str for cell in coded.values())
                found = list(map(self.keys.get if text else self._code, coded.values()))
                if None in found:  # text at C speed, new words one at a time
                    pairs = zip(coded.values(), found, strict=True)
                    found = [self._code(c) if code is None else code for c, code in pairs]
                codes[list(coded)] = found
            self.code[rows] = codes

    def _code(self, cell: Any) -> int:
        key = cell if type(cell) is str else _key(cell)
        code = self.keys.get(key)
        if code is None:
            code = self.keys[key] = len(self.values)
            self.values.append(cell)
        return code

    def nbytes(self) -> int:
        arrays = sum(a.nbytes for a in (self.tag, self.num, self.code) if a is not None)
        return arrays + sum(_weight(v) for v in self.values)


def _classify(cells: list[Any]) -> tuple[np.ndarray, np.ndarray | None, dict[int, Any]]:
    """Each cell's kind, the numbers (None: no cell is a number) and the cells to code by
    position. All floats, or all small integers, take numpy's way; anything else a cell at
    a time (a first read of text or conditional parameters; catch-ups are small)."""
    size = len(cells)
    kinds = set(map(type, cells))
    if kinds == {float}:
        nums = np.array(cells, dtype=np.float64)
        nums[~np.isfinite(nums)] = np.nan
        return np.full(size, FLOAT, np.int8), nums, {}
    if kinds == {int}:
        try:
            ints = np.array(cells, dtype=np.int64)
        except OverflowError:
            ints = None
        if ints is not None and -_FLOAT_EXACT <= ints.min() and ints.max() <= _FLOAT_EXACT:
            return np.full(size, INT, np.int8), ints.astype(np.float64), {}
    if kinds == {str}:
        return np.full(size, CODED, np.int8), None, dict(enumerate(cells))
    tags = [_KINDS.get(type(cell), CODED) for cell in cells]
    numbers = [math.nan] * size
    coded: dict[int, Any] = {}
    for i, kind in enumerate(tags):
        cell = cells[i]
        if kind == INT and not -_FLOAT_EXACT <= cell <= _FLOAT_EXACT:
            kind = tags[i] = CODED
        if kind == CODED:
            coded[i] = cell
        elif kind >= INT:
            numbers[i] = cell if math.isfinite(cell) else math.nan
    has_numbers = INT in tags or FLOAT in tags
    nums = np.array(numbers, dtype=np.float64) if has_numbers else None
    return np.array(tags, dtype=np.int8), nums, coded


def _finite(cells: tuple[float | None, ...]) -> np.ndarray:
    """Floats with NaN for null and for what JSON has no number for (NaN, infinities)."""
    floats = np.array(cells, dtype=np.float64)  # None -> NaN
    floats[~np.isfinite(floats)] = np.nan
    return floats


def _key(value: Any) -> Any:
    """A dictionary key telling apart what == does not (1, 1.0, True; nested values), as
    columns_binary's dictionaries do."""
    if type(value) in (int, float, bool):
        return (type(value), value)
    return ("json", _dumps(value))


def _dumps(value: Any) -> str:
    return json.dumps(value)


def _weight(value: Any) -> int:
    """Rough bytes of a kept Python value (a dictionary entry, a note)."""
    return 100 + (len(value) if isinstance(value, str) else len(_dumps(value)))


def _grown(array: np.ndarray, capacity: int, fill: Any) -> np.ndarray:
    out = np.full(capacity, fill, dtype=array.dtype)
    out[: len(array)] = array
    return out


@dataclass
class _Field:
    """The params or the metrics: columns by name in first-seen order, and the rows whose
    dict lists its names in another order (the answer orders names first seen in one row as
    that row does)."""

    columns: dict[str, Named] = field(default_factory=dict)
    odd: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def write(self, rows: np.ndarray, dicts: list[dict[str, Any]], capacity: int) -> None:
        for name in dict.fromkeys(chain.from_iterable(dicts)):
            if name not in self.columns:
                self.columns[name] = Named(np.zeros(capacity, np.int8))
        for name, column in self.columns.items():
            try:
                cells = list(map(itemgetter(name), dicts))  # at C speed when all have it
            except KeyError:
                cells = [d.get(name, _MISSING) for d in dicts]
            column.write(rows, cells)
        rank = {name: i for i, name in enumerate(self.columns)}
        shapes = list(map(tuple, dicts))
        odd = {s for s in set(shapes) if any(rank[a] > rank[b] for a, b in pairwise(s))}
        if self.odd:
            for row in rows.tolist():
                self.odd.pop(row, None)
        if odd:
            for row, shape in zip(rows.tolist(), shapes, strict=True):
                if shape in odd:
                    self.odd[row] = shape

    def nbytes(self) -> int:
        names = sum(c.nbytes() + _weight(n) for n, c in self.columns.items())
        return names + 100 * len(self.odd)


@dataclass
class Table:
    """The experiment's trials as columns: row i of every array is one trial (in no particular
    order: a changed trial keeps its row); `size` rows are filled out of `capacity`."""

    size: int = 0
    arrays: dict[str, np.ndarray] = field(
        default_factory=lambda: {name: np.zeros(0, dtype) for name, dtype in _FIXED}
    )
    params: _Field = field(default_factory=_Field)
    metrics: _Field = field(default_factory=_Field)
    notes: dict[int, str] = field(default_factory=dict)  # row -> note
    mark: int = -1  # the experiment's seq read before the trials, or the largest trial seq read
    # Trials per state (STATES order), kept as rows are written: a poll that reads nothing
    # compares them with the tallies without counting a million states again.
    state_counts: np.ndarray = field(default_factory=lambda: np.zeros(len(STATES), np.int64))
    _ids_sorted: bool = True  # row order is id order (no index needed to find a trial)
    _by_id: np.ndarray | None = None  # else the rows in id order as of the last sort
    _sorted_ids: np.ndarray | None = None  # their ids, in that order
    _id_tail: dict[int, int] = field(default_factory=dict)  # id -> row appended since the sort
    _by_seq: np.ndarray | None = None  # rows in seq order as of the last sort (None: none)
    _sorted_seqs: np.ndarray | None = None  # their seqs then, in that order
    _seq_sorted: bool | None = None  # row order is seq order (None: not known)
    # Rows merged since the last sort, in seq order (all after the sorted ones): a poll reads
    # what changed from here, without sorting every row again (issue 18: O(changes)).
    _tail_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _tail_seqs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def capacity(self) -> int:
        return len(self.arrays["id"])

    def reserve(self, rows: int) -> None:
        """Room for `rows` trials (a quarter more when it has to grow again)."""
        if rows <= self.capacity:
            return
        capacity = max(rows, self.capacity + self.capacity // 4)
        for name, array in self.arrays.items():  # one at a time, as Named.grow
            self.arrays[name] = _grown(array, capacity, np.nan if array.dtype.kind == "f" else 0)
        for column in chain(self.params.columns.values(), self.metrics.columns.values()):
            column.grow(capacity)

    def merge(self, batch: list[Any], fresh: bool = False) -> None:
        """Write a batch of changed trials (rows of trial_reads.columns_query, in seq order);
        `fresh`: they are all new (a first read), none is looked up."""
        ids, search_ids, numbers, states, values, seqs, params, metrics, durations, notes = zip(
            *batch, strict=True
        )
        id_array = np.array(ids, dtype=np.int64)
        rows = np.full(len(ids), -1, np.int64) if fresh else self._rows_of(id_array)
        self.reserve(self.size + int((rows < 0).sum()))
        new = np.flatnonzero(rows < 0)
        rows[new] = self.size + np.arange(len(new))
        grown = self.size + len(new)
        a = self.arrays
        a["id"][rows] = id_array
        a["search_id"][rows] = search_ids
        a["number"][rows] = numbers
        codes = np.array(list(map(_STATE_CODE.__getitem__, states)), np.int8)
        old = rows[rows < self.size]  # trials kept before: their old states no longer count
        if len(old):
            self.state_counts -= np.bincount(a["state"][old], minlength=len(STATES))
        self.state_counts += np.bincount(codes, minlength=len(STATES))
        a["state"][rows] = codes
        a["value"][rows] = _finite(values)
        a["duration"][rows] = _finite(durations)
        a["seq"][rows] = seqs
        self.params.write(rows, [d or {} for d in trial_reads.decode_all(params)], self.capacity)
        metric_dicts = [d or {} for d in trial_reads.decode_all(metrics)]
        self.metrics.write(rows, metric_dicts, self.capacity)
        if len(self.metrics.columns) > trial_reads.MAX_METRIC_COLUMNS:
            raise Uncacheable
        for row, note in zip(rows.tolist(), notes, strict=True):
            if note is None:
                self.notes.pop(row, None)
            else:
                self.notes[row] = note
        self._index(id_array[new], grown, changed=len(new) < len(rows))
        if self._by_seq is not None:  # after every sorted row: the tail
            self._tail_rows = np.concatenate([self._tail_rows, rows])
            self._tail_seqs = np.concatenate([self._tail_seqs, np.array(seqs, np.int64)])
        self.mark = max(self.mark, *seqs)

    def _rows_of(self, ids: np.ndarray) -> np.ndarray:
        """The row of each id (-1: a new trial)."""
        if self.size == 0:
            return np.full(len(ids), -1, np.int64)
        known = self.arrays["id"][: self.size]
        if self._ids_sorted:
            at = np.searchsorted(known, ids).clip(0, self.size - 1)
            return np.where(known[at] == ids, at, -1).astype(np.int64)
        # Rows are in change order (trials finish out of order): a sort of the ids, and the
        # rows appended since in a dict, so that a catch-up costs what it merges, not a sort of
        # every id again; sorted again once the dict holds an eighth of the rows.
        if self._by_id is None or len(self._id_tail) > max(4096, self.size // 8):
            self._by_id = np.argsort(known, kind="stable")
            self._sorted_ids = known[self._by_id]
            self._id_tail = {}
        assert self._sorted_ids is not None
        at = np.searchsorted(self._sorted_ids, ids).clip(0, len(self._by_id) - 1)
        rows = np.where(self._sorted_ids[at] == ids, self._by_id[at], -1).astype(np.int64)
        if self._id_tail:
            for i in np.flatnonzero(rows < 0).tolist():
                rows[i] = self._id_tail.get(int(ids[i]), -1)
        return rows

    def _index(self, new_ids: np.ndarray, size: int, changed: bool) -> None:
        """After appending `new_ids`: whether rows are still in id order, and in seq order
        (appended trials come after every kept one; a row changed in place moved)."""
        ids = self.arrays["id"]
        before, self.size = self.size, size
        if self._by_id is not None:  # the appended rows, until the ids are sorted again
            self._id_tail.update(zip(new_ids.tolist(), range(before, size), strict=True))
        if changed:
            self._seq_sorted = False
        elif before == 0:
            self._seq_sorted = True  # a read is in seq order; later ones come after it
        if len(new_ids) and self._ids_sorted:
            after = before == 0 or int(new_ids[0]) > int(ids[before - 1])
            self._ids_sorted = after and bool(np.all(np.diff(new_ids) > 0))

    def rows_since(self, since: int) -> tuple[int, np.ndarray | None]:
        """Rows with seq > since in seq order: (start, None) for rows start .. size-1 as they
        are, else (0, the rows)."""
        seqs = self.arrays["seq"][: self.size]
        if self._seq_sorted is None:
            self._seq_sorted = bool(np.all(np.diff(seqs) > 0))
        if self._seq_sorted:
            return int(np.searchsorted(seqs, since, side="right")), None
        if self._by_seq is None or len(self._tail_rows) > max(4096, self.size // 8):
            self._by_seq = np.argsort(seqs, kind="stable")
            self._sorted_seqs = seqs[self._by_seq]
            self._tail_rows = self._tail_seqs = np.zeros(0, np.int64)
        assert self._sorted_seqs is not None
        # Sorted rows past `since`, then the tail's: an entry whose row has changed since
        # (its seq is no longer the one it was placed by) is left out, so each row comes
        # once, at its last change. A poll since the last cursor touches only the tail's end.
        parts = []
        for rows, placed in (
            (self._by_seq, self._sorted_seqs),
            (self._tail_rows, self._tail_seqs),
        ):
            at = int(np.searchsorted(placed, since, side="right"))
            if at < len(rows):
                rows, placed = rows[at:], placed[at:]
                parts.append(rows[seqs[rows] == placed])
        return 0, np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def counts(self) -> list[int]:
        """Trials per state, in STATES order (as `recount` finds them, kept up to date)."""
        return self.state_counts.tolist()

    def recount(self) -> list[int]:
        """Trials per state counted in the state column (tests: the same as `counts`)."""
        states = self.arrays["state"][: self.size]
        return np.bincount(states, minlength=len(STATES)).tolist()

    def nbytes(self) -> int:
        arrays = sum(a.nbytes for a in self.arrays.values())
        kept = (self._by_id, self._sorted_ids, self._by_seq, self._sorted_seqs)
        index = sum(a.nbytes for a in (*kept, self._tail_rows, self._tail_seqs) if a is not None)
        index += 100 * len(self._id_tail)
        notes = sum(_weight(n) for n in self.notes.values())
        return arrays + index + notes + self.params.nbytes() + self.metrics.nbytes()


@dataclass
class Selection:
    """The trials with seq > since, for one answer: the kept arrays themselves (valid while
    the read holds them) and the rows to take from them in seq order."""

    n: int
    cursor: int
    table: Table
    start: int  # with rows None: rows start .. start + n - 1 as they are
    rows: np.ndarray | None
    params: dict[str, Named]  # in the answer's order, only names some selected trial has
    metrics: dict[str, Named]
    notes: dict[int, str]  # trial id -> note, in seq order

    def take(self, array: np.ndarray) -> np.ndarray:
        """The selected cells of one of the table's arrays, in the answer's order (a view of
        the kept array when nothing is reordered: copy before keeping it)."""
        if self.rows is None:
            return array[self.start : self.start + self.n]
        return array[self.rows]

    def column(self, name: str) -> np.ndarray:
        return self.take(self.table.arrays[name])


def select_since(table: Table, since: int) -> Selection:
    """What an answer since `since` holds, read from the kept table."""
    start, rows = table.rows_since(since)
    n = table.size - start if rows is None else len(rows)
    cursor = max(since, table.mark)  # the experiment's seq as of the read at least
    selection = Selection(n, cursor, table, start, rows, {}, {}, {})
    selection.params = _present(selection, table.params)
    selection.metrics = _present(selection, table.metrics)
    seqs = table.arrays["seq"]
    ids = table.arrays["id"]
    noted = sorted((int(seqs[row]), row) for row in table.notes if seqs[row] > since)
    selection.notes = {int(ids[row]): table.notes[row] for _, row in noted}
    return selection


def _present(selection: Selection, named: _Field) -> dict[str, Named]:
    """The names some selected trial holds, ordered as a read of those trials finds them:
    by the first trial holding each, then by that trial's own order of names."""
    first: dict[str, int] = {}
    for name, column in named.columns.items():
        held = selection.take(column.tag) != ABSENT
        position = int(held.argmax()) if len(held) else 0
        if len(held) and held[position]:
            first[name] = position
    rank = {name: i for i, name in enumerate(named.columns)}

    def order(name: str) -> tuple[int, int]:
        position = first[name]
        rows = selection.rows
        row = selection.start + position if rows is None else int(rows[position])
        shape = named.odd.get(row)
        return position, shape.index(name) if shape else rank[name]

    return {name: named.columns[name] for name in sorted(first, key=order)}


@dataclass
class _Kept:
    """An experiment's table, whose experiment it is, and the lock one read at a time holds."""

    table: Table = field(default_factory=Table)
    created: datetime | None = None
    skew: list[int] | None = None  # tallies minus counted states, right after a full read
    uncacheable: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def nbytes(self) -> int:
        return self.table.nbytes()


_KEPT: BoundedCache[_Kept] = BoundedCache(BUDGET, _Kept.nbytes)


@dataclass(frozen=True)
class _Facts:
    created: datetime
    seq: int
    tallies: list[int]
    trials: int


# The experiment's identity, its seq and its searches' tallies, in one statement (so in one
# snapshot); built once (building it took longer than running it).
_FACTS = (
    select(
        Experiment.created_at,
        Experiment.seq,
        *(func.coalesce(func.sum(tally(state)), 0) for state in STATES),
    )
    .outerjoin(Search, Search.experiment_id == Experiment.id)
    .where(Experiment.id == bindparam("experiment_id"))
    .group_by(Experiment.id, Experiment.created_at, Experiment.seq)
)


def _facts(source: Session | Connection, experiment_id: int) -> _Facts:
    """The experiment's identity, its seq and its searches' tallies (`_FACTS`), as `source`'s
    snapshot sees them."""
    connection = source.connection() if isinstance(source, Session) else source
    row = connection.execute(_FACTS, {"experiment_id": experiment_id}).one()
    tallies = [int(n) for n in row[2:]]
    return _Facts(row[0], row[1], tallies, sum(tallies))


@contextmanager
def columns_since(session: Session, experiment_id: int, since: int) -> Iterator[Selection | None]:
    """The experiment's trials changed after `since`, from the kept columns caught up with the
    database; held by this read until the block ends. None: not kept (read it batch by batch)."""
    key = (session.get_bind().url.render_as_string(), experiment_id)
    facts = _facts(session, experiment_id)
    kept = _KEPT.get_or_make(key, _Kept)
    with kept.lock:
        if _replaced(session, kept, facts, experiment_id):
            _reset(kept, facts.created)
        fresh = kept.table.size == 0 and kept.table.mark < 0
        if kept.uncacheable or (fresh and facts.trials * ROW_GUESS > BUDGET):
            yield None
            return
        try:
            _catch_up(session, kept, experiment_id, facts)
        except Uncacheable:
            kept.table, kept.uncacheable = Table(), True
            yield None
            return
        except BaseException:
            _reset(kept, None)  # half merged: start over next time
            raise
        yield select_since(kept.table, since)
        # Weighed under the lock (a merge changes what is weighed). Over the budget, the
        # experiment is read batch by batch from now on, which costs a quiet poll nothing;
        # dropped instead, every poll would read every trial again.
        if kept.nbytes() > _KEPT.budget:
            kept.table, kept.uncacheable = Table(), True
        _KEPT.put(key, kept)  # weigh it again: it grew


def _catch_up(session: Session, kept: _Kept, experiment_id: int, facts: _Facts) -> None:
    """Merge what changed since the mark, then check the counts once the table has read up
    to the experiment's seq; a drift reads everything again (once per read)."""
    rebuilt = kept.table.mark < 0
    for _ in range(4):
        if kept.table.mark < 0:
            kept.table.reserve(facts.trials)  # a first read: room for them at once
        _read_changes(session, kept.table, experiment_id, facts.seq)
        facts = _facts(session, experiment_id)
        if _replaced(session, kept, facts, experiment_id):
            _reset(kept, facts.created)
            rebuilt = True
            continue
        if facts.seq > kept.table.mark:
            continue  # written meanwhile: read those too before comparing
        if facts.seq < kept.table.mark:
            return  # this read's snapshot is older than the table: serve it, check next time
        skew = [t - c for t, c in zip(facts.tallies, kept.table.counts(), strict=True)]
        if rebuilt or kept.skew is None:
            kept.skew = skew
            return
        if skew == kept.skew:
            return
        _reset(kept, facts.created)
        rebuilt = True
    # Trials kept being written between the reads: serve what was read (as of its mark, the
    # answer's cursor); the next read checks again.


def _replaced(session: Session, kept: _Kept, facts: _Facts, experiment_id: int) -> bool:
    """Whether the table is no longer the experiment's as the database holds it: another
    experiment under its id, or a database put back to an earlier state (its seq below the
    table's mark). A seq below the mark is checked again in a snapshot of its own: a read
    whose snapshot began before another request of this process caught the table up sees a
    lower seq too (SQLite keeps a transaction's snapshot), and that is no reason to read every
    trial again."""
    if kept.created != facts.created:  # also a table never read (its created is None)
        return True
    if facts.seq >= kept.table.mark:
        return False
    with session.get_bind().connect() as connection:
        now = _facts(connection, experiment_id)
    return now.created != kept.created or now.seq < kept.table.mark


def _read_changes(session: Session, table: Table, experiment_id: int, seq: int) -> None:
    """Merge the trials past the mark; `seq` is the experiment's, read before them (so every
    change numbered up to it is committed and in these rows or already kept: the mark becomes
    at least `seq`, see trial_reads.cursor_floor)."""
    fresh = table.mark < 0
    query = trial_reads.columns_query(session, experiment_id, table.mark)
    with trial_reads.collector_paused(), session.connection().execute(query) as result:
        for batch in result.partitions():  # closed if a merge raises (PostgreSQL's cursor)
            table.merge(batch, fresh)
    table.mark = max(table.mark, seq)


def _reset(kept: _Kept, created: datetime | None) -> None:
    kept.table, kept.created, kept.skew, kept.uncacheable = Table(), created, None, False


def forget() -> None:
    """Drop every kept table (tests)."""
    _KEPT.clear()


def kept_table(url: URL, experiment_id: int) -> Table | None:
    """The table kept for an experiment of the database at `url`, if any (tests); None also
    for one known not to be kept (read batch by batch)."""
    found = _KEPT.peek((url.render_as_string(), experiment_id))
    return None if found is None or found.uncacheable else found.table


def kept_bytes() -> int:
    """What the kept tables weigh now, against BUDGET."""
    return _KEPT.total
