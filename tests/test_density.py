"""The scatter plot's density mode in Chromium (static/js/density.js), at a small scale: 3,000
trials with the threshold lowered to 1,000 (`?density=1000`). The plot is a heatmap under the
best trials' points; a box selects every trial under it, from the columns; a cell's hover says
how many trials it holds and their best; a poll that brings trials redraws the cells."""

from __future__ import annotations

import math
from typing import Any

import httpx
import numpy as np
import pytest

from app.store.claims import ask, enqueue
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.importing import import_experiment
from app.store.migrate import upgrade
from app.store.models import TrialState
from app.store.results import tell
from tests.support.browser import drag_on_plot, format_like_page, plot_geometry, shot
from tests.support.exported_trials import CREATED, SPACE, finished_trials
from tests.support.processes import running_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]
N = 3000
THRESHOLD = 1000
TOP = 100  # topCount(1000) in density.js: a tenth of the threshold
MORE = 5  # trials a poll brings in test_a_poll_that_brings_trials_redraws_the_cells


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A server over N finished trials of one search with budget for MORE, polled every 0.3 s;
    yields its URL, the experiment's id and the database's URL."""
    folder = tmp_path_factory.mktemp("dense")
    url = f"sqlite:///{folder / 'dense.db'}"
    upgrade(url)
    search = {
        "id": 1,
        "parent_id": None,
        "sampler": "random",
        "sampler_options": None,
        "pruner": None,
        "seed": 1,
        "n_trials": N + MORE,
        "status": "running",
        "space": SPACE,
        "region": None,
        "heartbeat_timeout": 60.0,
        "max_retries": 2,
        "created_at": CREATED,
    }
    experiment = {"name": "dense", "objective": "bowl", "direction": "minimize"}
    document = {
        "format": "hyperzoom-experiment",
        "version": 1,
        "experiment": {**experiment, "space": SPACE, "created_at": CREATED},
        "searches": [search],
        "trials": finished_trials(N, np.random.default_rng(5)),
    }
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        experiment_id = import_experiment(session, document).id
    engine.dispose()
    with running_server(url, folder / "server.log", HYPERZOOM_POLL_INTERVAL="0.3") as served:
        yield served, experiment_id, url


def open_dense(page: Any, dense: Any, query: str = "") -> None:
    url, experiment_id, _ = dense
    page.goto(f"{url}/experiments/{experiment_id}?density={THRESHOLD}{query}")
    page.wait_for_function(
        "() => { const d = document.getElementById('scatter').data;"
        " return d && d[0].type === 'heatmap'; }"
    )
    page.wait_for_selector("#trials-table tbody tr")


def api_trials(dense: Any) -> list[dict[str, Any]]:
    url, experiment_id, _ = dense
    columns = httpx.get(f"{url}/api/experiments/{experiment_id}/trials/columns").json()
    return [
        {
            "id": trial_id,
            "number": columns["number"][i],
            "state": columns["state"][i],
            "value": columns["value"][i],
            "params": {k: v[i] for k, v in columns["params"].items()},
        }
        for i, trial_id in enumerate(columns["id"])
    ]


HEATMAP = """() => {
  const t = document.getElementById('scatter').data[0];
  return {type: t.type, trials: t.meta.trials, x: Array.from(t.x), y: Array.from(t.y),
          z: t.z, text: t.text};
}"""
POINT_IDS = """() => document.getElementById('scatter').data.slice(1)
  .flatMap((t) => Array.from(t.customdata || []))"""


def test_the_plot_is_a_heatmap_under_the_best_trials(page: Any, dense: Any) -> None:
    open_dense(page, dense)
    heatmap = page.evaluate(HEATMAP)
    assert heatmap["type"] == "heatmap" and heatmap["trials"] == N
    trials = api_trials(dense)
    best = sorted(trials, key=lambda t: t["value"])[:TOP]
    assert set(page.evaluate(POINT_IDS)) == {t["id"] for t in best}
    # Every trial is counted in one cell (x is lr, a log axis: every lr is positive).
    texts = [text for row in heatmap["text"] for text in row if text]
    counts = [int(text.split("<b>")[1].split(" ")[0]) for text in texts]
    assert sum(counts) == N
    # The cells' colours are their best values, on the points' scale.
    flat_z = [v for row in heatmap["z"] for v in row if v is not None]
    assert min(flat_z) == best[0]["value"]
    note = page.locator("#density-note")
    assert note.is_visible() and "Over 1,000 trials" in note.inner_text()
    assert "best 100" in note.inner_text()
    assert plot_geometry(page)["x"]["type"] == "log"
    shot(page, "40-density-3000-trials")


def test_a_box_selects_every_trial_under_it_and_the_panel_proposes_it(
    page: Any, dense: Any
) -> None:
    open_dense(page, dense)
    page.evaluate(
        """() => document.getElementById('scatter').on('plotly_selected', (e) => {
          if (e && e.range) window.__range = e.range; })"""
    )
    drag_on_plot(page, 0.3, 0.4, 0.7, 0.9)
    page.wait_for_function("() => window.__range !== undefined")
    got = page.evaluate("window.__range")
    (xlo, xhi), (ylo, yhi) = sorted(got["x"]), sorted(got["y"])
    inside = {
        t["id"]
        for t in api_trials(dense)
        if xlo <= t["params"]["lr"] <= xhi and t["value"] is not None and ylo <= t["value"] <= yhi
    }
    # Far more trials than the points drawn: the box selects from the columns.
    assert len(inside) > TOP
    page.wait_for_function(
        "(n) => document.getElementById('selection-text').textContent.startsWith(`${n} trial`)",
        arg=len(inside),
    )
    # The region panel proposes the box, and counts the trials selected on the plot.
    page.wait_for_selector("#region-details:not([hidden])")
    page.wait_for_function(
        "(n) => document.getElementById('region-selected').textContent === String(n)",
        arg=len(inside),
    )
    row = page.locator("#region-bounds tr[data-param='lr']")
    low = float(row.locator("td.low").get_attribute("data-value"))
    high = float(row.locator("td.high").get_attribute("data-value"))
    assert math.isclose(low, xlo, rel_tol=1e-9) and math.isclose(high, xhi, rel_tol=1e-9)
    # The table's selection is the same trials.
    selected = page.evaluate(
        """() => { const d = document.getElementById('scatter').data.slice(1);
          return d.filter((t) => t.selectedpoints).length; }"""
    )
    assert selected > 0
    shot(page, "41-density-box")

    # The link restores the box and its selection (the lowered threshold stays in it).
    link = page.evaluate("window.location.href")
    assert "density=1000" in link and "box=" in link
    page.goto(link)
    page.wait_for_function(
        "(n) => document.getElementById('selection-text').textContent.startsWith(`${n} trial`)",
        arg=len(inside),
    )
    assert page.evaluate(HEATMAP)["type"] == "heatmap"

    # Hiding failed and pruned trials keeps the box's selection (all these trials finished).
    page.uncheck("#show-failed")
    page.wait_for_function(
        "(n) => document.getElementById('selection-text').textContent.startsWith(`${n} trial`)",
        arg=len(inside),
    )


def test_hover_over_a_dense_cell_names_its_count_and_best(page: Any, dense: Any) -> None:
    open_dense(page, dense)
    # The fullest cell away from every drawn point, and where its centre is on the page.
    where = page.evaluate(
        """() => {
          const el = document.getElementById('scatter');
          const {xaxis: xa, yaxis: ya} = el._fullLayout;
          const page = el.getBoundingClientRect();
          const t = el.data[0];
          const px = (v) => xa.l2p(xa.d2l(v));
          const py = (v) => ya.l2p(ya.d2l(v));
          const points = el.data.slice(1)
            .flatMap((p) => Array.from(p.x || [], (x, i) => [px(x), py(p.y[i])]));
          let best = null;
          for (let j = 0; j < t.z.length; j += 1) {
            for (let i = 0; i < t.z[j].length; i += 1) {
              if (!t.text[j][i]) continue;
              const n = Number(/<b>(\\d+) trial/.exec(t.text[j][i])[1]);
              const cx = (px(t.x[i]) + px(t.x[i + 1])) / 2;
              const cy = (py(t.y[j]) + py(t.y[j + 1])) / 2;
              if (points.some(([x, y]) => Math.hypot(x - cx, y - cy) < 25)) continue;
              if (!best || n > best.n) best = {n, i, j, cx, cy, text: t.text[j][i]};
            }
          }
          return {...best, left: page.left + xa._offset + best.cx,
                  top: page.top + ya._offset + best.cy,
                  x: [t.x[best.i], t.x[best.i + 1]], y: [t.y[best.j], t.y[best.j + 1]]};
        }"""
    )
    assert where["n"] > 1
    inside = [
        t
        for t in api_trials(dense)
        if where["x"][0] <= t["params"]["lr"] < where["x"][1]
        and t["value"] is not None
        and where["y"][0] <= t["value"] < where["y"][1]
    ]
    assert len(inside) == where["n"]
    best = min(inside, key=lambda t: t["value"])
    want = [
        f"{len(inside)} trials",
        f"best value: {format_like_page(best['value'])} (trial {best['number']})",
    ]
    page.mouse.move(where["left"] - 20, where["top"] - 20)
    page.mouse.move(where["left"], where["top"])
    # Plotly's hover is throttled: the label settles on the cell under the mouse.
    page.wait_for_function(
        """(want) => {
          const label = document.querySelector('#scatter .hoverlayer .hovertext');
          return label !== null && want.every((w) => label.textContent.includes(w));
        }""",
        arg=want,
    )
    shot(page, "42-density-hover")


def test_a_zoom_bins_the_zoomed_range(page: Any, dense: Any) -> None:
    open_dense(page, dense)
    page.evaluate(
        "() => Plotly.relayout('scatter', {'xaxis.range': [-3, -1], 'yaxis.range': [0, 2]})"
    )
    page.wait_for_function(
        "() => Math.abs(document.getElementById('scatter').data[0].x[0] - 1e-3) < 1e-9"
    )
    heatmap = page.evaluate(HEATMAP)
    assert math.isclose(heatmap["x"][-1], 0.1, rel_tol=1e-9)
    assert heatmap["y"][0] == 0 and math.isclose(heatmap["y"][-1], 2)


def test_a_poll_that_brings_trials_redraws_the_cells(page: Any, dense: Any) -> None:
    open_dense(page, dense)
    assert page.evaluate(HEATMAP)["trials"] == N
    _, _, db_url = dense
    engine = make_engine(db_url)
    added = []
    try:
        factory = make_sessionmaker(engine)
        for k in range(MORE):
            params = {"lr": 0.5, "x": 0.3, "units": 16, "solver": "adam"}
            with session_scope(factory) as session:
                enqueue(session, 1, params)
            with session_scope(factory) as session:
                claim = ask(session, objectives=None, worker="test")
                assert claim is not None
                tell(session, claim.trial_id, state=TrialState.COMPLETE, value=-1.0 - k)
                added.append(claim.trial_id)
    finally:
        engine.dispose()
    page.wait_for_function(
        f"() => document.getElementById('scatter').data[0].meta.trials === {N + MORE}"
    )
    heatmap = page.evaluate(HEATMAP)
    # The new trials are the best: their cell's colour is the best of them, and they are points.
    assert min(v for row in heatmap["z"] for v in row if v is not None) == -1.0 - (MORE - 1)
    texts = [t for row in heatmap["text"] for t in row]
    assert any(f"best value: {format_like_page(-1.0 - (MORE - 1))}" in t for t in texts)
    assert set(added) <= set(page.evaluate(POINT_IDS))
