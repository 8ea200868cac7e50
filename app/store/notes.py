"""Notes a person keeps on an experiment, a search and a trial: set, replaced or cleared.

Each write starts with its UPDATE (see docs/architecture.md: a SQLite writer then waits on the
busy timeout), touches only the note, and is refused as a 404 when the row does not exist.
A trial's note takes the experiment's next change number like any trial write, so a page
following the trials with `since` sees it; the trial keeps its place (its id), so the page
replaces it rather than adding it twice. The experiment's and a search's note take one too
(`statements.changed`): the page's cursor moves, and it reads the experiment and its tree again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from app.core.values import note_text
from app.store.errors import NotFound
from app.store.experiments import get_experiment
from app.store.models import Experiment, Search, Trial
from app.store.searches import get_search
from app.store.statements import changed, stamp


def set_experiment_note(session: Session, experiment_id: int, note: str | None) -> Experiment:
    """Replace the experiment's note (None or blank text clears it)."""
    changed(session, _write(session, Experiment, Experiment.id, "experiment", experiment_id, note))
    return get_experiment(session, experiment_id)


def set_search_note(session: Session, search_id: int, note: str | None) -> Search:
    """Replace the search's note (None or blank text clears it)."""
    changed(session, _write(session, Search, Search.experiment_id, "search", search_id, note))
    return get_search(session, search_id)


def set_trial_note(session: Session, trial_id: int, note: str | None) -> Trial:
    """Replace the trial's note (None or blank text clears it); the trial takes a new change
    number, and nothing else of it changes (a running trial's worker is not disturbed)."""
    experiment_id = _write(session, Trial, Trial.experiment_id, "trial", trial_id, note)
    stamp(session, trial_id, experiment_id)
    trial = session.get(Trial, trial_id, populate_existing=True)
    assert trial is not None  # written above, in this transaction
    return trial


def _write(
    session: Session,
    table: type[Experiment | Search | Trial],
    owner: ColumnElement[int],
    kind: str,
    row_id: int,
    note: Any,
) -> int:
    """Set the note of row `row_id` of `table`; the row's experiment (`owner`), or NotFound."""
    text = note_text(note)
    statement = update(table).where(table.id == row_id).values(note=text).returning(owner)
    experiment_id = session.connection().execute(statement).scalar_one_or_none()
    if experiment_id is None:
        raise NotFound(kind, row_id)
    return experiment_id
