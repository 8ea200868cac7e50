"""Create and read experiments and their tree of searches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.metrics import check_metrics
from app.core.space import SearchSpace
from app.core.values import note_text
from app.store.errors import Conflict, NotFound
from app.store.models import (
    Direction,
    Experiment,
    Search,
    TrialState,
)
from app.store.searches import Reaping, SearchSettings, new_search
from app.store.statements import changed
from app.store.tallies import tally


def create_experiment(
    session: Session,
    *,
    name: str,
    objective: str,
    direction: Direction,
    space: SearchSpace,
    settings: SearchSettings,
    policy: Reaping | None = None,
    note: str | None = None,
    search_note: str | None = None,
    metrics: list[dict[str, Any]] | None = None,
) -> tuple[Experiment, Search]:
    """Store an experiment and its root search, which workers pick up at once; `note` is the
    experiment's, `search_note` the root search's. `metrics` (checked by app.core.metrics)
    declares several objectives: the first is the value and sets `direction`."""
    if metrics:
        metrics = check_metrics(metrics)
        direction = Direction(metrics[0]["direction"])
    experiment = Experiment(
        name=name,
        objective=objective,
        direction=direction,
        space=space.to_dict(),
        seq=0,
        note=note_text(note),
        metrics=metrics or None,
    )
    root = new_search(space, settings, policy or Reaping(), search_note, experiment=experiment)
    session.add_all([experiment, root])
    session.flush()
    return experiment, root


def list_experiments(session: Session) -> list[Experiment]:
    """Every experiment, newest first."""
    return list(session.scalars(select(Experiment).order_by(Experiment.id.desc())))


def get_experiment(session: Session, experiment_id: int) -> Experiment:
    """One experiment or NotFound; always re-read, since ask/tell update rows in bulk."""
    experiment = session.get(Experiment, experiment_id, populate_existing=True)
    if experiment is None:
        raise NotFound("experiment", experiment_id)
    return experiment


def count_trials(session: Session, search_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Trials per state for each search: {search_id: {state: n}} with every state present."""
    return _tallies(session, search_ids)[0]


def best_values(session: Session, search_ids: Iterable[int]) -> dict[int, float | None]:
    """The best complete value of each search (None before the first one)."""
    return _tallies(session, search_ids)[1]


def progress(
    session: Session, searches: Sequence[Search]
) -> tuple[dict[int, dict[str, int]], dict[int, float | None]]:
    """count_trials and best_values of searches (no query for none)."""
    if not searches:
        return {}, {}
    return _tallies(session, [s.id for s in searches])


def _tallies(
    session: Session, search_ids: Iterable[int]
) -> tuple[dict[int, dict[str, int]], dict[int, float | None]]:
    """Counts and bests as the searches' rows keep them (app.store.tallies): one read of a row
    per search, whatever its number of trials. Read afresh, not from the session's objects,
    which bulk updates (ask, tell) leave as they were."""
    ids = list(search_ids)
    counts: dict[int, dict[str, int]] = {i: {s.value: 0 for s in TrialState} for i in ids}
    best: dict[int, float | None] = dict.fromkeys(ids)
    if not ids:
        return counts, best
    states = list(TrialState)
    rows = session.execute(
        select(Search.id, Search.best_value, *(tally(s) for s in states)).where(Search.id.in_(ids))
    )
    for search_id, value, *numbers in rows:
        counts[search_id] = {s.value: n for s, n in zip(states, numbers, strict=True)}
        best[search_id] = value
    return counts, best


def summarize(
    experiment: Experiment, counts: dict[int, dict[str, int]], best: dict[int, float | None]
) -> dict[str, Any]:
    """An experiment's totals over its searches, from their `progress`: what its row in the
    list of experiments shows."""
    searches = experiment.searches
    found = [best[s.id] for s in searches if best[s.id] is not None]
    pick = max if experiment.direction is Direction.MAXIMIZE else min
    return {
        "id": experiment.id,
        "name": experiment.name,
        "objective": experiment.objective,
        "direction": experiment.direction,
        "created_at": experiment.created_at,
        "root_search_id": next((s.id for s in searches if s.parent_id is None), None),
        "n_searches": len(searches),
        "n_trials": sum(s.n_trials for s in searches),
        "counts": {t.value: sum(counts[s.id][t.value] for s in searches) for t in TrialState},
        "best_value": pick(found) if found else None,
    }


def experiment_summary(session: Session, experiment: Experiment) -> dict[str, Any]:
    """An experiment's row in the list of experiments (see `summarize`)."""
    return summarize(experiment, *progress(session, experiment.searches))


def add_root_search(
    session: Session,
    experiment_id: int,
    *,
    space: SearchSpace | None = None,
    settings: SearchSettings,
    policy: Reaping | None = None,
    note: str | None = None,
) -> Search:
    """A new search from scratch in an existing experiment (its space by default), with a
    `note` saying why."""
    experiment = get_experiment(session, experiment_id)
    space = space or SearchSpace.from_dict(experiment.space)
    search = new_search(space, settings, policy or Reaping(), note, experiment_id=experiment.id)
    session.add(search)
    session.flush()
    changed(session, experiment.id)  # the tree has a new search
    return search


def rename_experiment(session: Session, experiment_id: int, name: str) -> Experiment:
    """Give an experiment a new name."""
    experiment = get_experiment(session, experiment_id)
    experiment.name = name
    session.flush()
    changed(session, experiment_id)
    return get_experiment(session, experiment_id)  # with its new seq


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
