"""The states a trial goes through, in the core so that the worker's sandboxed child (which
reports them) does not import the database layer to name them."""

from __future__ import annotations

from enum import StrEnum


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
