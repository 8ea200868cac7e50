"""The dashboard's trial table, trial page, failed toggle, URL state and search tree in Chromium.

Screenshots of each view land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.browser import NASTY, drag_on_plot, shot
from tests.support.dashboard import STEPS, experiment, open_dashboard, play, table_ids

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def sort_key(trial: dict[str, Any], descending: bool) -> tuple[Any, ...]:
    """The table's order: by value, missing values last, ties by id."""
    v = trial["value"]
    return (v is None, 0 if v is None else (-v if descending else v), trial["id"])


def test_trial_table_sorts_filters_pages_and_downloads(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 60)
    play(factory, 60)
    trials = api.get(f"/api/experiments/{created['id']}/trials", params={"limit": 500}).json()
    assert len(trials) == 60
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 40)
    assert len(table_ids(page)) == 50
    assert page.locator(".table-info").inner_text() == "1–50 of 60"

    page.click("#trials-table th[data-key='value'] button")
    assert page.get_attribute("#trials-table th[data-key='value']", "aria-sort") == "ascending"
    ascending = sorted(trials, key=lambda t: sort_key(t, False))
    assert table_ids(page) == [t["id"] for t in ascending[:50]]
    # Keyboard: the header button keeps the focus, Enter sorts the other way.
    page.keyboard.press("Enter")
    assert page.get_attribute("#trials-table th[data-key='value']", "aria-sort") == "descending"
    descending = sorted(trials, key=lambda t: sort_key(t, True))
    assert table_ids(page) == [t["id"] for t in descending[:50]]
    page.click(".table-next")
    assert page.locator(".table-info").inner_text() == "51–60 of 60"
    assert table_ids(page) == [t["id"] for t in descending[50:]]
    shot(page, "6-trial-table")

    page.select_option(".table-state", "failed")
    failed = [t["id"] for t in trials if t["state"] == "failed"]
    assert sorted(table_ids(page)) == sorted(failed) and failed
    page.select_option(".table-state", "")
    page.fill(".table-filter", "X=0.2")
    wanted = {t["number"] for t in trials if "x=0.2" in f"x={t['params']['x']!r}"}
    assert wanted and len(wanted) < 50
    assert {
        int(n) for n in page.locator("#trials-table tbody tr td:first-child").all_inner_texts()
    } == wanted
    shot(page, "7-trial-table-filtered")

    with page.expect_download() as info:
        page.click(".download-csv")
    download = info.value
    assert download.suggested_filename == f"experiment-{created['id']}-trials.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert {int(r["#"]) for r in rows} == wanted
    assert {"#", "search", "state", "value", "duration (s)", "learning_rate", "x"} <= set(rows[0])
    assert "metric acc" in rows[0]
    by_number = {t["number"]: t for t in trials}
    for r in rows:
        t = by_number[int(r["#"])]
        assert r["state"] == t["state"]
        assert float(r["x"]) == t["params"]["x"]
        assert (float(r["value"]) if r["value"] else None) == t["value"]
    with page.expect_download() as info:
        page.click(".download-json")
    exported = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert {r["number"] for r in exported} == wanted


def test_trial_page_shows_a_learning_curve_and_escapes_user_text(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    space = {
        NASTY: {"type": "float", "low": 0.0, "high": 1.0},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
    }
    created = experiment(api, 4, name=NASTY, space=space)
    play(factory, 4, error=f"Traceback (most recent call last):\n  {NASTY}\nValueError: boom")
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    complete = next(t for t in trials if t["state"] == "complete")
    failed = next(t for t in trials if t["state"] == "failed")

    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 2)
    page.click(f"#trials-table tr[data-trial-id='{complete['id']}'] a")
    page.wait_for_url(f"**/trials/{complete['id']}")
    page.wait_for_function("() => document.querySelectorAll('#curve .scatterlayer .point').length")
    curve = page.evaluate("() => document.getElementById('curve').data[0]")
    assert curve["x"] == list(range(STEPS))
    assert curve["y"][-1] == pytest.approx(complete["value"] + 0.5)
    assert page.locator(f"#params tr[data-name='{NASTY}'] td").first.inner_text() == NASTY
    assert page.locator("#experiment-link").inner_text() == f"← {NASTY}"
    assert page.locator("dd[data-fact='state']").inner_text() == "complete"
    assert page.locator("dd[data-fact='worker']").inner_text() == "w1"
    assert page.locator("dd[data-fact='duration']").inner_text().endswith(" s")
    assert page.locator("#metrics tr[data-name='acc']").count() == 1
    assert page.locator("#trial-error").is_hidden()
    assert page.locator("img").count() == 0
    shot(page, "8-trial-page")

    page.goto(f"{live_server}/trials/{failed['id']}")
    page.wait_for_selector("#trial-error:not([hidden])")
    assert page.locator("#trial-error").inner_text() == failed["error"]
    assert page.locator("img").count() == 0
    assert page.locator("#no-metrics").is_visible()
    shot(page, "9-trial-page-failed")
    assert httpx.get(f"{live_server}/trials/999999").status_code == 404


def trace_names(page: Any) -> list[str]:
    """The names of the scatter plot's traces."""
    return page.evaluate("() => document.getElementById('scatter').data.map((t) => t.name)")


def test_failed_toggle_hides_failed_and_pruned_points(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 30)
    play(factory, 30)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 20)
    page.select_option("#y-axis", "x")  # failed trials have no value: plot them on a parameter
    points = page.evaluate(
        """() => Object.fromEntries(
          document.getElementById('scatter').data.map(t => [t.name, t.x.length]))"""
    )
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    assert points["failed"] == sum(t["state"] == "failed" for t in trials) > 0
    assert points["pruned"] == sum(t["state"] == "pruned" for t in trials) > 0
    shot(page, "10-failed-shown")
    page.uncheck("#show-failed")
    page.wait_for_function(
        "() => !document.getElementById('scatter').data.some(t => t.name === 'failed')"
    )
    assert "pruned" not in trace_names(page)
    assert "failed=0" in page.url
    shot(page, "11-failed-hidden")
    page.reload()
    page.wait_for_selector("#trials-table tbody tr")
    assert not page.locator("#show-failed").is_checked()
    assert "failed" not in trace_names(page)


def test_the_url_restores_axes_metrics_and_the_box(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 30)
    play(factory, 30)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 20)
    page.select_option("#x-axis", "x")
    page.select_option("#y-axis", "metric:acc")
    page.select_option("#color-axis", "duration")
    page.wait_for_function("() => document.getElementById('scatter').data[0].y.every(v => v > 0)")
    drag_on_plot(page, 0.2, 0.0, 0.6, 1.0, inset=2)
    page.wait_for_selector("#region-details:not([hidden])")
    page.wait_for_selector("#region-panel:not([data-pending])", state="attached")
    page.wait_for_function("() => location.search.includes('box=')")
    count = page.locator("#region-count").inner_text()
    low = page.locator("#region-bounds tr[data-param='x'] td.low").get_attribute("data-value")
    drawn = page.evaluate("() => document.getElementById('scatter').layout.selections")
    shot(page, "12-box-on-metric")

    page.reload()
    page.wait_for_selector("#region-details:not([hidden])")
    page.wait_for_selector("#region-panel:not([data-pending])", state="attached")
    assert page.locator("#x-axis").input_value() == "x"
    assert page.locator("#y-axis").input_value() == "metric:acc"
    assert page.locator("#color-axis").input_value() == "duration"
    assert page.locator("#region-count").inner_text() == count
    assert (
        page.locator("#region-bounds tr[data-param='x'] td.low").get_attribute("data-value") == low
    )
    restored = page.evaluate("() => document.getElementById('scatter').layout.selections")
    assert len(restored) == 1
    for a, b in (("x0", "x1"), ("y0", "y1")):
        got = sorted([restored[0][a], restored[0][b]])
        assert got == pytest.approx(sorted([drawn[0][a], drawn[0][b]]))
    shot(page, "13-url-restored")


def test_clicking_a_search_in_the_tree_filters_the_plot_and_table(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 20)
    play(factory, 20)
    root = created["root_search_id"]
    child = api.post(
        f"/api/searches/{root}/refine", json={"region": {"x": [0.1, 0.5]}, "n_trials": 8}
    )
    assert child.status_code == 201, child.text
    child = child.json()
    play(factory, 8)
    grandchild = api.post(
        f"/api/searches/{child['id']}/refine", json={"region": {"x": [0.2, 0.4]}, "n_trials": 5}
    ).json()
    play(factory, 5)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 25)
    depths = page.eval_on_selector_all("#searches tbody tr", "rs => rs.map(r => r.dataset.depth)")
    assert depths == ["0", "1", "2"]
    assert len(page.locator("#trials-table tbody tr").all()) == 33
    history = page.evaluate("() => document.getElementById('history').data")
    assert len(history) == 3
    best_root = api.get(f"/api/searches/{root}").json()["best_value"]
    assert history[0]["y"][-1] == best_root and history[0]["x"][-1] == 19
    assert all(a >= b for a, b in itertools.pairwise(history[0]["y"]))  # minimize: never up

    page.click(f"#searches tr[data-search-id='{child['id']}'] button.tree-node")
    page.wait_for_function(
        """(n) => document.getElementById('scatter').data
          .every(t => !t.name.startsWith(`search ${n} `))""",
        arg=root,
    )
    names = trace_names(page)
    assert any(n.startswith(f"search {child['id']} ") for n in names)
    assert any(n.startswith(f"search {grandchild['id']} ") for n in names)
    assert page.locator("#trials-table tbody tr").count() == 13
    assert page.locator("#parent-search").input_value() == str(child["id"])
    assert f"search={child['id']}" in page.url
    assert len(page.evaluate("() => document.getElementById('history').data")) == 2
    shot(page, "14-search-tree-filtered")

    page.reload()
    page.wait_for_selector(f"#searches tr.selected[data-search-id='{child['id']}']")
    assert page.locator("#trials-table tbody tr").count() == 13
    page.click("#show-all-searches")
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length === 33"
    )
    assert any(n.startswith(f"search {root} ") for n in trace_names(page))
