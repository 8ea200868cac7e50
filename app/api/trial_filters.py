"""Which trials to list, and one page of them: the filters an experiment's trials and a
search's trials share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.api.schemas import TrialRead
from app.api.views import trial_read
from app.store.models import Trial, TrialState
from app.store.trial_reads import list_trials


class TrialFilters(BaseModel):
    """Which trials to list, and one page of them."""

    model_config = ConfigDict(extra="forbid")

    since: int = Field(0, ge=0, le=2**63 - 1, description="Only trials changed after this cursor.")
    state: list[TrialState] | None = Field(None, description="Only trials in these states.")
    value_min: float | None = Field(None, allow_inf_nan=False)
    value_max: float | None = Field(None, allow_inf_nan=False)
    limit: int | None = Field(
        None, ge=1, le=100_000, description="Page size; a `Link: rel=next` header has the rest."
    )


Filters = Annotated[TrialFilters, Query()]


def trial_page(
    request: Request, response: Response, filters: TrialFilters, trials: Sequence[Trial]
) -> list[TrialRead]:
    """The page as rows, with a `Link` to the next page when it is full."""
    if filters.limit is not None and len(trials) == filters.limit:
        following = request.url.include_query_params(since=trials[-1].seq)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return [trial_read(t) for t in trials]


def filtered_trials(session: Session, filters: TrialFilters, **where: int) -> Sequence[Trial]:
    return list_trials(
        session,
        since=filters.since,
        states=filters.state,
        value_min=filters.value_min,
        value_max=filters.value_max,
        limit=filters.limit,
        **where,
    )
