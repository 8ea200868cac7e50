"""Each search carries its reaping policy (heartbeat timeout, retries of a lost trial), so every
reaper judges its trials alike; searches made before keep the old defaults (60 s, 2 retries).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("searches") as batch:
        batch.add_column(
            sa.Column("heartbeat_timeout", sa.Float(), server_default="60.0", nullable=False)
        )
        batch.add_column(
            sa.Column("max_retries", sa.Integer(), server_default="2", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("searches") as batch:
        batch.drop_column("max_retries")
        batch.drop_column("heartbeat_timeout")
