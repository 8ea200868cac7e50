"""Retries and heartbeats for trials, intermediate values, objectives registered by workers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "objectives",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("minimize", "maximize", name="direction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("space", sa.JSON(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_objectives")),
    )
    op.create_table(
        "trial_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["searches.id"],
            name=op.f("fk_trial_values_search_id_searches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.id"],
            name=op.f("fk_trial_values_trial_id_trials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_values")),
        sa.UniqueConstraint("trial_id", "step", name=op.f("uq_trial_values_trial_id_step")),
    )
    with op.batch_alter_table("trial_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_values_search_id_step"), ["search_id", "step"], unique=False
        )

    with op.batch_alter_table("searches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sampler_options", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("pruner", sa.JSON(), nullable=True))

    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("metrics", sa.JSON(), nullable=True))
        # Existing trials are their first attempt.
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lost", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        # A trial waiting for a worker has not started.
        batch_op.alter_column(
            "started_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
        batch_op.create_index(
            batch_op.f("ix_trials_state_heartbeat_at"), ["state", "heartbeat_at"], unique=False
        )
    # Trials running under the first release have no heartbeat yet: start their clock at their
    # start, or the reaper could never recover them.
    op.execute("UPDATE trials SET heartbeat_at = started_at WHERE state = 'running'")


def downgrade() -> None:
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trials_state_heartbeat_at"))
        batch_op.alter_column(
            "started_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("lost")
        batch_op.drop_column("attempt")
        batch_op.drop_column("metrics")

    with op.batch_alter_table("searches", schema=None) as batch_op:
        batch_op.drop_column("pruner")
        batch_op.drop_column("sampler_options")

    with op.batch_alter_table("trial_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_values_search_id_step"))

    op.drop_table("trial_values")
    op.drop_table("objectives")
