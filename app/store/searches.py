"""Searches: made (a root from scratch, or refined from a parent over a region), read, and the
trials of a search's subtree that regions and previews are computed from."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.preview import TrialPoint
from app.core.pruners import make_pruner
from app.core.region import narrow, region_of
from app.core.samplers import make_sampler
from app.core.space import SearchSpace, SpaceError
from app.core.values import note_text
from app.store.errors import Conflict, NotFound
from app.store.models import (
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    Search,
    SearchStatus,
    Trial,
    TrialState,
)
from app.store.statements import FINAL, changed


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


@dataclass(frozen=True)
class SearchSettings:
    """How a search samples: its budget, the sampler and its options, a pruner, the seed (None:
    a fresh one). One object from the request to the row, checked once (`new_search`)."""

    n_trials: int
    sampler: str = "random"
    options: dict[str, Any] | None = None
    pruner: dict[str, Any] | None = None
    seed: int | None = None


def refine_search(
    session: Session,
    parent_id: int,
    *,
    region: dict[str, Any],
    settings: SearchSettings,
    heartbeat_timeout: float | None = None,
    max_retries: int | None = None,
    note: str | None = None,
) -> Search:
    """Create a child search over `region` of the parent's space; invalid regions raise a
    SpaceError under `region`. The child keeps the parent's reaping policy where not given one;
    `note` says why this region."""
    parent = get_search(session, parent_id)
    parent_space = parent.search_space
    try:
        child_space = narrow(parent_space, region)
    except SpaceError as exc:
        exc.under("region")
        raise
    child = new_search(
        child_space,
        settings,
        Reaping(parent.heartbeat_timeout, parent.max_retries).but(heartbeat_timeout, max_retries),
        experiment_id=parent.experiment_id,
        parent_id=parent.id,
        region=region_of(parent_space, child_space),
        note=note,
    )
    session.add(child)
    session.flush()
    changed(session, child.experiment_id)  # the tree has a new search
    return child


def new_search(
    space: SearchSpace,
    settings: SearchSettings,
    policy: Reaping,
    note: str | None = None,
    **links: Any,
) -> Search:
    """A validated search ready to insert, reaped by `policy`, with a `note` (why it was made);
    `links` place it (experiment, parent, region)."""
    check_search(space, settings)
    note = note_text(note)
    return Search(
        sampler=settings.sampler,
        sampler_options=settings.options or None,
        pruner=settings.pruner,
        seed=new_seed() if settings.seed is None else settings.seed,
        n_trials=settings.n_trials,
        space=space.to_dict(),
        n_asked=0,
        n_finished=0,
        heartbeat_timeout=policy.heartbeat_timeout,
        max_retries=policy.max_retries,
        note=note,
        **links,
    )


def check_search(space: SearchSpace, settings: SearchSettings) -> None:
    """Refuse a search that could not run: unknown sampler or options, impossible budget."""
    make_sampler(settings.sampler, settings.options).check(space, settings.n_trials)
    make_pruner(settings.pruner)


def get_search(session: Session, search_id: int) -> Search:
    """One search or NotFound; always re-read, since ask/tell update rows in bulk."""
    search = session.get(Search, search_id, populate_existing=True)
    if search is None:
        raise NotFound("search", search_id)
    return search


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


def ancestor_ids(session: Session, search: Search) -> list[int]:
    """The search's parent, its parent's parent and so on up to the root, root first."""
    found: list[int] = []
    parent_id = search.parent_id
    while parent_id is not None and parent_id not in found:
        found.append(parent_id)
        parent_id = session.execute(
            select(Search.parent_id).where(Search.id == parent_id)
        ).scalar_one_or_none()
    return found[::-1]


def finished_trial_rows(
    session: Session, search_ids: Iterable[int]
) -> list[tuple[int, int, dict[str, Any], float | None]]:
    """(trial id, search id, params, value) of the finished trials of these searches, by
    search and number; a value of None for failed or pruned trials."""
    rows = session.execute(
        select(Trial.id, Trial.search_id, Trial.params, Trial.value, Trial.state)
        .where(
            Trial.search_id.in_(list(search_ids)),
            Trial.state.in_(FINAL),
        )
        .order_by(Trial.search_id, Trial.number)
    )
    return [(i, s, p, v if st is TrialState.COMPLETE else None) for i, s, p, v, st in rows]


def trial_points(session: Session, search_ids: Iterable[int]) -> list[TrialPoint]:
    """Every trial of these searches (any state) as the region preview reads them."""
    rows = session.execute(
        select(Trial.id, Trial.params, Trial.value, Trial.state)
        .where(Trial.search_id.in_(list(search_ids)))
        .order_by(Trial.id)
    )
    return [TrialPoint(i, p, v, s.value) for i, p, v, s in rows]


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
    changed(session, search.experiment_id)
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
    changed(session, search.experiment_id)
    return get_search(session, search_id)
