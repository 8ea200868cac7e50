"""Objectives that workers registered, so the server accepts experiments that use them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.objectives import ObjectiveSpec
from app.store.models import Direction, RegisteredObjective, utcnow


def register_objectives(session: Session, specs: Iterable[ObjectiveSpec], worker: str) -> None:
    """Insert or refresh each objective a worker runs."""
    for spec in specs:
        row = session.get(RegisteredObjective, spec.name) or RegisteredObjective(name=spec.name)
        row.direction = Direction(spec.direction)
        row.description = spec.description
        row.space = spec.space
        row.worker = worker
        row.updated_at = utcnow()
        session.add(row)


def registered_objectives(session: Session) -> list[ObjectiveSpec]:
    """Every objective a worker registered, by name."""
    rows = session.scalars(select(RegisteredObjective).order_by(RegisteredObjective.name))
    return [
        ObjectiveSpec(r.name, f"worker:{r.name}", r.direction.value, r.description, r.space)
        for r in rows
    ]
