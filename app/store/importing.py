"""Import: an exported document (`exporting`) recreated with new ids, all or nothing (in the
caller's one transaction), read and written a batch of trials at a time. Every
value is checked as on every other way in (spaces, regions, samplers, stored values), and a
bad one is refused with its JSON path (`searches[1].space.lr: ...`); running trials come back
waiting. Notes are optional at every level (documents from before them have none)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.core.metrics import check_metrics
from app.core.problems import Problem
from app.core.pruners import make_pruner
from app.core.region import check_within
from app.core.samplers import make_sampler
from app.core.space import SearchSpace, SpaceError
from app.core.values import (
    MAX_ERROR_CHARS,
    MAX_NOTE_CHARS,
    ValueProblem,
    check_json,
    text_problem,
)
from app.store.document import (
    FORMAT,
    MAX_ID,
    VERSION,
    DocumentError,
    Loc,
    check_keys,
    read_choice,
    read_int,
    read_list,
    read_number,
    read_object,
    read_space,
    read_text,
    read_time,
)
from app.store.document_stream import read_streamed
from app.store.models import (
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    Direction,
    Experiment,
    IntermediateValue,
    Search,
    SearchStatus,
    Trial,
    TrialState,
)
from app.store.statements import FINAL
from app.store.tallies import STATE_COLUMNS

T = TypeVar("T")
# Trials validated and inserted at a time: all of a document that is in memory at once (memory
# grows with it: 5 MB at 250, 10 at 1,000; the time per trial is the same).
IMPORT_BATCH = 250


@dataclass
class _Head:
    """A validated head (experiment and searches) as column values, ready to insert."""

    experiment: dict[str, Any]
    searches: list[tuple[int, int | None, dict[str, Any]]] = field(default_factory=list)
    spaces: dict[int, SearchSpace] = field(default_factory=dict)


def import_experiment(session: Session, document: Any) -> Experiment:
    """Recreate an exported experiment (a parsed document) as new rows (new ids, parent links
    remapped); `import_stream` reads one as it arrives.

    A problem raises DocumentError (a ValueError) naming its JSON path, before or after rows
    were written: the caller's transaction is what makes an import all or nothing (every
    caller rolls back on an error). Each search's counters are recomputed from its trials
    (asked = its trials, finished = complete, failed or pruned ones; done once finished reaches
    the budget; its tallies per state and best complete value), and trials get change
    numbers from the new experiment's counter in document order, so since-cursors work.
    Trials that were running are imported as `waiting`, without worker, start time or
    learning curve: no worker here owns them, so they will be re-run.
    The objective need not be registered yet; workers that offer it pick the trials up.
    """
    return _import(session, document, None)


def import_stream(
    session: Session,
    chunks: Iterable[bytes],
    batch: int = IMPORT_BATCH,
    max_held: int | None = None,
) -> Experiment:
    """`import_experiment` on a document's bytes as they arrive (a file, a request body): the
    trials are read, checked and inserted `batch` at a time, so memory does not grow with
    them. A document not in the exporter's one-trial-per-line shape is read whole, up to
    `max_held` bytes (see `read_streamed`)."""
    head, trials = read_streamed(chunks, max_held)
    return _import(session, head, trials, batch)


def _import(
    session: Session, document: Any, trials: Iterable[Any] | None, batch: int = IMPORT_BATCH
) -> Experiment:
    head = _validate_head(document)
    items = read_list(document["trials"], ("trials",)) if trials is None else trials
    experiment = Experiment(**head.experiment, seq=0)
    session.add(experiment)
    session.flush()
    searches: dict[int, Search] = {}
    for ref, parent_ref, columns in head.searches:
        parent_id = None if parent_ref is None else searches[parent_ref].id
        search = Search(experiment_id=experiment.id, parent_id=parent_id, **columns)
        session.add(search)
        session.flush()  # one at a time: a child needs its parent's new id
        searches[ref] = search
    numbers = _Numbers(head)
    count = 0
    for chunk in batched(enumerate(items), batch):
        trials_read = [_trial(item, ("trials", i), head.spaces) for i, item in chunk]
        for (i, _), (ref, columns, _) in zip(chunk, trials_read, strict=True):
            numbers.add(ref, columns["number"], columns["state"], i)
            numbers.tally(ref, columns["state"], columns["value"])
        _insert_trials(session, experiment.id, searches, trials_read, count)
        count += len(trials_read)
    numbers.check()
    _set_counters(head, numbers, searches)
    experiment.seq = count
    session.flush()
    return experiment


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (itertools.batched is Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _insert_trials(
    session: Session,
    experiment_id: int,
    searches: Mapping[int, Search],
    trials: list[tuple[int, dict[str, Any], list[tuple[int, float]]]],
    before: int,
) -> None:
    """One batch of trials and their learning curves, in two executemany inserts."""
    # Core inserts: the ORM would replace an explicit None start time with the column default.
    rows = [
        {"experiment_id": experiment_id, "search_id": searches[ref].id, "seq": seq, **columns}
        for seq, (ref, columns, _) in enumerate(trials, start=before + 1)
    ]
    if not rows:
        return
    trial_ids = (
        session.execute(
            insert(Trial.__table__).returning(Trial.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    values = [
        {"trial_id": trial_id, "search_id": row["search_id"], "step": step, "value": value}
        for trial_id, row, (_, _, curve) in zip(trial_ids, rows, trials, strict=True)
        for step, value in curve
    ]
    if values:
        session.execute(insert(IntermediateValue.__table__), values)


def _validate_head(document: Any) -> _Head:
    doc = read_object(document, ())
    if doc.get("format") != FORMAT:  # first: another kind of file gets this message, not a list
        raise DocumentError(("format",), f"must be {FORMAT!r}: this is not a Hyperzoom export")
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        raise DocumentError(("version",), f"must be {VERSION}; this Hyperzoom reads version 1")
    check_keys(doc, (), {"format", "version", "experiment", "searches", "trials"})
    head = _Head(_experiment(doc["experiment"], ("experiment",)))
    searches = read_list(doc["searches"], ("searches",))
    if not searches:
        raise DocumentError(("searches",), "an experiment needs at least one search")
    for i, item in enumerate(searches):
        ref, parent, columns, space = _search(item, ("searches", i), head.spaces)
        head.searches.append((ref, parent, columns))
        head.spaces[ref] = space
    return head


def _experiment(value: Any, loc: Loc) -> dict[str, Any]:
    item = read_object(value, loc)
    keys = _noted(item, {"name", "objective", "direction", "space", "created_at"})
    check_keys(item, loc, keys | ({"metrics"} if "metrics" in item else set()))
    read_time(item["created_at"], (*loc, "created_at"), optional=False)  # informational only
    direction = read_choice(Direction, item["direction"], (*loc, "direction"))
    return {
        "name": _text(item["name"], (*loc, "name"), 200),
        "objective": _text(item["objective"], (*loc, "objective"), 200),
        "direction": direction,
        "space": read_space(item["space"], (*loc, "space")).to_dict(),
        "note": _note(item, loc),
        "metrics": _metrics(item.get("metrics"), direction, (*loc, "metrics")),
    }


def _metrics(value: Any, direction: Direction, loc: Loc) -> list[dict[str, Any]] | None:
    """Declared metrics (several objectives), if any; documents from before have none. The
    first is the value, so its direction is the experiment's."""
    if value is None:
        return None
    try:
        metrics = check_metrics(value)
    except Problem as exc:
        raise DocumentError((*loc, *exc.loc), exc.problem) from exc
    if metrics[0]["direction"] != direction.value:
        raise DocumentError(
            (*loc, 0, "direction"), f"must be the experiment's direction ({direction.value})"
        )
    return metrics


def _noted(item: Mapping[str, Any], keys: set[str]) -> set[str]:
    """The keys `item` must have: `keys`, and `note` if it has one (a note is optional)."""
    return keys | {"note"} if "note" in item else keys


def _note(item: Mapping[str, Any], loc: Loc) -> str | None:
    """The item's note: text within MAX_NOTE_CHARS; None when absent, null or blank."""
    text = _text(item.get("note"), (*loc, "note"), MAX_NOTE_CHARS, optional=True)
    return text if text and text.strip() else None


_SEARCH_KEYS = {
    "id", "parent_id", "sampler", "sampler_options", "pruner", "seed", "n_trials", "status",
    "space", "region", "created_at",
}  # fmt: skip


def _policy(given: dict[str, Any], loc: Loc) -> dict[str, Any]:
    """A search's reaping policy; documents exported before it existed get the defaults."""
    timeout = given.get("heartbeat_timeout", DEFAULT_HEARTBEAT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout:
        raise DocumentError((*loc, "heartbeat_timeout"), "must be a positive number of seconds")
    if timeout > 7 * 24 * 3600:
        raise DocumentError((*loc, "heartbeat_timeout"), "must be at most a week")
    retries = read_int(
        given.get("max_retries", DEFAULT_MAX_RETRIES), (*loc, "max_retries"), 0, 1000
    )
    return {"heartbeat_timeout": float(timeout), "max_retries": retries}


def _search(
    value: Any, loc: Loc, earlier: Mapping[int, SearchSpace]
) -> tuple[int, int | None, dict[str, Any], SearchSpace]:
    item = dict(read_object(value, loc))
    policy = _policy(
        {k: item.pop(k) for k in ("heartbeat_timeout", "max_retries") if k in item}, loc
    )
    check_keys(item, loc, _noted(item, _SEARCH_KEYS))
    ref = read_int(item["id"], (*loc, "id"), 1, MAX_ID)
    if ref in earlier:
        raise DocumentError((*loc, "id"), f"search id {ref} appears twice")
    parent = item["parent_id"]
    if parent is not None and (isinstance(parent, bool) or parent not in earlier):
        raise DocumentError(
            (*loc, "parent_id"), f"{parent!r} is not the id of a search listed before this one"
        )
    space = read_space(item["space"], (*loc, "space"))
    columns = {
        "sampler": _text(item["sampler"], (*loc, "sampler"), 32),
        "sampler_options": _json_object(item["sampler_options"], (*loc, "sampler_options")),
        "pruner": _json_object(item["pruner"], (*loc, "pruner")),
        "seed": read_int(item["seed"], (*loc, "seed"), 0, 2**31 - 1),
        "n_trials": read_int(item["n_trials"], (*loc, "n_trials"), 1, 1_000_000),
        "status": read_choice(SearchStatus, item["status"], (*loc, "status")),
        "space": space.to_dict(),
        "region": _json_object(item["region"], (*loc, "region")),
        "created_at": read_time(item["created_at"], (*loc, "created_at"), optional=False),
        "note": _note(item, loc),
        **policy,
    }
    try:  # a child never samples outside the search it was refined from
        if parent is not None:
            check_within(earlier[parent], space)
    except SpaceError as exc:
        raise DocumentError((*loc, "space", *exc.loc), exc.problem) from exc
    try:  # the checks a new search gets, so workers can run what is left of it
        sampler = make_sampler(columns["sampler"], columns["sampler_options"])
        sampler.check(space, columns["n_trials"])
        make_pruner(columns["pruner"])
    except SpaceError as exc:
        raise DocumentError((*loc, *exc.loc), exc.problem) from exc
    return ref, parent, columns, space


_TRIAL_KEYS = {
    "search_id", "number", "state", "params", "value", "metrics", "error", "worker", "attempt",
    "lost", "started_at", "finished_at", "intermediate_values",
}  # fmt: skip


def _trial(
    value: Any, loc: Loc, spaces: Mapping[int, SearchSpace]
) -> tuple[int, dict[str, Any], list[tuple[int, float]]]:
    item = read_object(value, loc)
    check_keys(item, loc, _noted(item, _TRIAL_KEYS))
    ref = item["search_id"]
    if isinstance(ref, bool) or ref not in spaces:
        raise DocumentError((*loc, "search_id"), f"{ref!r} is not the id of a listed search")
    params = _json_object(item["params"], (*loc, "params"), optional=False)
    try:
        spaces[ref].validate_params(params)
    except SpaceError as exc:
        raise DocumentError((*loc, "params", *exc.loc), exc.problem) from exc
    state = read_choice(TrialState, item["state"], (*loc, "state"))
    columns = {
        "number": read_int(item["number"], (*loc, "number"), 0, 1_000_000),
        "state": state,
        "params": params,
        "value": read_number(item["value"], (*loc, "value")),
        "metrics": _json_object(item["metrics"], (*loc, "metrics")),
        "error": _text(item["error"], (*loc, "error"), MAX_ERROR_CHARS, optional=True),
        "worker": _text(item["worker"], (*loc, "worker"), 200, optional=True),
        "attempt": read_int(item["attempt"], (*loc, "attempt"), 0, 2**31),
        "lost": read_int(item["lost"], (*loc, "lost"), 0, 2**31),
        "started_at": read_time(item["started_at"], (*loc, "started_at")),
        "finished_at": read_time(item["finished_at"], (*loc, "finished_at")),
        "note": _note(item, loc),
    }
    if state is TrialState.COMPLETE and columns["value"] is None:
        raise DocumentError((*loc, "value"), "a complete trial needs a finite value")
    curve = _curve(item["intermediate_values"], (*loc, "intermediate_values"))
    if state is TrialState.RUNNING:  # nobody here runs it: it waits for a worker again
        columns.update(state=TrialState.WAITING, worker=None, started_at=None, finished_at=None)
        curve = []
    return ref, columns, curve


def _json_object(value: Any, loc: Loc, optional: bool = True) -> dict[str, Any] | None:
    """A JSON object within the limits of app.core.values (depth, size, finite numbers,
    unicode text): the same limits as a tell or a database worker has, so whatever an import
    accepts can be read back and exported again."""
    if value is None and optional:
        return None
    item = read_object(value, loc)
    try:
        check_json(item)
    except ValueProblem as exc:
        raise DocumentError((*loc, *exc.loc), exc.problem) from exc
    return item


def _text(value: Any, loc: Loc, max_length: int, optional: bool = False) -> str | None:
    """`read_text`, and text a database column stores (no lone surrogate, no NUL)."""
    text = read_text(value, loc, max_length, optional)
    problem = None if text is None else text_problem(text)
    if problem is not None:
        raise DocumentError(loc, problem)
    return text


def _curve(value: Any, loc: Loc) -> list[tuple[int, float]]:
    curve: list[tuple[int, float]] = []
    for i, pair in enumerate(read_list(value, loc)):
        if not isinstance(pair, list) or len(pair) != 2:
            raise DocumentError((*loc, i), "must be a [step, value] pair")
        step = read_int(pair[0], (*loc, i, 0), 0, 10**9)
        number = read_number(pair[1], (*loc, i, 1))
        if number is None:
            raise DocumentError((*loc, i, 1), "must be a number")
        curve.append((step, number))
    steps = Counter(step for step, _ in curve)
    repeated = [step for step, n in steps.items() if n > 1]
    if repeated:
        raise DocumentError(loc, f"step {repeated[0]} appears twice")
    return curve


class _Numbers:
    """Each search's trial numbers so far, one bit each (a million take 125 kB): the numbers
    of a search must run 0..k-1, k within its budget, as ask hands them out. Numbers at or
    beyond the budget (a document that will be refused) are kept as a set."""

    def __init__(self, head: _Head) -> None:
        self.budgets = {ref: columns["n_trials"] for ref, _, columns in head.searches}
        self.bits: dict[int, bytearray] = {ref: bytearray() for ref in self.budgets}
        self.beyond: dict[int, set[int]] = defaultdict(set)
        self.asked: Counter[int] = Counter()
        self.finished: Counter[int] = Counter()
        self.order = [ref for ref, _, _ in head.searches]
        self.states: dict[int, Counter[TrialState]] = defaultdict(Counter)
        self.best: dict[int, float] = {}
        self.pick = max if head.experiment["direction"] is Direction.MAXIMIZE else min

    def add(self, ref: int, number: int, state: TrialState, index: int) -> None:
        """Count trial `index` (of search `ref`), refusing a number its search has already."""
        if number < self.budgets[ref]:
            bits = self.bits[ref]
            byte, bit = divmod(number, 8)
            if byte >= len(bits):
                bits.extend(bytes(byte + 1 - len(bits)))
            seen = bits[byte] >> bit & 1
            bits[byte] |= 1 << bit
        else:
            seen = number in self.beyond[ref]
            self.beyond[ref].add(number)
        if seen:
            raise DocumentError(
                ("trials", index, "number"), f"search {ref} has two trials numbered {number}"
            )
        self.asked[ref] += 1
        self.finished[ref] += state in FINAL

    def tally(self, ref: int, state: TrialState, value: float | None) -> None:
        """Count the trial in its search's tallies (app.store.tallies), as stored."""
        self.states[ref][state] += 1
        if state is TrialState.COMPLETE and value is not None:
            best = self.best.get(ref)
            self.best[ref] = value if best is None else self.pick(best, value)

    def check(self) -> None:
        for i, ref in enumerate(self.order):
            count, budget = self.asked[ref], self.budgets[ref]
            if count > budget:
                raise DocumentError(
                    ("searches", i, "n_trials"), f"is {budget} but the search has {count} trials"
                )
            missing = self._first_missing(ref, count)
            if missing is not None:
                raise DocumentError(
                    ("searches", i),
                    f"trial numbers must run 0..{count - 1} without gaps; {missing} is missing",
                )

    def _first_missing(self, ref: int, count: int) -> int | None:
        """The smallest number below `count` that search `ref` has no trial for."""
        bits = self.bits[ref]
        for byte in range((count + 7) // 8):
            value = bits[byte] if byte < len(bits) else 0
            if value != 0xFF:
                for bit in range(8):
                    if not value >> bit & 1 and byte * 8 + bit < count:
                        return byte * 8 + bit
        return None


def _set_counters(head: _Head, numbers: _Numbers, searches: Mapping[int, Search]) -> None:
    for i, (ref, _, columns) in enumerate(head.searches):
        finished = numbers.finished[ref]
        done = finished >= columns["n_trials"]
        if columns["status"] is SearchStatus.DONE and not done:
            raise DocumentError(
                ("searches", i, "status"),
                f"is done but only {finished} of its {columns['n_trials']} trials finished",
            )
        search = searches[ref]
        search.n_asked, search.n_finished = numbers.asked[ref], finished
        for state, column in STATE_COLUMNS.items():
            setattr(search, column, numbers.states[ref][state])
        search.best_value = numbers.best.get(ref)
        if done:
            search.status = SearchStatus.DONE
