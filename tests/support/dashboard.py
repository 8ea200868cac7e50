"""A pytest plugin for the page tests: trials played into the database, the `api` client of a
live server, an experiment made through it, and the dashboard opened and read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.objectives.synthetic import bowl
from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import report, tell
from tests.support.bodies import OWN, announce_own

STEPS = 4


def play(factory: sessionmaker[Session], count: int, error: str = "Traceback: boom") -> None:
    """Evaluate `count` trials by hand: a curve each; every 7th fails, every 9th is pruned."""
    for _ in range(count):
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="w1")
        assert claim is not None
        value = bowl({k: v for k, v in claim.params.items() if k in ("learning_rate", "x")})
        with session_scope(factory) as s:
            for step in range(STEPS):
                report(s, claim.trial_id, claim.ticket, step, value + (STEPS - step) * 0.5)
        with session_scope(factory) as s:
            if claim.number % 7 == 3:
                tell(s, claim.trial_id, state=TrialState.FAILED, error=error)
            elif claim.number % 9 == 5:
                tell(s, claim.trial_id, state=TrialState.PRUNED, value=value + 0.5)
            else:
                metrics = {"acc": 1 / (1 + value)}
                tell(s, claim.trial_id, state=TrialState.COMPLETE, value=value, metrics=metrics)


@pytest.fixture
def api(live_server: str) -> Any:
    """An HTTP client of the live server."""
    with httpx.Client(base_url=live_server, timeout=10) as client:
        yield client


def experiment(api: httpx.Client, n_trials: int, **overrides: Any) -> dict[str, Any]:
    """Create an experiment through the API whose trials `play` evaluates: of bowl over its
    own space, or over a given `space` of a user's function (OWN, announced as its worker
    would), which declares no space and so takes the names any space gives it."""
    body = {"name": "dash", "objective": "bowl", "search": {"n_trials": n_trials, "seed": 4}}
    if "space" in overrides and "objective" not in overrides:
        announce_own(api)
        body["objective"] = OWN
    created = api.post("/api/experiments", json={**body, **overrides})
    assert created.status_code == 201, created.text
    return created.json()


def open_dashboard(page: Any, url: str, n_points: int) -> None:
    """Open an experiment page and wait until its plot and table are drawn."""
    page.goto(url)
    page.wait_for_function(
        "(n) => document.querySelectorAll('#scatter .scatterlayer .point').length >= n",
        arg=n_points,
    )
    page.wait_for_selector("#trials-table tbody tr")


def table_ids(page: Any) -> list[int]:
    """The trial ids of the table's rows, top to bottom."""
    return [
        int(i)
        for i in page.eval_on_selector_all(
            "#trials-table tbody tr", "rows => rows.map(r => r.dataset.trialId)"
        )
    ]
