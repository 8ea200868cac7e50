"""Export an experiment as one versioned JSON document (`importing` reads it back elsewhere),
and its trials as CSV.

The document holds everything needed to recreate the experiment in another database: its
searches (tree links by the searches' own ids), its trials and their learning curves. Ids in it
only link its parts; an import makes new rows with new ids. A note (on the experiment, a search
or a trial) is written only when there is one, so a document without notes reads as it always
did, in older versions too.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Generator, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.values import (
    MAX_JSON_BYTES,
    ValueProblem,
    check_json,
    clean_json,
    escape_text,
    storable_text,
)
from app.store.document import (
    FORMAT,
    VERSION,
)
from app.store.experiments import get_experiment
from app.store.models import (
    IntermediateValue,
    Search,
    Trial,
)

# Trials per batch of an export: its rows and curves are all that is in memory at once.
EXPORT_BATCH = 2_000


def export_experiment(session: Session, experiment_id: int) -> dict[str, Any]:
    """The experiment, its searches and its trials as a self-contained JSON document."""
    return json.loads("".join(export_text(session, experiment_id)))


def export_text(session: Session, experiment_id: int) -> Generator[str, None, None]:
    """The same document as JSON text, in pieces: the head (indented), then the trials a batch
    at a time, one per line, so a million trials are written without holding them all
    (which took 6 GB). Raises NotFound before yielding anything."""
    experiment = get_experiment(session, experiment_id)
    head = {
        "format": FORMAT,
        "version": VERSION,
        "experiment": {
            "name": experiment.name,
            "objective": experiment.objective,
            "direction": experiment.direction.value,
            "space": experiment.space,
            "created_at": _iso(experiment.created_at),
            **_note(experiment.note),
            # Several objectives, only where declared: documents without stay as they were.
            **({"metrics": experiment.metrics} if experiment.metrics else {}),
        },
        "searches": [_search_json(s) for s in _searches(session, experiment_id)],
    }
    return _document(session, experiment_id, head)


def _document(
    session: Session, experiment_id: int, head: dict[str, Any]
) -> Generator[str, None, None]:
    text = json.dumps(head, indent=2, ensure_ascii=False, allow_nan=False)
    yield text[: text.rindex("}")].rstrip() + ',\n  "trials": ['
    separator = "\n"
    for batch in _trial_batches(session, experiment_id):
        curves = _curves(session, [t.id for t in batch])
        lines = [_trial_line(_trial_json(t, curves.get(t.id, []))) for t in batch]
        yield separator + ",\n".join(lines)
        separator = ",\n"
    yield "\n  ]\n}\n"


def _trial_line(item: dict[str, Any]) -> str:
    """A trial as one line of JSON. Metrics over the limit (stored before it) are replaced by
    a note, so the export still imports; only a line that long costs a look at them."""
    line = json.dumps(item, ensure_ascii=False, allow_nan=False)
    if len(line) > MAX_JSON_BYTES and item["metrics"] is not None:
        try:
            check_json(item["metrics"])
        except ValueProblem as exc:
            item["metrics"] = {"not_exported": f"the stored metrics {exc.problem}"}
            line = json.dumps(item, ensure_ascii=False, allow_nan=False)
    return line


def _searches(session: Session, experiment_id: int) -> Sequence[Search]:
    query = select(Search).where(Search.experiment_id == experiment_id).order_by(Search.id)
    # ask/tell update counters in bulk, so objects already in the session may be stale.
    return session.scalars(query.execution_options(populate_existing=True)).all()


def _trial_batches(session: Session, experiment_id: int) -> Iterator[Sequence[Trial]]:
    """The experiment's trials in (search, number) order, EXPORT_BATCH at a time; the session
    keeps no reference to a batch once it is dropped."""
    query = (
        select(Trial)
        .where(Trial.experiment_id == experiment_id)
        .order_by(Trial.search_id, Trial.number)
        .execution_options(populate_existing=True, yield_per=EXPORT_BATCH)
    )
    yield from session.scalars(query).partitions()


def _curves(session: Session, trial_ids: Sequence[int]) -> dict[int, list[list[int | float]]]:
    rows = session.execute(
        select(IntermediateValue.trial_id, IntermediateValue.step, IntermediateValue.value)
        .where(IntermediateValue.trial_id.in_(trial_ids))
        .order_by(IntermediateValue.trial_id, IntermediateValue.step)
    )
    curves: dict[int, list[list[int | float]]] = defaultdict(list)
    for trial_id, step, value in rows:
        curves[trial_id].append([step, value])
    return curves


def _search_json(search: Search) -> dict[str, Any]:
    return {
        "id": search.id,
        "parent_id": search.parent_id,
        "sampler": search.sampler,
        "sampler_options": search.sampler_options,
        "pruner": search.pruner,
        "seed": search.seed,
        "n_trials": search.n_trials,
        "status": search.status.value,
        "space": search.space,
        "region": search.region,
        "heartbeat_timeout": search.heartbeat_timeout,
        "max_retries": search.max_retries,
        "created_at": _iso(search.created_at),
        **_note(search.note),
    }


def _trial_json(trial: Trial, curve: list[list[int | float]]) -> dict[str, Any]:
    return {
        "search_id": trial.search_id,
        "number": trial.number,
        "state": trial.state.value,
        # Mended (app.core.values) if stored before the limits, so the import takes it back.
        "params": clean_json(trial.params),
        "value": trial.value,
        "metrics": clean_json(trial.metrics),
        "error": None if trial.error is None else storable_text(trial.error),
        "worker": trial.worker,
        "attempt": trial.attempt,
        "lost": trial.lost,
        "started_at": _iso(trial.started_at),
        "finished_at": _iso(trial.finished_at),
        "intermediate_values": curve,
        **_note(trial.note),
    }


def _note(note: str | None) -> dict[str, str]:
    """`{"note": note}`, or nothing when there is none."""
    return {} if note is None else {"note": note}


def _iso(moment: datetime | None) -> str | None:
    # PostgreSQL hands back the session's zone; the document always says UTC.
    return None if moment is None else moment.astimezone(UTC).isoformat()


def trials_csv(session: Session, experiment_id: int) -> str:
    """Every trial as one CSV row (see `trials_csv_text`), as one string."""
    return "".join(trials_csv_text(session, experiment_id))


def trials_csv_text(session: Session, experiment_id: int) -> Generator[str, None, None]:
    """Every trial as one CSV row: ids, state, value, `param.NAME`, `metric.NAME`, note, error,
    times; in pieces, a batch of trials at a time. A first pass over the trials' parameters and
    metrics finds the columns. Raises NotFound before yielding anything.

    Text that a spreadsheet would run as a formula (starting with =, +, -, @) gets a leading
    apostrophe; numbers are written as they are.
    """
    experiment = get_experiment(session, experiment_id)
    return _csv_rows(session, experiment_id, list(experiment.space))


def _csv_rows(
    session: Session, experiment_id: int, space_names: list[str]
) -> Generator[str, None, None]:
    params, metrics = dict.fromkeys(space_names), {}
    names = select(Trial.params, Trial.metrics).where(Trial.experiment_id == experiment_id)
    for batch in session.execute(names.execution_options(yield_per=EXPORT_BATCH)).partitions():
        for trial_params, trial_metrics in batch:
            params.update(dict.fromkeys(trial_params))
            metrics.update(dict.fromkeys(trial_metrics or {}))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["id", "search_id", "number", "state", "value"]
        + [_cell(f"param.{name}") for name in params]
        + [_cell(f"metric.{name}") for name in metrics]
        + ["note", "error", "started_at", "finished_at"]
    )
    for batch in _trial_batches(session, experiment_id):
        for t in batch:
            error = t.error.splitlines()[0] if t.error else None
            cells = [t.id, t.search_id, t.number, t.state.value, t.value]
            cells += [t.params.get(name) for name in params]
            cells += [(t.metrics or {}).get(name) for name in metrics]
            cells += [t.note, error, _iso(t.started_at), _iso(t.finished_at)]
            writer.writerow([_cell(c) for c in cells])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()  # the header alone when there is no trial


def _cell(value: Any) -> str:
    """A value as a cell; text stored before the limits of app.core.values is mended."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return json.dumps(clean_json(value))
    if isinstance(value, str):
        value = escape_text(value)
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    return str(value)
