"""Several objectives: an experiment's declared metrics (names, directions, bounds), as JSON.

A nullable column; experiments from before have none and stay single-objective. Downgrading
drops the declarations (the trials keep every metric they reported).

Plain ALTER TABLE both ways, not a batch: on SQLite a batch rebuilds the table, and dropping the
old copy of `experiments` (foreign keys on) deletes every search and trial cascading from it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("experiments", sa.Column("metrics", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("experiments", "metrics")
