"""The answer to a dry-run refine: what the page's region panel draws, computed by app/core."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.core.preview import ParamRange, Preview, Stats


class StatsRead(BaseModel):
    """How the trials on one side of the region fared."""

    count: int
    best: float | None
    best_id: int | None = Field(description="The trial with the best value.")
    median: float | None = Field(description="Of the completed trials' values.")
    failure_rate: float | None = Field(description="Failed among finished trials.")


class ProblemRead(BaseModel):
    """Why the region cannot be refined, with the field it is about."""

    loc: list[str]
    msg: str


class EdgeRead(BaseModel):
    """The best trials inside crowd one side of a parameter's range."""

    param: str
    side: str
    message: str


class ParamRangeRead(BaseModel):
    """What a parameter could be narrowed to (the page offers it for those off its axes)."""

    span: list[Any] | None = Field(description="What the selected trials use.")
    span_problem: str | None
    suggested: list[Any] | None = Field(description="Around the best trials inside.")
    suggested_problem: str | None


class RefinePreview(BaseModel):
    """What a refine with this body would create, and how the region's trials compare."""

    region: dict[str, Any] = Field(description="The child's region, canonical, in real units.")
    problems: list[ProblemRead] = Field(description="Empty when the refine would succeed.")
    inside: StatsRead
    outside: StatsRead
    selected: int = Field(description="Trials inside the region and the value_range.")
    edges: list[EdgeRead]
    ranges: dict[str, ParamRangeRead] = Field(description="For every parameter.")


def _stats(s: Stats) -> StatsRead:
    return StatsRead(**vars(s))


def _range(o: ParamRange) -> ParamRangeRead:
    return ParamRangeRead(**vars(o))


def preview_read(p: Preview) -> RefinePreview:
    """The core's preview in the API's shape; problem locations are those of the request."""
    return RefinePreview(
        region=p.region,
        problems=[ProblemRead(loc=["body", "region", *e.loc], msg=e.problem) for e in p.problems],
        inside=_stats(p.inside),
        outside=_stats(p.outside),
        selected=p.selected,
        edges=[EdgeRead(**vars(e)) for e in p.edges],
        ranges={name: _range(o) for name, o in p.ranges.items()},
    )
