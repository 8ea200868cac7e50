"""Trials that look dead to a reaper, without waiting: a heartbeat aged on the database's clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.store.clock import db_now
from app.store.db import session_scope
from app.store.models import Trial


def silent_for(factory: sessionmaker[Session], trial_id: int, seconds: float = 60) -> None:
    """Make the trial's last heartbeat `seconds` old on the database's clock, so a reaper with
    a shorter timeout takes it."""
    with session_scope(factory) as s:
        now = s.scalar(select(db_now()))
        s.execute(
            update(Trial)
            .where(Trial.id == trial_id)
            .values(heartbeat_at=now - timedelta(seconds=seconds))
        )
