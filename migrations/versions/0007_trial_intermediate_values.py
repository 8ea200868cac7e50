"""Intermediate values get a table named for them: `trial_values` read like the objective's
values (Optuna renamed theirs for the same reason). Rows are copied, ids kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "id, trial_id, search_id, step, value"


def _create(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["searches.id"],
            name=op.f(f"fk_{name}_search_id_searches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.id"],
            name=op.f(f"fk_{name}_trial_id_trials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("trial_id", "step", name=op.f(f"uq_{name}_trial_id_step")),
    )
    op.create_index(op.f(f"ix_{name}_search_id_step"), name, ["search_id", "step"])


def _move(old: str, new: str) -> None:
    _create(new)
    op.execute(f"INSERT INTO {new} ({_COLUMNS}) SELECT {_COLUMNS} FROM {old}")
    if op.get_bind().dialect.name == "postgresql":  # the copied ids are taken: move on past them
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{new}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {new}), 0) + 1, false)"
        )
    op.drop_index(op.f(f"ix_{old}_search_id_step"), table_name=old)
    op.drop_table(old)


def upgrade() -> None:
    _move("trial_values", "trial_intermediate_values")


def downgrade() -> None:
    _move("trial_intermediate_values", "trial_values")
