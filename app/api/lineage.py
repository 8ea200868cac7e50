"""Did zooming pay off? Per search of an experiment: trials spent, best, best so far, the EDF of
its values, and per child the gain over its parent's best within the child's region
(`/api/experiments/{id}/lineage`); two searches side by side (`/api/searches/compare`).

The numbers come from app/core/lineage.py over what app/store/lineage.py reads; this module
only turns them into response bodies. It is registered before the searches router, whose
`/api/searches/{search_id}` would otherwise take "compare" for an id.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.errors import ERRORS, FieldError
from app.core import lineage as core
from app.serving import MAX_ID, ExperimentId, SessionDep
from app.store import lineage as reads
from app.store.experiments import get_experiment
from app.store.models import Direction
from app.store.searches import get_search

router = APIRouter(tags=["lineage"])


class EdfRead(BaseModel):
    """The empirical distribution of a search's complete values, as a step line."""

    values: list[float] = Field(description="Values in increasing order (the steps' x).")
    fractions: list[float] = Field(
        description="The fraction of the search's complete values at or below each value."
    )
    n: int = Field(description="Complete values it was made from.")
    exact: bool = Field(
        description=f"Every distinct value is listed (false: quantiles at {core.EDF_POINTS} "
        "evenly spaced fractions, the smallest and the largest value included)."
    )


class GainRead(BaseModel):
    """What a search gained over a baseline search, in the objective's direction."""

    baseline_search_id: int
    search_id: int
    basis: Literal["region", "best"] = Field(
        description='"region": the baseline is the best of the baseline search\'s trials that '
        "lie inside this search's space (a parent and its child, or any ancestor); "
        '"best": its overall best (searches in no line of descent).'
    )
    baseline: float | None = Field(description="null when no baseline trial qualifies.")
    best: float | None = Field(description="This search's best value (null: none complete).")
    gain: float | None = Field(
        description="best - baseline when maximizing, baseline - best when minimizing: "
        "positive means the search did better."
    )
    trials_to_beat: int | None = Field(
        description="Trials of this search spent (in ask order, failed ones too) up to the "
        "first that beat the baseline; null if none did."
    )


class SearchProgressRead(BaseModel):
    """One search's progress and the distribution of its values."""

    id: int
    parent_id: int | None
    trials: int = Field(description="Trials spent: finished (complete, failed or pruned).")
    complete: int
    best: float | None
    best_so_far: list[tuple[int, float]] = Field(
        description="[trials spent, best so far] where the best changed (trials spent is the "
        "trial's number + 1), and at the last finished trial: a few points even at 100,000."
    )
    edf: EdfRead


class SearchLineageRead(SearchProgressRead):
    """A search in the experiment's tree, with its gain over its parent."""

    start: int = Field(
        description="Where the search's line starts on a shared axis of trials spent: its "
        "parent's start plus the parent's trials finished when it was made (0 for a root)."
    )
    at_creation: int = Field(
        description="The parent's trials that had finished when this search was made."
    )
    gain: GainRead | None = Field(
        description="Over the parent's best within this search's region (null for a root)."
    )


class LineageRead(BaseModel):
    """Every search of an experiment, parents before children."""

    experiment_id: int
    direction: Direction
    searches: list[SearchLineageRead]


class ComparisonRead(BaseModel):
    """Two searches of one experiment, and the later one's gain over the earlier."""

    direction: Direction
    relation: Literal["same", "ancestor", "descendant", "unrelated"] = Field(
        description="How a stands to b: a is b's ancestor (its parent or further up), its "
        "descendant, the same search, or neither."
    )
    a: SearchProgressRead
    b: SearchProgressRead
    gain: GainRead = Field(
        description="The descendant over the ancestor's best inside the descendant's space; "
        "for unrelated searches, b's best against a's."
    )


SearchQuery = Annotated[int, Query(ge=1, le=MAX_ID, description="A search id.")]


@router.get(
    "/api/experiments/{experiment_id}/lineage",
    response_model=LineageRead,
    responses=ERRORS,
)
def experiment_lineage(experiment_id: ExperimentId, session: SessionDep) -> LineageRead:
    """Did zooming pay off: per search, trials spent, best value, best so far against trials
    spent and the EDF of its values; per child, the gain over its parent's best within the
    child's region and the trials it took to beat it."""
    experiment = get_experiment(session, experiment_id)
    direction = experiment.direction
    found = core.lineage(reads.search_runs(session, experiment.searches), direction.value)
    return LineageRead.model_validate(
        {
            "experiment_id": experiment.id,
            "direction": direction,
            "searches": [dataclasses.asdict(s) for s in found],
        }
    )


@router.get(
    "/api/searches/compare",
    response_model=ComparisonRead,
    responses=ERRORS,
)
def compare_searches(a: SearchQuery, b: SearchQuery, session: SessionDep) -> ComparisonRead:
    """Two searches side by side: trials spent, bests, best so far, EDFs, and the gain of
    the later over the earlier (in the later's region when one descends from the other)."""
    first, second = get_search(session, a), get_search(session, b)
    if first.experiment_id != second.experiment_id:
        raise FieldError(
            ["query", "b"],
            f"search {b} belongs to experiment {second.experiment_id}, search {a} to "
            f"experiment {first.experiment_id}: compare searches of one experiment, whose "
            "values measure the same objective",
        )
    direction = first.experiment.direction
    runs = reads.search_runs(session, [first] if a == b else [first, second])
    related = reads.relation(session, first, second)
    found = core.compare(runs[0], runs[-1], related, direction.value)
    return ComparisonRead.model_validate({"direction": direction, **dataclasses.asdict(found)})
