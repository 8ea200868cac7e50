"""The states a trial goes through and which way an objective is better: in the core, so the
worker's sandboxed child and the objectives name them without importing the database layer."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    """Whether lower or higher objective values are better."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"


class TrialState(StrEnum):
    """Where a trial is in its life; `waiting` and `running` are the only states that change.

    A trial waits when it was enqueued by hand or given back (a worker stopped, or its worker
    was lost and the trial is retried); a worker's ask claims waiting trials first.
    """

    WAITING = "waiting"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"
