"""ORM models: an experiment owns a tree of searches; a search owns its trials."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.core.space import SearchSpace, parsed_space
from app.core.states import Direction, TrialState


class SearchStatus(StrEnum):
    """A search is queued until a worker claims its first trial, done when its budget is met."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"


# A search's reaping policy when its creator names none.
DEFAULT_HEARTBEAT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; returns aware datetimes even on SQLite, which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _enum(kind: type[StrEnum]) -> Enum:
    # Store the lower-case values as plain strings: readable in SQL, no native enum to migrate.
    return Enum(
        kind,
        native_enum=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=False,
    )


class Base(DeclarativeBase):
    """Declarative base with constraint names Alembic can find again."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Experiment(Base):
    """The question: which objective, which direction, the base space."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(200))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    space: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Bumped by every trial write; a trial's `seq` is the value at its last change, so
    # "trials with seq > cursor" is exactly what changed since a reader last looked.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    # Free text a person keeps on it (app.core.values.note_text): what it is for.
    note: Mapped[str | None] = mapped_column(Text)
    # Several objectives (app.core.metrics): [{name, direction, lower?, upper?}], the first the
    # trial's value; NULL for one objective, the value alone.
    metrics: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    searches: Mapped[list[Search]] = relationship(
        back_populates="experiment", order_by="Search.id", cascade="all, delete-orphan"
    )


class Search(Base):
    """One round of sampling over a space, with a budget of trials."""

    __tablename__ = "searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("searches.id", ondelete="CASCADE"), index=True
    )
    sampler: Mapped[str] = mapped_column(String(32))
    sampler_options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pruner: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(Integer)
    n_trials: Mapped[int] = mapped_column(Integer)
    # Trials claimed so far; the atomic `n_asked < n_trials` guard is what keeps any number of
    # workers from overshooting the budget.
    n_asked: Mapped[int] = mapped_column(Integer, default=0)
    n_finished: Mapped[int] = mapped_column(Integer, default=0)
    # Its trials per state and its best complete value (by the experiment's direction), kept
    # in the same statement as every trial write (app.store.tallies), so a poll reads one row
    # per search instead of counting a million trials.
    n_waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_running: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_complete: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_pruned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    best_value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[SearchStatus] = mapped_column(_enum(SearchStatus), default=SearchStatus.QUEUED)
    space: Mapped[dict[str, Any]] = mapped_column(JSON)
    region: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The reaping policy, set when the search is made: every reaper (the server's, each
    # worker's) judges this search's trials by it, on the database's clock, so no process can
    # fail another's healthy trials with a shorter timeout of its own or a clock that runs fast.
    heartbeat_timeout: Mapped[float] = mapped_column(
        Float, default=DEFAULT_HEARTBEAT_TIMEOUT, server_default=str(DEFAULT_HEARTBEAT_TIMEOUT)
    )
    max_retries: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_MAX_RETRIES, server_default=str(DEFAULT_MAX_RETRIES)
    )
    # Why this search (for a refinement: why this box), as its creator or a reader wrote it.
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    experiment: Mapped[Experiment] = relationship(back_populates="searches")

    @property
    def search_space(self) -> SearchSpace:
        """The stored space, parsed once per search and content (shared by every reader: ask,
        refine, enqueue, previews and suggestions), not once per request."""
        return parsed_space(self.id, self.space)

    __table_args__ = (Index(None, "status", "id"),)


class Trial(Base):
    """One configuration evaluated once."""

    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    search_id: Mapped[int] = mapped_column(ForeignKey("searches.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[TrialState] = mapped_column(_enum(TrialState))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # NULL unless complete (or pruned) with a finite number; the state says why.
    value: Mapped[float | None] = mapped_column(Float)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    # Which evaluation of this trial is current: a retried trial keeps its number and params,
    # and a result or heartbeat from an earlier attempt is refused.
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # SHA-256 of the ticket ask handed the current holder (NULL when nobody holds it): the
    # attempt number is public, so only the ticket lets a caller heartbeat, report or tell.
    ticket_digest: Mapped[str | None] = mapped_column(String(64))
    # How many times its worker was lost (no heartbeat); retries stop at max_retries.
    lost: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    seq: Mapped[int] = mapped_column(Integer)
    # A person's note on the trial; writing it takes a change number like any trial write.
    note: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("search_id", "number"),
        Index(None, "experiment_id", "seq"),
        # With the value: a search's best is the first or last entry of its complete trials.
        Index(None, "search_id", "state", "value"),
        Index(None, "state", "heartbeat_at"),
    )


class IntermediateValue(Base):
    """An intermediate value a trial reported at a step: learning curves and pruning."""

    __tablename__ = "trial_intermediate_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    search_id: Mapped[int] = mapped_column(ForeignKey("searches.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("trial_id", "step"), Index(None, "search_id", "step"))


class RegisteredObjective(Base):
    """An objective a worker announced, so the server accepts experiments that use it."""

    __tablename__ = "objectives"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    description: Mapped[str] = mapped_column(Text)
    space: Mapped[dict[str, Any]] = mapped_column(JSON)
    worker: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RefineKey(Base):
    """An `Idempotency-Key` a refine was sent with, and the answer it got.

    A double click or a retried request with the same key gets the stored answer back instead
    of a second child search; `request` (a digest of the parent and body) refuses the key's
    reuse for a different refine.
    """

    __tablename__ = "refine_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request: Mapped[str] = mapped_column(String(64))
    search_id: Mapped[int | None] = mapped_column(ForeignKey("searches.id", ondelete="CASCADE"))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
