"""The box you draw is the search you get: issue 13's findings as user journeys in Chromium.

Each journey failed on the page before the region panel read its rules from the server's
dry-run refine and the selection became one model with one count.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.browser import shot
from tests.support.dashboard import play
from tests.support.region_panel import draw_x_box, open_page, settle, start

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def table_total(page: Any) -> tuple[int, str]:
    """How many rows the trial table holds, and its info line."""
    info = page.locator("#trials-table .table-info").inner_text()
    return int(re.search(r"of (\d+)", info).group(1)), info


def bar_count(page: Any) -> int | None:
    """The count the selection bar states, or None when it is hidden."""
    if page.locator("#selection-bar").is_hidden():
        return None
    return int(
        re.match(r"(\d+) trials? selected", page.locator("#selection-text").inner_text())[1]
    )


def test_clear_on_a_restored_link_shows_every_trial_again(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 60)
    url = f"{live_server}/experiments/{created['id']}?x=x&y=value&color=value&box=0.2,0.6,-100,100"
    open_page(page, url)
    page.wait_for_selector("#selection-bar:not([hidden])")
    selected = bar_count(page)
    assert selected and 0 < selected < 60
    assert table_total(page)[0] == selected
    page.click("#clear-selection")
    page.wait_for_selector("#selection-bar", state="hidden")
    page.wait_for_function(
        "() => document.querySelector('#trials-table .table-info').textContent === '1–50 of 60'"
    )
    page.wait_for_timeout(500)  # anything plotly echoes back arrives by now
    assert table_total(page) == (60, "1–50 of 60")
    data = page.evaluate("() => document.getElementById('scatter').data")
    assert all(not t.get("selectedpoints") for t in data)
    assert page.locator("#region-details").is_hidden()
    page.fill("#trials-table .table-filter", "0")
    page.wait_for_timeout(300)
    assert table_total(page)[0] > 0  # the table's filter finds trials again


def test_a_double_click_on_refine_creates_exactly_one_child(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 40)
    page.set_viewport_size({"width": 1366, "height": 900})
    open_page(page, f"{live_server}/experiments/{created['id']}")
    page.select_option("#x-axis", "x")
    draw_x_box(page, 0.2, 0.6)
    page.wait_for_selector("#refine-button:not([disabled])")
    page.dblclick("#refine-button")
    page.wait_for_function(
        "() => /Created/.test(document.getElementById('refine-message').textContent)"
    )
    page.wait_for_timeout(1500)  # a second request, if any, has landed
    searches = api.get(f"/api/experiments/{created['id']}").json()["searches"]
    assert len(searches) == 2, searches
    assert set(searches[1]["region"]) == {"x"}
    # The box and the selection are gone, and Refine waits for a new region.
    assert page.locator("#region-details").is_hidden()
    assert page.locator("#refine-button").is_disabled()
    assert bar_count(page) is None
    assert table_total(page)[0] == 40
    shot(page, "34-after-refine")


def test_a_child_running_inside_the_box_is_counted_alike_everywhere(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 40)
    root = created["searches"][0]["id"]
    child = api.post(f"/api/searches/{root}/refine", json={"region": {"x": [0.05, 0.45]}})
    assert child.status_code == 201, child.text
    open_page(page, f"{live_server}/experiments/{created['id']}?x=x&y=value")
    draw_x_box(page, 0.0, 0.5)
    page.wait_for_selector("#selection-bar:not([hidden])")
    seen = []
    for batch in range(3):
        play(factory, 4)  # the root's budget is spent: these are the child's, inside the box
        total = 40 + 4 * (batch + 1)
        page.wait_for_function(
            f"() => document.getElementById('status').textContent === '{total} trials'"
        )
        page.wait_for_timeout(300)
        counts = (
            bar_count(page),
            int(page.locator("#region-selected").inner_text()),
            table_total(page)[0],
        )
        assert counts[0] == counts[1] == counts[2], counts
        seen.append(counts[0])
    assert seen[0] < seen[1] < seen[2]  # the child's new trials joined the selection


def test_suggest_boxes_only_the_parameters_says_what_it_rests_on_and_spares_hard_limits(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    """Finding 5: the suggested box spans the whole objective axis (a region never bounds it),
    the message says how many trials it rests on and warns when few, and no edge warning points
    past a limit the space declares hard (the optimum here sits on the rate's hard high end)."""
    space = {
        "learning_rate": {
            "type": "float",
            "low": 1e-6,
            "high": 1e-3,
            "log": True,
            "hard": ["high"],
        },
        "x": {"type": "float", "low": 0.0, "high": 1.0},
    }
    body = {"name": "hard", "objective": "bowl", "space": space, "search": {"n_trials": 60}}
    created = api.post("/api/experiments", json=body).json()
    play(factory, 8)
    open_page_few = f"{live_server}/experiments/{created['id']}?x=learning_rate&y=value"
    page.goto(open_page_few)
    page.wait_for_function("() => document.getElementById('scatter').data?.length")
    page.click("#suggest-button")
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
    message = page.locator("#refine-message").inner_text()
    assert "Suggested from the best of 6 completed trials" in message  # 8 played, 2 not complete
    assert "only 6 completed trials" in message

    play(factory, 52)  # the experiment's budget: 60
    page.reload()
    open_page(page, open_page_few)
    page.click("#suggest-button")
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
    assert "only" not in page.locator("#refine-message").inner_text()
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    values = [t["value"] for t in trials if t["value"] is not None]
    drawn = page.evaluate("() => document.getElementById('scatter').layout.selections[0]")
    assert min(drawn["y0"], drawn["y1"]) < min(values) and max(drawn["y0"], drawn["y1"]) > max(
        values
    )
    shown = page.eval_on_selector_all("#region-edges li", "lis => lis.map(li => li.textContent)")
    assert not [text for text in shown if "learning_rate" in text], shown
    # The bar, the panel and the table count what the box covers on the plot.
    selected = bar_count(page)
    assert selected == int(page.locator("#region-selected").inner_text()) == table_total(page)[0]


def test_a_box_over_category_one_keeps_one_not_its_lookalikes(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    """Finding 8: 1, "1", true and "true" are four categories on the page as on the server."""
    space = {
        "t": {"type": "categorical", "choices": [1, "1", True, "true"]},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
    }
    created = start(api, factory, 40, space=space)
    open_page(page, f"{live_server}/experiments/{created['id']}?x=t&y=value")
    draw_x_box(page, 0.02, 0.2)  # over the first category's column only
    ticks = page.locator("#region-bounds input.category[data-param='t']")
    assert [ticks.nth(i).is_checked() for i in range(4)] == [True, False, False, False]
    inside = [t for t in api.get(f"/api/experiments/{created['id']}/trials").json()
              if t["params"]["t"] == 1 and type(t["params"]["t"]) is int]  # fmt: skip
    assert int(page.locator("#region-count").inner_text()) == len(inside)
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")
    child = api.get(f"/api/experiments/{created['id']}").json()["searches"][1]
    assert child["region"] == {"t": [1]}
