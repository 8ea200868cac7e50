"""Notes: free text a person keeps on an experiment, a search ("why this box") and a trial.

A nullable text column on each table; rows from before have none. Downgrading drops the notes.

Plain ALTER TABLE both ways, not a batch: on SQLite a batch rebuilds the table, and dropping
the old copy of `experiments` or `searches` (foreign keys on) deletes what cascades from it,
every search and trial. SQLite drops a column in place since 3.35, which RETURNING needs anyway.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("experiments", "searches", "trials")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_column(table, "note")
