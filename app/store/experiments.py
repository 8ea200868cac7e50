"""Create and read experiments and their tree of searches."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.preview import TrialPoint
from app.core.pruners import make_pruner
from app.core.region import narrow, region_of
from app.core.samplers import make_sampler
from app.core.space import SearchSpace, SpaceError
from app.store.errors import NotFound
from app.store.models import (
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    Direction,
    Experiment,
    Search,
    Trial,
    TrialState,
)


def new_seed() -> int:
    """A random seed that fits a 32-bit column and a JavaScript number."""
    return secrets.randbelow(2**31)


@dataclass(frozen=True)
class Reaping:
    """A search's reaping policy: seconds a running trial may stay silent before it is lost,
    and how often a lost trial is retried before it fails."""

    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES

    def but(self, heartbeat_timeout: float | None, max_retries: int | None) -> Reaping:
        """This policy with what is given (not None) replaced."""
        return Reaping(
            self.heartbeat_timeout if heartbeat_timeout is None else heartbeat_timeout,
            self.max_retries if max_retries is None else max_retries,
        )


def create_experiment(
    session: Session,
    *,
    name: str,
    objective: str,
    direction: Direction,
    space: SearchSpace,
    sampler: str = "random",
    sampler_options: dict[str, Any] | None = None,
    pruner: dict[str, Any] | None = None,
    n_trials: int,
    seed: int | None = None,
    policy: Reaping | None = None,
) -> tuple[Experiment, Search]:
    """Store an experiment and its root search, which workers pick up at once."""
    experiment = Experiment(
        name=name, objective=objective, direction=direction, space=space.to_dict(), seq=0
    )
    root = _new_search(
        space,
        sampler,
        sampler_options,
        pruner,
        n_trials,
        seed,
        policy or Reaping(),
        experiment=experiment,
    )
    session.add_all([experiment, root])
    session.flush()
    return experiment, root


def refine_search(
    session: Session,
    parent_id: int,
    *,
    region: dict[str, Any],
    n_trials: int,
    sampler: str = "random",
    sampler_options: dict[str, Any] | None = None,
    pruner: dict[str, Any] | None = None,
    seed: int | None = None,
    heartbeat_timeout: float | None = None,
    max_retries: int | None = None,
) -> Search:
    """Create a child search over `region` of the parent's space; invalid regions raise a
    SpaceError under `region`. The child keeps the parent's reaping policy where not given one."""
    parent = get_search(session, parent_id)
    parent_space = SearchSpace.from_dict(parent.space)
    try:
        child_space = narrow(parent_space, region)
    except SpaceError as exc:
        exc.under("region")
        raise
    child = _new_search(
        child_space,
        sampler,
        sampler_options,
        pruner,
        n_trials,
        seed,
        Reaping(parent.heartbeat_timeout, parent.max_retries).but(heartbeat_timeout, max_retries),
        experiment_id=parent.experiment_id,
        parent_id=parent.id,
        region=region_of(parent_space, child_space),
    )
    session.add(child)
    session.flush()
    return child


def _new_search(
    space: SearchSpace,
    sampler: str,
    options: dict[str, Any] | None,
    pruner: dict[str, Any] | None,
    n_trials: int,
    seed: int | None,
    policy: Reaping,
    **links: Any,
) -> Search:
    """A validated search ready to insert, reaped by `policy`; `links` place it (experiment,
    parent, region)."""
    _check_search(space, sampler, options, pruner, n_trials)
    return Search(
        sampler=sampler,
        sampler_options=options or None,
        pruner=pruner,
        seed=new_seed() if seed is None else seed,
        n_trials=n_trials,
        space=space.to_dict(),
        n_asked=0,
        n_finished=0,
        heartbeat_timeout=policy.heartbeat_timeout,
        max_retries=policy.max_retries,
        **links,
    )


def _check_search(
    space: SearchSpace,
    sampler: str,
    options: dict[str, Any] | None,
    pruner: dict[str, Any] | None,
    n_trials: int,
) -> None:
    """Refuse a search that could not run: unknown sampler or options, impossible budget."""
    make_sampler(sampler, options).check(space, n_trials)
    make_pruner(pruner)


def list_experiments(session: Session) -> list[Experiment]:
    """Every experiment, newest first."""
    return list(session.scalars(select(Experiment).order_by(Experiment.id.desc())))


def get_experiment(session: Session, experiment_id: int) -> Experiment:
    """One experiment or NotFound; always re-read, since ask/tell update rows in bulk."""
    experiment = session.get(Experiment, experiment_id, populate_existing=True)
    if experiment is None:
        raise NotFound("experiment", experiment_id)
    return experiment


def get_search(session: Session, search_id: int) -> Search:
    """One search or NotFound; always re-read, since ask/tell update rows in bulk."""
    search = session.get(Search, search_id, populate_existing=True)
    if search is None:
        raise NotFound("search", search_id)
    return search


def count_trials(session: Session, search_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Trials per state for each search: {search_id: {state: n}} with every state present."""
    ids = list(search_ids)
    counts: dict[int, dict[str, int]] = {i: {s.value: 0 for s in TrialState} for i in ids}
    if not ids:
        return counts
    rows = session.execute(
        select(Trial.search_id, Trial.state, func.count())
        .where(Trial.search_id.in_(ids))
        .group_by(Trial.search_id, Trial.state)
    )
    for search_id, state, n in rows:
        counts[search_id][TrialState(state).value] = n
    return counts


def best_values(
    session: Session, search_ids: Iterable[int], direction: Direction
) -> dict[int, float | None]:
    """The best complete value of each search (None before the first one).

    One min or max per search, which the (search_id, state, value) index answers with a
    lookup; a GROUP BY over the searches would visit every complete trial instead.
    """
    ids = list(search_ids)
    agg = func.max if direction is Direction.MAXIMIZE else func.min
    best = (
        select(agg(Trial.value))
        .where(Trial.search_id == Search.id, Trial.state == TrialState.COMPLETE)
        .scalar_subquery()
    )
    rows = session.execute(select(Search.id, best).where(Search.id.in_(ids)))
    found: dict[int, float | None] = dict.fromkeys(ids)
    found.update({search_id: value for search_id, value in rows})
    return found


def progress(
    session: Session, searches: Sequence[Search]
) -> tuple[dict[int, dict[str, int]], dict[int, float | None]]:
    """count_trials and best_values of searches of one experiment (no query for none)."""
    if not searches:
        return {}, {}
    ids = [s.id for s in searches]
    return count_trials(session, ids), best_values(session, ids, searches[0].experiment.direction)


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


def subtree_ids(session: Session, search: Search) -> list[int]:
    """The search and all its descendants (refinements of refinements), parents first."""
    children: dict[int | None, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Search.id, Search.parent_id)
        .where(Search.experiment_id == search.experiment_id)
        .order_by(Search.id)
    )
    for search_id, parent_id in rows:
        children[parent_id].append(search_id)
    found, frontier = [], [search.id]
    while frontier:
        current = frontier.pop(0)
        found.append(current)
        frontier.extend(children[current])
    return found


def finished_trials(
    session: Session, search_ids: Iterable[int]
) -> list[tuple[dict[str, Any], float | None]]:
    """(params, value) of the finished trials of these searches; None for failed or pruned."""
    rows = session.execute(
        select(Trial.params, Trial.value, Trial.state)
        .where(
            Trial.search_id.in_(list(search_ids)),
            Trial.state.in_([TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED]),
        )
        .order_by(Trial.search_id, Trial.number)
    )
    return [(p, v if s is TrialState.COMPLETE else None) for p, v, s in rows]


def trial_points(session: Session, search_ids: Iterable[int]) -> list[TrialPoint]:
    """Every trial of these searches (any state) as the region preview reads them."""
    rows = session.execute(
        select(Trial.id, Trial.params, Trial.value, Trial.state)
        .where(Trial.search_id.in_(list(search_ids)))
        .order_by(Trial.id)
    )
    return [TrialPoint(i, p, v, s.value) for i, p, v, s in rows]


def add_root_search(
    session: Session,
    experiment_id: int,
    *,
    space: SearchSpace | None = None,
    sampler: str = "random",
    sampler_options: dict[str, Any] | None = None,
    pruner: dict[str, Any] | None = None,
    n_trials: int,
    seed: int | None = None,
    policy: Reaping | None = None,
) -> Search:
    """A new search from scratch in an existing experiment (its space by default)."""
    experiment = get_experiment(session, experiment_id)
    space = space or SearchSpace.from_dict(experiment.space)
    search = _new_search(
        space,
        sampler,
        sampler_options,
        pruner,
        n_trials,
        seed,
        policy or Reaping(),
        experiment_id=experiment.id,
    )
    session.add(search)
    session.flush()
    return search
