"""Changing experiments and searches after they start: rename, delete, stop, resume."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.store.errors import Conflict
from app.store.experiments import get_experiment, get_search
from app.store.models import Experiment, Search, SearchStatus


def rename_experiment(session: Session, experiment_id: int, name: str) -> Experiment:
    """Give an experiment a new name."""
    experiment = get_experiment(session, experiment_id)
    experiment.name = name
    session.flush()
    return experiment


def delete_experiment(session: Session, experiment_id: int, confirm: str | None) -> None:
    """Delete an experiment with all its searches and trials; `confirm` must be its name."""
    experiment = get_experiment(session, experiment_id)
    if confirm != experiment.name:
        raise Conflict(
            f"deleting experiment {experiment_id} removes all its trials: repeat its name "
            f"as `confirm` ({experiment.name!r}) to go ahead"
        )
    session.delete(experiment)
    session.flush()


def stop_search(session: Session, search_id: int) -> Search:
    """Hand out no more trials of this search; running ones finish and are recorded."""
    search = get_search(session, search_id)
    if search.status is SearchStatus.DONE:
        raise Conflict(f"search {search_id} is done; there is nothing to stop")
    session.execute(
        update(Search)
        .where(Search.id == search_id, Search.status != SearchStatus.DONE)
        .values(status=SearchStatus.STOPPED)
        .execution_options(synchronize_session=False)
    )
    return get_search(session, search_id)


def resume_search(session: Session, search_id: int) -> Search:
    """Let workers pick up a stopped search again."""
    search = get_search(session, search_id)
    if search.status is not SearchStatus.STOPPED:
        raise Conflict(f"search {search_id} is {search.status.value}, not stopped")
    status = SearchStatus.RUNNING if search.n_asked else SearchStatus.QUEUED
    if search.n_finished >= search.n_trials:
        status = SearchStatus.DONE
    session.execute(
        update(Search)
        .where(Search.id == search_id, Search.status == SearchStatus.STOPPED)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    return get_search(session, search_id)
