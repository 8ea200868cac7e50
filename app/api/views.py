"""Turn stored rows into response bodies (counts and best values come from the store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.api.schemas import (
    ExperimentRead,
    ExperimentSummary,
    IncumbentRead,
    SearchRead,
    SuggestedRegionRead,
    TrialColumns,
    TrialRead,
)
from app.core.region import Incumbent, SuggestedRegion
from app.core.values import clean_json
from app.store.experiments import progress, summarize
from app.store.models import Experiment, Search, Trial
from app.store.trial_reads import TrialColumns as StoredColumns


def search_reads(session: Session, searches: Sequence[Search]) -> list[SearchRead]:
    """Searches (of one experiment) with their per-state counts and best values."""
    return _search_reads(searches, *progress(session, searches))


def _search_reads(
    searches: Sequence[Search], counts: dict[int, dict[str, int]], best: dict[int, float | None]
) -> list[SearchRead]:
    return [
        SearchRead(
            id=s.id,
            experiment_id=s.experiment_id,
            parent_id=s.parent_id,
            sampler=s.sampler,
            sampler_options=s.sampler_options,
            pruner=s.pruner,
            seed=s.seed,
            n_trials=s.n_trials,
            status=s.status,
            space=s.space,
            region=s.region,
            heartbeat_timeout=s.heartbeat_timeout,
            max_retries=s.max_retries,
            counts=counts[s.id],
            best_value=best[s.id],
            note=s.note,
            created_at=s.created_at,
        )
        for s in searches
    ]


def experiment_summary(session: Session, experiment: Experiment) -> ExperimentSummary:
    """An experiment for the list."""
    return ExperimentSummary.model_validate(
        summarize(experiment, *progress(session, experiment.searches))
    )


def experiment_read(session: Session, experiment: Experiment) -> ExperimentRead:
    """An experiment with its space and searches."""
    counts, best = progress(session, experiment.searches)
    fields = summarize(experiment, counts, best)
    searches = _search_reads(experiment.searches, counts, best)
    return ExperimentRead.model_validate(
        {
            **fields,
            "space": experiment.space,
            "note": experiment.note,
            "metrics": experiment.metrics,
            "searches": searches,
        }
    )


def trial_read(trial: Trial) -> TrialRead:
    """One trial; JSON stored before the limits of app.core.values is mended for sending
    (one pass over its parameters and metrics, the same objects when they are fine)."""
    read = TrialRead.model_validate(trial, from_attributes=True)
    read.params, read.metrics = clean_json(read.params), clean_json(read.metrics)
    return read


def trial_columns(columns: StoredColumns) -> TrialColumns:
    """The store's columns as the response body, mended as `trial_read` mends a trial: only
    columns holding text or nested values are looked at, so plain numbers cost one pass at
    C speed."""
    fields = vars(columns) | {
        "params": _clean_columns(columns.params),
        "metrics": _clean_columns(columns.metrics),
    }
    return TrialColumns(**fields)


_PLAIN = frozenset({int, float, bool, type(None)})


def _clean_columns(named: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Names and columns mended; a column of plain numbers is passed as it is (most are)."""
    return {
        clean_json(name): column if _PLAIN.issuperset(map(type, column)) else clean_json(column)
        for name, column in named.items()
    }


def suggested_region_read(
    found: SuggestedRegion, trial_ids: Sequence[tuple[int, int]]
) -> SuggestedRegionRead:
    """The answer of suggest-region; `trial_ids` are (trial id, search id) of the lineage's
    trials in the order the suggestion counted them (`Incumbent.index`)."""

    def read(best: Incumbent | None) -> IncumbentRead | None:
        if best is None:
            return None
        trial_id, of_search = trial_ids[best.index]
        return IncumbentRead(
            trial_id=trial_id,
            search_id=of_search,
            value=best.value,
            params=best.params,
            inside=best.inside,
            in_box=best.in_box,
        )

    return SuggestedRegionRead(
        region=found.region,
        edges=[vars(e) for e in found.edges],
        n_complete=found.n_complete,
        warning=found.warning,
        incumbent=read(found.incumbent),
        incumbent_inside=found.incumbent.inside if found.incumbent else None,
        best_inside=read(found.best_inside),
        widened=found.widened,
        optimum=found.optimum,
    )
