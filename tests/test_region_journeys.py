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

from tests.test_browser import browser, page, shot
from tests.test_dashboard import api, play
from tests.test_region_panel import draw_x_box, open_page, start

__all__ = ["api", "browser", "page"]  # fixtures, imported for pytest to find

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
