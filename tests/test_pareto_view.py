"""The experiment page's trade-offs tab in Chromium: a two-metric experiment with trials of known
metrics; the front drawn is the API's; a box on part of it selects those trials, the region
panel proposes the span of their parameters, and Refine makes the child search there.

A screenshot lands in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import tell
from tests.support.bodies import OWN, announce_own
from tests.support.browser import ARTIFACTS, drag
from tests.support.region_panel import settle

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SPACE = {
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "layers": {"type": "int", "low": 1, "high": 64},
    "kind": {"type": "categorical", "choices": ["a", "b", "c", "d", "e", "f"]},
}
METRICS = [
    {"name": "acc", "direction": "maximize"},
    {"name": "secs", "direction": "minimize", "upper": 5.0},
]
# (acc, secs): a front of five trading accuracy for time, three behind it, one too slow.
FRONT = [(0.5, 1.0), (0.6, 1.8), (0.7, 2.6), (0.8, 3.4), (0.9, 4.2)]
BEHIND = [(0.4, 4.5), (0.45, 4.8), (0.3, 4.9)]
TOO_SLOW = [(0.99, 6.0)]


def make(api: httpx.Client, factory: sessionmaker[Session]) -> tuple[int, list[dict[str, Any]]]:
    """The experiment and its trials (as the API reads them), in the order FRONT, BEHIND,
    TOO_SLOW."""
    announce_own(api)
    body = {
        "name": "trade",
        "objective": OWN,
        "space": SPACE,
        "metrics": METRICS,
        "search": {"n_trials": 20, "seed": 3},
    }
    created = api.post("/api/experiments", json=body)
    assert created.status_code == 201, created.text
    ids = play(factory, FRONT + BEHIND + TOO_SLOW)
    experiment_id = created.json()["id"]
    read = api.get(f"/api/experiments/{experiment_id}/trials", params={"limit": 100}).json()
    by_id = {t["id"]: t for t in (read["trials"] if isinstance(read, dict) else read)}
    return experiment_id, [by_id[i] for i in ids]


def play(factory: sessionmaker[Session], results: list[tuple[float, float]]) -> list[int]:
    """Finish one trial per (acc, secs), as a worker would tell them; their ids."""
    ids = []
    for acc, secs in results:
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="w")
            assert claim is not None
            tell(
                s,
                claim.trial_id,
                ticket=claim.ticket,
                state=TrialState.COMPLETE,
                value=acc,
                metrics={"secs": secs},
            )
            ids.append(claim.trial_id)
    return ids


def traces(page: Any) -> dict[str, dict[str, Any]]:
    return page.evaluate(
        """() => Object.fromEntries(document.getElementById('pareto').data.map(t => [t.name,
          {x: Array.from(t.x), y: Array.from(t.y), ids: Array.from(t.customdata)}]))"""
    )


def to_pixels(page: Any, x: float, y: float) -> tuple[float, float]:
    """A point of the trade-offs plot (its data units) on the page, from plotly's own axes."""
    return page.evaluate(
        """([x, y]) => {
          const el = document.getElementById('pareto');
          const fl = el._fullLayout, r = el.getBoundingClientRect();
          const at = (ax, v) => ax._offset + ax.l2p(v);
          return [r.left + at(fl.xaxis, x), r.top + at(fl.yaxis, y)];
        }""",
        [x, y],
    )


def span(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The span of the trials' parameters, as the issue asks: numbers min..max, categories seen."""
    out: dict[str, Any] = {}
    for name, spec in SPACE.items():
        values = [t["params"][name] for t in trials]
        if spec["type"] == "categorical":
            out[name] = [c for c in spec["choices"] if c in values]
        elif min(values) < max(values):
            out[name] = [min(values), max(values)]
    return out


def test_boxing_part_of_the_front_refines_on_the_span_of_those_trials(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    experiment_id, trials = make(api, factory)
    pareto = api.get(f"/api/experiments/{experiment_id}/pareto").json()
    front_ids = [t["id"] for t in trials[: len(FRONT)]]
    assert pareto["trial_ids"] == front_ids
    assert pareto["infeasible_ids"] == [trials[-1]["id"]]

    page.goto(f"{live_server}/experiments/{experiment_id}")
    page.wait_for_selector("#tab-pareto:not([hidden])")
    page.click("#tab-pareto")
    page.wait_for_function("() => (document.getElementById('pareto').data || []).length === 3")
    assert page.eval_on_selector("#pareto-x", "s => s.value") == "acc"
    assert page.eval_on_selector("#pareto-y", "s => s.value") == "secs"
    drawn = traces(page)
    # The front is the API's, joined along x; the slow trial apart; the rest behind.
    assert sorted(drawn["Pareto front"]["ids"]) == sorted(pareto["trial_ids"])
    assert drawn["Pareto front"]["x"] == sorted(drawn["Pareto front"]["x"])
    assert drawn["Pareto front"]["x"] == [a for a, _ in FRONT]
    assert drawn["infeasible"]["ids"] == pareto["infeasible_ids"]
    assert sorted(drawn["trials"]["ids"]) == sorted(t["id"] for t in trials[len(FRONT) : -1])
    assert "view=pareto" in page.url

    # A trial arriving on the poll joins the front: the view follows.
    late = play(factory, [(0.95, 4.6)])[0]
    page.wait_for_function(
        "(id) => document.getElementById('pareto').data[2].customdata.includes(id)", arg=late
    )
    assert traces(page)["Pareto front"]["x"] == [a for a, _ in FRONT] + [0.95]
    assert late in api.get(f"/api/experiments/{experiment_id}/pareto").json()["trial_ids"]

    # Box the middle three of the front.
    x0, y0 = to_pixels(page, 0.55, 1.4)
    x1, y1 = to_pixels(page, 0.85, 3.8)
    drag(page, x0, y0, x1, y1)
    boxed = trials[1:4]
    page.wait_for_selector("#selection-bar:not([hidden])")
    assert "3 trials selected in the trade-offs plot" in page.inner_text("#selection-text")
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
    assert "span of the 3 trials" in page.inner_text("#refine-message")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pareto-view.png"), full_page=True)

    page.wait_for_selector("#refine-button:not([disabled])")
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")
    root, child = api.get(f"/api/experiments/{experiment_id}").json()["searches"]
    assert child["parent_id"] == root["id"]
    expected = span(boxed)
    assert set(expected) == {"x", "layers", "kind"}  # the seed gives each a span
    assert child["region"] == expected
