"""The dashboard in a real Chromium: draw a box on a log axis, read the panel, refine.

Screenshots of each step land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.objectives import BUILTINS, ObjectiveSpec
from app.worker.backend import DatabaseBackend
from app.worker.isolate import InProcess
from app.worker.loop import Worker
from app.worker.registry import load
from tests.support.bodies import OWN, announce_own
from tests.support.browser import NASTY, drag_on_plot, format_like_page, plot_geometry, shot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def run_worker(
    factory: sessionmaker[Session],
    spec: ObjectiveSpec = BUILTINS["bowl"],
    fn: Callable[..., Any] | None = None,
) -> None:
    """Evaluate every pending trial of `spec` in this process (a real worker on the same
    database), with `fn` or else the function the spec names."""
    evaluator = InProcess({spec.name: fn or load(spec.target)})
    Worker(DatabaseBackend(factory), {spec.name: spec}, evaluator=evaluator).run(idle_exit=0)


def test_box_on_a_log_axis_refines_into_a_child_search(
    live_server: str, factory: sessionmaker[Session], page: Any, request: pytest.FixtureRequest
) -> None:
    api = httpx.Client(base_url=live_server, timeout=10)
    request.addfinalizer(api.close)
    created = api.post(
        "/api/experiments",
        json={"name": "browser", "objective": "bowl", "search": {"n_trials": 40, "seed": 2}},
    ).json()
    run_worker(factory)
    assert len(api.get(f"/api/experiments/{created['id']}/trials").json()) == 40
    page.goto(f"{live_server}/experiments/{created['id']}")
    page.wait_for_function(
        "() => document.querySelectorAll('#scatter .scatterlayer .point').length >= 40"
    )
    assert page.locator("#x-axis").input_value() == "learning_rate"
    assert page.locator("#y-axis").input_value() == "value"
    assert plot_geometry(page)["x"]["type"] == "log"
    shot(page, "1-coarse-search")

    # Draw a box over the middle of the x axis (30%..65%), the whole height of the plot.
    fx0, fx1 = 0.30, 0.65
    geo = drag_on_plot(page, fx0, 0.0, fx1, 1.0)
    page.wait_for_selector("#region-details:not([hidden])")
    shot(page, "2-box-drawn")

    # The panel shows the drawn box in real units: 10 ** (log-axis position).
    r0, r1 = geo["x"]["range"]
    expected = [10 ** (r0 + f * (r1 - r0)) for f in (fx0, fx1)]
    decades_per_pixel = (r1 - r0) / geo["x"]["length"]
    row = page.locator("#region-bounds tr[data-param='learning_rate']")
    low = float(row.locator("td.low").get_attribute("data-value"))
    high = float(row.locator("td.high").get_attribute("data-value"))
    for shown, want in ((low, expected[0]), (high, expected[1])):
        assert abs(math.log10(shown) - math.log10(want)) <= 1.5 * decades_per_pixel
    assert row.locator("td.low input").input_value() == format_like_page(low)

    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    inside = [t for t in trials if low <= t["params"]["learning_rate"] <= high]
    assert int(page.locator("#region-count").inner_text()) == len(inside)
    best = min(t["value"] for t in inside)
    assert page.locator("#region-stats tr[data-stat='best'] td.inside").inner_text() == (
        format_like_page(best)
    )

    page.fill("#refine-trials", "12")
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")

    experiment = api.get(f"/api/experiments/{created['id']}").json()
    root, child = experiment["searches"]
    assert child["parent_id"] == root["id"] and child["n_trials"] == 12
    assert child["space"]["learning_rate"] == {
        "type": "float",
        "low": low,
        "high": high,
        "log": True,
    }
    assert child["space"]["x"] == root["space"]["x"]

    run_worker(factory)
    page.wait_for_function(
        """(id) => {
          const traces = document.getElementById('scatter').data;
          const trace = traces.find((t) => t.name.startsWith(`search ${id} `));
          return trace && trace.x.length === 12;
        }""",
        arg=child["id"],
    )
    page.wait_for_selector(f"#searches tr[data-search-id='{child['id']}']")
    shot(page, "3-child-search")


def test_user_text_is_shown_as_text_never_run(
    live_server: str, factory: sessionmaker[Session], page: Any, request: pytest.FixtureRequest
) -> None:
    api = httpx.Client(base_url=live_server, timeout=10)
    request.addfinalizer(api.close)
    announce_own(api)  # a user's function, which takes these names
    created = api.post(
        "/api/experiments",
        json={
            "name": NASTY,
            "objective": OWN,
            "space": {
                NASTY: {"type": "float", "low": 0.0, "high": 1.0},
                "choice": {"type": "categorical", "choices": [NASTY, "plain"]},
            },
            "search": {"n_trials": 6, "seed": 1},
        },
    )
    assert created.status_code == 201, created.text
    created = created.json()
    spec = ObjectiveSpec(OWN, OWN, "minimize", "a user's function")
    run_worker(factory, spec, lambda p: p[NASTY] + (p["choice"] == NASTY))
    assert len(api.get(f"/api/experiments/{created['id']}/trials").json()) == 6
    page.goto(live_server)
    assert page.locator("#experiments a").first.inner_text() == NASTY
    page.goto(f"{live_server}/experiments/{created['id']}")
    page.wait_for_function("() => document.querySelectorAll('#scatter .point').length >= 6")
    page.select_option("#y-axis", "choice")
    page.wait_for_timeout(300)
    assert page.locator("h1").inner_text() == NASTY
    assert page.locator("#scatter img").count() == 0
    assert page.locator("img").count() == 0
    shot(page, "4-escaped-names")


def test_suggest_region_draws_the_box_warns_about_edges_and_refines_with_a_sampler(
    live_server: str, factory: sessionmaker[Session], page: Any, request: pytest.FixtureRequest
) -> None:
    api = httpx.Client(base_url=live_server, timeout=10)
    request.addfinalizer(api.close)
    space = {
        # The bowl's optimum is x = 0.3, below this range: the best trials crowd its low end.
        "x": {"type": "float", "low": 0.5, "high": 1.0},
    }
    created = api.post(
        "/api/experiments",
        json={
            "name": "edges",
            "objective": "bowl",
            "space": space,
            "search": {"n_trials": 40, "seed": 3},
        },
    )
    assert created.status_code == 201, created.text
    created = created.json()
    run_worker(factory)
    page.goto(f"{live_server}/experiments/{created['id']}")
    page.wait_for_function("() => document.querySelectorAll('#scatter .point').length >= 40")
    page.click("#suggest-button")
    page.wait_for_selector("#region-details:not([hidden])")
    root = created["root_search_id"]
    expected = api.get(f"/api/searches/{root}/suggest-region").json()
    x_low, x_high = expected["region"]["x"]
    row = page.locator("#region-bounds tr[data-param='x']")
    assert float(row.locator("td.low").get_attribute("data-value")) == x_low
    assert float(row.locator("td.high").get_attribute("data-value")) == x_high
    drawn = page.evaluate("() => document.getElementById('scatter').layout.selections")
    assert len(drawn) == 1
    assert sorted([drawn[0]["x0"], drawn[0]["x1"]]) == pytest.approx([x_low, x_high])
    edge = page.locator("#region-edges li[data-param='x'][data-side='low']")
    assert "low end of x" in edge.inner_text()
    shot(page, "5-suggested-region")

    page.select_option("#refine-sampler", "sobol")
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")
    child = api.get(f"/api/experiments/{created['id']}").json()["searches"][1]
    assert child["sampler"] == "sobol"
    assert child["space"]["x"] == {"type": "float", "low": x_low, "high": x_high}


def test_the_page_asks_for_the_token_once_when_reads_are_protected(
    browser: Any, db_url: str, tmp_path: Path
) -> None:
    from tests.support.processes import running_server

    token = "page-token"
    env = {"HYPERZOOM_TOKEN": token, "HYPERZOOM_PROTECT_READS": "true"}
    with running_server(db_url, tmp_path / "server.log", **env) as url:
        created = httpx.post(
            f"{url}/api/experiments",
            json={"name": "guarded", "objective": "bowl", "search": {"n_trials": 3}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201
        context = browser.new_context()
        page = context.new_page()
        prompts: list[str] = []

        def answer(dialog: Any) -> None:
            prompts.append(dialog.message)
            dialog.accept(token)

        page.on("dialog", answer)
        page.goto(url)
        page.wait_for_selector("#experiments a:has-text('guarded')")
        page.click("#experiments a")
        page.wait_for_selector("#experiment-name:has-text('guarded')")
        assert prompts == ["This server needs its API token:"]
        context.close()
