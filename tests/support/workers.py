"""Searches to work on and the worker loop in-process, for the worker and CLI tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.objectives import BUILTINS, ObjectiveSpec
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction
from app.store.searches import SearchSettings
from app.store.trial_reads import list_trials
from app.worker.backend import DatabaseBackend
from app.worker.isolate import InProcess
from app.worker.loop import Worker

SPEC = ObjectiveSpec("toy", "unused:unused", "minimize", "toy")


def make_search(
    factory: sessionmaker[Session], n_trials: int, objective: str = "toy", **kwargs: Any
) -> int:
    """A search over the bowl's space; returns its id."""
    with session_scope(factory) as s:
        _, search = create_experiment(
            s,
            name="w",
            objective=objective,
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            settings=SearchSettings(n_trials=n_trials, seed=1, **kwargs),
        )
        return search.id


def trials_of(factory: sessionmaker[Session], search_id: int) -> list[Any]:
    """The search's trials by number."""
    with session_scope(factory) as s:
        return sorted(list_trials(s, search_id=search_id), key=lambda t: t.number)


def in_process(factory: sessionmaker[Session], fn: Any, spec: ObjectiveSpec = SPEC) -> Worker:
    """A worker that calls `fn` in this process."""
    return Worker(
        DatabaseBackend(factory), {spec.name: spec}, evaluator=InProcess({spec.name: fn})
    )
