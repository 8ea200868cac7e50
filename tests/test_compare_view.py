"""The experiment page's Compare tab in Chromium: the gain of a child over its parent's best in
the child's region, as computed here by hand from the trials put in; the best-so-far lines, the
EDFs, two searches on the scatter plot's axes, and a refinement made while the page is open.

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.browser import ARTIFACTS, format_like_page
from tests.support.dashboard import open_dashboard
from tests.support.lineage import CHILD, REGION, ROOT, make_lineage, record

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def gain_rows(page: Any) -> dict[str, dict[str, str]]:
    """The gain table: search id -> its cells by column."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#compare-gains tbody tr')]
          .map(tr => [tr.dataset.searchId, Object.fromEntries([...tr.cells]
            .map(td => [td.className.split(' ')[0].replace('gain-', ''), td.textContent]))]))"""
    )


def plot(page: Any, id: str) -> list[dict[str, Any]]:
    return page.evaluate(
        """(id) => (document.getElementById(id).data || []).map(t => ({name: t.name,
          x: Array.from(t.x), y: Array.from(t.y),
          customdata: t.customdata ? Array.from(t.customdata) : null}))""",
        id,
    )


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#analysis").screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_compare_view_reads_the_childs_gain_over_its_parents_best_in_its_region(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    made = make_lineage(api, factory)
    # By hand: the root's complete trials inside the child's box, and the best of them.
    low, high = REGION["x"]
    in_region = [v for x, v in ROOT if low <= x <= high and not math.isnan(v)]
    parent_best = min(in_region)
    child_values = [v for _, v in CHILD]
    child_best = min(v for v in child_values if not math.isnan(v))
    beat_at = next(i for i, v in enumerate(child_values, 1) if v < parent_best)
    assert (parent_best, child_best, beat_at) == (0.8, 0.6, 3)
    assert min(v for _, v in ROOT if not math.isnan(v)) < parent_best  # its best lies outside

    open_dashboard(page, f"{live_server}/experiments/{made.experiment_id}", 8)
    page.click("#tab-compare")
    page.wait_for_selector("#compare-gains tbody tr")
    row = gain_rows(page)[str(made.child_id)]
    assert row["gain"] == "+" + format_like_page(parent_best - child_best)
    assert row["baseline"] == format_like_page(parent_best)
    assert row["best"] == format_like_page(child_best)
    assert row["to-beat"] == f"{beat_at} of {len(CHILD)}"
    assert row["after"] == f"{len(ROOT)} trials"
    assert "view=compare" in page.url

    # The child's line starts after the parent's five trials; a dotted line is its baseline.
    lines = plot(page, "compare-progress")
    child_line = next(t for t in lines if t["name"] == f"search {made.child_id} ← {made.root_id}")
    assert child_line["x"] == [6, 7, 8, 10] and child_line["y"] == [1.5, 0.9, 0.7, 0.6]
    assert [parent_best, parent_best] in [t["y"] for t in lines]
    edf = plot(page, "compare-edf")
    assert [t["y"] for t in edf] == [[0, 0.25, 0.5, 0.75, 1]] * 2
    # Two searches on the scatter's axes: the root and the child, their complete trials.
    trials = api.get(f"/api/experiments/{made.experiment_id}/trials", params={"limit": 100}).json()
    complete = {t["id"]: t for t in trials if t["state"] == "complete"}
    pair = plot(page, "compare-pair")
    assert [t["name"][:2] for t in pair] == ["A:", "B:"]
    for trace, search_id in zip(pair, (made.root_id, made.child_id), strict=True):
        assert sorted(trace["customdata"]) == sorted(
            i for i, t in complete.items() if t["search_id"] == search_id
        )
    shot(page, "40-compare")

    # Another x axis redraws the pair on it; picking the pair the other way round swaps it.
    page.select_option("#x-axis", "x")
    page.wait_for_function(
        "() => document.getElementById('compare-pair').layout.xaxis.type === 'linear'"
    )
    pair = plot(page, "compare-pair")
    assert pair[0]["x"] == [complete[i]["params"]["x"] for i in pair[0]["customdata"]]
    page.select_option("#compare-a", str(made.child_id))
    page.select_option("#compare-b", str(made.root_id))
    first = "document.getElementById('compare-pair').data[0].name"
    page.wait_for_function(f"(id) => {first}.startsWith(`A: search ${{id}}`)", arg=made.child_id)

    # A refinement made and run while the page is open joins the table: the root's best in
    # x in [0.05, 0.15] is its overall best 0.2, which the new search's first trial beats.
    refined = api.post(
        f"/api/searches/{made.root_id}/refine", json={"region": {"x": [0.05, 0.15]}, "n_trials": 2}
    ).json()
    record(api, factory, refined["id"], 0.12, 0.15)
    page.wait_for_function(
        "(id) => document.querySelector(`#compare-gains tr[data-search-id='${id}']`)",
        arg=refined["id"],
    )
    row = gain_rows(page)[str(refined["id"])]
    assert (row["baseline"], row["best"], row["to-beat"]) == ("0.2", "0.15", "1 of 1")
    assert row["gain"] == "+" + format_like_page(0.2 - 0.15)
    # The person's pair stays picked.
    assert page.input_value("#compare-a") == str(made.child_id)
    shot(page, "41-compare-live")
