"""The search tree on the experiment page in Chromium: did zooming pay off, row by row. A child's
gain over its parent's best inside its region and the trials it took to beat it, computed here
by hand from the trials put in (tests/support/lineage.py), each search's best-so-far sparkline,
and the row following a better trial told while the page is open (by its poll, no reload).

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.bodies import body
from tests.support.browser import ARTIFACTS, format_like_page
from tests.support.dashboard import open_dashboard
from tests.support.lineage import CHILD, REGION, ROOT, record

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# The tree's reads of the lineage and of the tree so far, from the browser's resource timings.
READS = """(path) => performance.getEntriesByType('resource')
  .filter((e) => new URL(e.name).pathname.endsWith(path)).length"""


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#searches").screenshot(path=str(ARTIFACTS / f"{name}.png"))


def tree_row(page: Any, search_id: int) -> dict[str, Any]:
    """A row of the search tree: its cells by class (search-gain -> gain), the gain's classes,
    and its sparkline: whether there is one and whether it draws a baseline."""
    return page.evaluate(
        """(id) => {
          const tr = document.querySelector(`#searches tr[data-search-id='${id}']`);
          const cells = Object.fromEntries([...tr.cells]
            .filter((td) => td.className.startsWith('search-') && td.className !== 'search-spark')
            .map((td) => [td.className.split(' ')[0].replace('search-', ''), td.textContent]));
          const spark = tr.querySelector('td.search-spark svg.sparkline');
          const baseline = !!(spark && spark.querySelector('.spark-baseline'));
          const gainClass = tr.querySelector('td.search-gain').className;
          return {...cells, gainClass, spark: spark !== null, baseline};
        }""",
        search_id,
    )


def test_the_tree_shows_each_childs_gain_in_its_region_and_follows_a_better_trial(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = api.post("/api/experiments", json=body(search={"n_trials": len(ROOT), "seed": 3}))
    assert created.status_code == 201, created.text
    experiment_id, root = created.json()["id"], created.json()["root_search_id"]
    for x, value in ROOT:
        record(api, factory, root, x, value)
    refined = api.post(
        f"/api/searches/{root}/refine", json={"region": REGION, "n_trials": len(CHILD)}
    )
    assert refined.status_code == 201, refined.text
    child = refined.json()["id"]
    for x, value in CHILD[:2]:  # 1.5 and 0.9: neither beats the parent's best in the region
        record(api, factory, child, x, value)

    # By hand: the root's best among its complete trials inside the child's box (its overall
    # best, 0.2, lies outside), and the child's best so far.
    low, high = REGION["x"]
    parent_best = min(v for x, v in ROOT if low <= x <= high and not math.isnan(v))
    child_best = min(v for _, v in CHILD[:2])
    assert (parent_best, child_best) == (0.8, 0.9)

    open_dashboard(page, f"{live_server}/experiments/{experiment_id}", 6)
    page.evaluate("() => { window.__notReloaded = true; }")
    gain_cell = f"#searches tr[data-search-id='{child}'] td.search-gain"
    page.wait_for_function(f"() => document.querySelector(\"{gain_cell}\").textContent !== '–'")
    row = tree_row(page, child)
    assert row["gain"] == format_like_page(parent_best - child_best) == "-0.1"
    assert "worse" in row["gainClass"]
    assert row["to-beat"] == "not yet"
    assert row["best"] == format_like_page(child_best)
    assert row["progress"] == f"2 / {len(CHILD)}"
    assert row["spark"] and row["baseline"]  # its line, and the level it has to beat
    first = tree_row(page, root)
    assert (first["gain"], first["to-beat"], first["best"]) == ("–", "–", "0.2")
    assert first["spark"] and not first["baseline"]

    # Polls that bring nothing read neither the tree nor the lineage again (the columns' cursor
    # did not move), and one that brings no finished trial (a search's note) reads the tree,
    # not the lineage.
    lineage_reads = page.evaluate(READS, "/lineage")
    assert lineage_reads == 1
    tree_reads = page.evaluate(READS, "/tree")
    column_reads = page.evaluate(READS, "/trials/columns")
    page.wait_for_function(f"() => ({READS})('/trials/columns') >= {column_reads + 3}")
    assert page.evaluate(READS, "/tree") == tree_reads
    noted = api.put(f"/api/searches/{root}/note", json={"note": "coarse first"})
    assert noted.status_code == 200, noted.text
    page.wait_for_selector(f"#searches tr[data-search-id='{root}'] .note-text")
    assert page.evaluate(READS, "/tree") == tree_reads + 1
    assert page.evaluate(READS, "/lineage") == lineage_reads
    shot(page, "42-tree-lineage")

    # A better trial told while the page is open: the next poll reads the lineage again and
    # the row shows the child beat its parent's best in its region at its third trial.
    x, value = CHILD[2]
    assert value < parent_best
    record(api, factory, child, x, value)
    beat = f"#searches tr[data-search-id='{child}'] td.search-to-beat"
    page.wait_for_function(f"() => document.querySelector(\"{beat}\").textContent === '3 of 3'")
    row = tree_row(page, child)
    assert row["gain"] == "+" + format_like_page(parent_best - value) == "+0.1"
    assert "better" in row["gainClass"]
    assert row["best"] == format_like_page(value)
    assert page.evaluate(READS, "/lineage") == lineage_reads + 1
    assert page.evaluate("() => window.__notReloaded") is True
    shot(page, "43-tree-lineage-live")
