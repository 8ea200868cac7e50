"""Objectives that workers registered, so the server accepts experiments that use them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.values import Loc, ValueProblem, check_json, check_text, clean_json
from app.objectives import ObjectiveSpec
from app.store.models import Direction, RegisteredObjective, utcnow


def register_objectives(session: Session, specs: Iterable[ObjectiveSpec], worker: str) -> None:
    """Insert or refresh each objective a worker runs (an upsert: workers start together).

    Raises ValueProblem, located at `(index, field, ...)`, for an objective whose space or text
    could not be read back (app.core.values), before writing anything."""
    specs = list(specs)
    for i, spec in enumerate(specs):
        check_objective(spec, (i,))
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


def check_objective(spec: ObjectiveSpec, loc: Loc = ()) -> None:
    """Raise ValueProblem unless the objective's name, description and space can be stored
    and read back: a space nested 300 deep made every GET /api/objectives a 500."""
    check_text(spec.name, (*loc, "name"), max_chars=200)
    check_text(spec.description, (*loc, "description"))
    if not isinstance(spec.space, dict):
        raise ValueProblem((*loc, "space"), "must be a JSON object")
    check_json(spec.space, (*loc, "space"))


def registered_objectives(session: Session) -> list[ObjectiveSpec]:
    """Every objective a worker registered, by name (a space stored before the limits is
    mended for reading, not refused)."""
    rows = session.scalars(select(RegisteredObjective).order_by(RegisteredObjective.name))
    return [
        ObjectiveSpec(
            r.name, f"worker:{r.name}", r.direction.value, r.description, clean_json(r.space)
        )
        for r in rows
    ]
