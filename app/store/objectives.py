"""Objectives that workers registered, so the server accepts experiments that use them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.objectives import ObjectiveSpec
from app.store.models import Direction, RegisteredObjective, utcnow


def register_objectives(session: Session, specs: Iterable[ObjectiveSpec], worker: str) -> None:
    """Insert or refresh each objective a worker runs (an upsert: workers start together)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for spec in specs:
        values = {
            "name": spec.name,
            "direction": Direction(spec.direction),
            "description": spec.description,
            "space": spec.space,
            "worker": worker,
            "updated_at": utcnow(),
        }
        statement = insert(RegisteredObjective).values(**values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["name"], set_={k: v for k, v in values.items() if k != "name"}
            )
        )


def registered_objectives(session: Session) -> list[ObjectiveSpec]:
    """Every objective a worker registered, by name."""
    rows = session.scalars(select(RegisteredObjective).order_by(RegisteredObjective.name))
    return [
        ObjectiveSpec(r.name, f"worker:{r.name}", r.direction.value, r.description, r.space)
        for r in rows
    ]
