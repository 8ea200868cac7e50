"""/api/objectives: what experiments can be run on this server."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ObjectivesDep
from app.api.schemas import ObjectiveRead

router = APIRouter(prefix="/api/objectives", tags=["objectives"])


@router.get("", response_model=list[ObjectiveRead])
def list_objectives(objectives: ObjectivesDep) -> list[ObjectiveRead]:
    """The registered objectives with their direction and default space."""
    return [
        ObjectiveRead(name=s.name, direction=s.direction, description=s.description, space=s.space)
        for s in objectives.values()
    ]
