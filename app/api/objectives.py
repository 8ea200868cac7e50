"""/api/objectives: what experiments can be run on this server."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from app.api.deps import ObjectivesDep
from app.api.schemas import ObjectiveRead
from app.objectives import ObjectiveSpec

router = APIRouter(prefix="/api/objectives", tags=["objectives"])


class ObjectiveListed(ObjectiveRead):
    """An objective the operator registered, with what its value measures."""

    value_label: str | None = Field(
        default=None,
        description="What the value measures, for axis titles (e.g. `validation accuracy`): "
        "the objective's own label, else the name of its metric; null when it says neither.",
    )


def value_label(spec: ObjectiveSpec) -> str | None:
    """The objective's label for its value, else the metric it reports, if any."""
    return spec.value_label or spec.metric


@router.get("", response_model=list[ObjectiveListed])
def list_objectives(objectives: ObjectivesDep) -> list[ObjectiveListed]:
    """The registered objectives with their direction, default space and value label."""
    return [
        ObjectiveListed(
            name=s.name,
            direction=s.direction,
            description=s.description,
            space=s.space,
            value_label=value_label(s),
        )
        for s in objectives.values()
    ]
