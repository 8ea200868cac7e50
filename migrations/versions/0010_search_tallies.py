"""Search tallies: each search's trials per state and its best complete value, on its row.

Reads of the page (the experiment, its tree) counted every trial per state and took a min or
max per search at every poll: 50 ms each at a million trials. From here on every trial write
keeps these columns in the same transaction (app.store.tallies); the upgrade fills them from
the trials there are, with one UPDATE (a count and a min or max per search, each a lookup in
the (search_id, state, value) index). Downgrading drops them.

Plain ALTER TABLE both ways, not a batch: on SQLite a batch rebuilds the table, and dropping
the old copy of `searches` (foreign keys on) deletes every trial cascading from it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("waiting", "running", "complete", "failed", "pruned")


def _count(state: str) -> str:
    return (
        f"n_{state} = (SELECT count(*) FROM trials"
        f" WHERE trials.search_id = searches.id AND trials.state = '{state}')"
    )


def _best(aggregate: str) -> str:
    return (
        f"(SELECT {aggregate}(value) FROM trials"
        " WHERE trials.search_id = searches.id AND trials.state = 'complete')"
    )


_BACKFILL = (
    "UPDATE searches SET "
    + ", ".join(_count(state) for state in _STATES)
    + ", best_value = CASE (SELECT direction FROM experiments"
    " WHERE experiments.id = searches.experiment_id)"
    f" WHEN 'maximize' THEN {_best('max')} ELSE {_best('min')} END"
)


def upgrade() -> None:
    for state in _STATES:
        op.add_column(
            "searches", sa.Column(f"n_{state}", sa.Integer(), nullable=False, server_default="0")
        )
    op.add_column("searches", sa.Column("best_value", sa.Float(), nullable=True))
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_column("searches", "best_value")
    for state in reversed(_STATES):
        op.drop_column("searches", f"n_{state}")
