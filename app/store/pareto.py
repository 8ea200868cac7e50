"""Reading what the Pareto front needs: each complete trial's declared metrics as one matrix.

A Core select of plain columns, the metrics JSON decoded in one call per batch (as the columnar
read does), so 100,000 trials are a fraction of a second. The first metric is the trial's
value; the others come from its metrics, NaN where a trial lacks one or holds a non-number.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from pydantic_core import from_json
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from app.core.values import metric_number
from app.store.models import Experiment, Trial, TrialState

BATCH = 20_000


def declared_metrics(experiment: Experiment) -> list[dict[str, Any]]:
    """The experiment's metrics; one objective reads as one metric named "value"."""
    return experiment.metrics or [{"name": "value", "direction": experiment.direction.value}]


def metric_matrix(
    session: Session,
    experiment_id: int,
    names: Sequence[str],
    search_ids: Collection[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(trial ids, n x len(names) values) of the complete trials, in id order; the first name
    is the value column."""
    others = list(names[1:])
    query = (
        select(Trial.id, Trial.value, cast(Trial.metrics, Text) if others else Trial.id)
        .where(Trial.experiment_id == experiment_id, Trial.state == TrialState.COMPLETE)
        .order_by(Trial.id)
        .execution_options(yield_per=BATCH)
    )
    if search_ids is not None:
        query = query.where(Trial.search_id.in_(list(search_ids)))
    ids: list[int] = []
    columns: list[list[float]] = [[] for _ in names]
    with _collector_paused():
        _read(session, query, ids, columns, others)
    matrix = np.array(columns, dtype=float).T.reshape(len(ids), len(names))
    return np.array(ids, dtype=np.int64), matrix


def _read(
    session: Session, query: Any, ids: list[int], columns: list[list[float]], others: list[str]
) -> None:
    for batch in session.connection().execute(query).partitions():
        batch_ids, values, texts = zip(*batch, strict=True)
        ids.extend(batch_ids)
        columns[0].extend(math.nan if v is None else v for v in values)
        if others:
            decoded = _decode_all(texts)
            for j, name in enumerate(others, start=1):
                columns[j].extend(metric_number((d or {}).get(name)) for d in decoded)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cycle collector over the read, as the columnar read does: 100,000 rows
    and dicts (none in cycles) would have it walk the whole heap again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _decode_all(texts: Sequence[str | None]) -> list[Any]:
    """Many JSON documents in one call (pydantic's parser; `json.loads` for what it refuses)."""
    document = "[" + ",".join(text or "null" for text in texts) + "]"
    try:
        return from_json(document)
    except ValueError:
        return json.loads(document)
