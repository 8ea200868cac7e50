"""The experiment page at WebGL scale in Chromium: the scatter plot comes first, the table,
views and panel after it; hover texts are built when hovered; unchanged polls redraw nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
import numpy as np
import pytest

from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.importing import import_experiment
from app.store.migrate import upgrade
from tests.support.browser import NASTY, drag_on_plot, shot
from tests.support.exported_trials import CREATED, SPACE, finished_trials
from tests.support.processes import running_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]
N = 6000  # above GL_POINTS (scatter.js): the scatter plot is WebGL

# When each part of the page first appeared, seen from before the page's scripts run.
FIRST_SEEN = """
window.__seen = {};
new MutationObserver(() => {
  const at = performance.now();
  const parts = {scatter: '#scatter .main-svg', table: '#trials-table tbody tr',
                 tree: '#searches tbody tr', history: '#history .main-svg'};
  for (const [name, selector] of Object.entries(parts)) {
    if (!(name in window.__seen) && document.querySelector(selector)) window.__seen[name] = at;
  }
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A server over an experiment of N finished trials (brought in by the importer, the way
    an export moves between machines), polled every 0.3 s."""
    folder = tmp_path_factory.mktemp("big")
    url = f"sqlite:///{folder / 'big.db'}"
    upgrade(url)
    document = {
        "format": "hyperzoom-experiment",
        "version": 1,
        "experiment": {
            "name": "scale",
            "objective": "bowl",
            "direction": "minimize",
            "space": SPACE,
            "created_at": CREATED,
        },
        "searches": [
            {
                "id": 1,
                "parent_id": None,
                "sampler": "random",
                "sampler_options": None,
                "pruner": None,
                "seed": 1,
                "n_trials": N,
                "status": "done",
                "space": SPACE,
                "region": None,
                "heartbeat_timeout": 60.0,
                "max_retries": 2,
                "created_at": CREATED,
            }
        ],
        "trials": finished_trials(N, np.random.default_rng(3)),
    }
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        experiment_id = import_experiment(session, document).id
    engine.dispose()
    env = {"HYPERZOOM_POLL_INTERVAL": "0.3"}
    with running_server(url, folder / "server.log", **env) as served:
        yield served, experiment_id


def open_big(page: Any, big: Any) -> None:
    url, experiment_id = big
    page.add_init_script(FIRST_SEEN)
    page.goto(f"{url}/experiments/{experiment_id}")
    page.wait_for_selector("#trials-table tbody tr")
    page.wait_for_function("() => window.__seen.history !== undefined")


def test_the_scatter_plot_is_drawn_before_the_table_and_the_views(page: Any, big: Any) -> None:
    first_reads: list[str | None] = []
    page.on(
        "request",
        lambda r: (
            first_reads.append(r.headers.get("accept"))
            if r.url.endswith("/trials/columns?since=0")
            else None
        ),
    )
    open_big(page, big)
    # The head's script starts the first read as binary columns and the page takes it over:
    # one read of every trial, not two.
    assert first_reads == ["application/vnd.hyperzoom.columns"]
    seen = page.evaluate("window.__seen")
    assert seen["scatter"] < seen["table"], seen
    assert seen["scatter"] < seen["history"], seen
    assert "tree" in seen
    traces = page.evaluate(
        "() => document.getElementById('scatter').data.map((t) => [t.type, t.customdata.length])"
    )
    assert {kind for kind, _ in traces} == {"scattergl"}
    assert sum(n for _, n in traces) == N
    # The table holds one page of rows, not N.
    assert page.locator("#trials-table tbody tr").count() == 50
    assert page.locator(".table-info").inner_text() == f"1–50 of {N}"
    assert page.locator("#searches tbody tr").count() == 1
    shot(page, "30-first-plot-6000-trials")


def test_hover_text_is_built_when_a_point_is_hovered(page: Any, big: Any) -> None:
    open_big(page, big)
    url, experiment_id = big
    columns = httpx.get(f"{url}/api/experiments/{experiment_id}/trials/columns").json()
    trials = {
        trial_id: (columns["number"][i], columns["params"]["solver"][i])
        for i, trial_id in enumerate(columns["id"])
    }
    # Where plotly put point 0 of the first trace, in page pixels.
    where = page.evaluate(
        """() => {
          const el = document.getElementById('scatter');
          const {xaxis: xa, yaxis: ya} = el._fullLayout;
          const box = el.getBoundingClientRect();
          const t = el.data[0];
          window.__hovered = [];
          el.on('plotly_hover', (e) => window.__hovered.push(...e.points.map(
            (p) => el.data[p.curveNumber].customdata[p.pointNumber])));
          return [box.left + xa._offset + xa.l2p(xa.d2l(t.x[0])),
                  box.top + ya._offset + ya.l2p(ya.d2l(t.y[0]))];
        }"""
    )
    page.mouse.move(where[0] - 30, where[1] - 30)
    page.mouse.move(*where, steps=3)
    page.wait_for_function("() => window.__hovered.length > 0")
    # The label of the last hover event: plotly's events and its label can be a step apart
    # while the mouse's moves are handled (seen under load), so wait until they agree.
    deadline = time.monotonic() + 10
    while True:
        label = page.locator("#scatter .hoverlayer .hovertext").first.text_content() or ""
        hovered = page.evaluate("window.__hovered[window.__hovered.length - 1]")
        number, solver = trials[hovered]
        if f"trial {number}" in label or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert f"search 1 (coarse) · trial {number}" in label
    assert f"solver: {solver}" in label and "lr: " in label
    shot(page, "31-hover-6000-trials")


def test_webgl_hover_texts_escape_what_users_typed(page: Any, big: Any) -> None:
    open_big(page, big)
    texts = page.evaluate(
        """async (nasty) => {
          const { buildFigure } = await import('/static/js/scatter.js');
          const trials = Array.from({length: 6000}, (_, i) => ({id: i + 1, searchId: 1,
            number: i, state: 'complete', value: i, params: {[nasty]: nasty, x: i / 6000},
            metrics: {}, duration: 1}));
          const space = {[nasty]: {type: 'categorical', choices: [nasty]},
                         x: {type: 'float', low: 0, high: 1}};
          const figure = buildFigure({trials, space, searches: [{id: 1, parent_id: null}],
            x: 'x', y: 'value', color: 'value', direction: 'minimize', objective: 'o', box: null});
          const t = figure.data[0];
          const h = t.hovertext;
          return [t.type, h.length, h[5], h[5999], h[6000]];
        }""",
        NASTY,
    )
    kind, length, fifth, last, beyond = texts
    assert (kind, length, beyond) == ("scattergl", 6000, None)
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    head = "<b>search 1 (coarse) · trial 5</b><br>value: 5"
    assert fifth == f"{head}<br>{escaped}: {escaped}<br>x: 8.333e-4"
    assert "trial 5999" in last
    assert NASTY not in fifth


def test_polls_that_bring_nothing_redraw_nothing(page: Any, big: Any) -> None:
    open_big(page, big)
    page.evaluate(
        """() => {
          window.__data = document.getElementById('scatter').data;
          window.__row = document.querySelector('#trials-table tbody tr');
        }"""
    )
    polls = (
        "() => performance.getEntriesByType('resource')"
        f".filter((e) => e.name.endsWith('since={N}')).length >= 3"
    )
    page.wait_for_function(polls)
    same = page.evaluate(
        """() => [document.getElementById('scatter').data === window.__data,
                  document.querySelector('#trials-table tbody tr') === window.__row]"""
    )
    assert same == [True, True]


# The first plot's WebGL traces, as the page handed them to plotly.
TRACES = """() => {
  const el = document.getElementById('scatter');
  const typed = (a) => a instanceof Float64Array;
  return el.data.map((t) => ({
    uid: t.uid, n: t.customdata.length,
    typed: [typed(t.x), typed(t.y), typed(t.customdata)],
    hex: Array.isArray(t.marker.color) && t.marker.color.length > 0
      && t.marker.color.every((c) => /^#[0-9a-f]{6}$/.test(c)),
    showscale: Boolean(t.marker.showscale), cmin: t.marker.cmin, cmax: t.marker.cmax,
    ids: Array.from(t.customdata), y: Array.from(t.y || []),
    colors: Array.isArray(t.marker.color) ? t.marker.color : null,
  }));
}"""


def test_the_first_plot_is_drawn_from_typed_columns_without_trial_objects(
    page: Any, big: Any
) -> None:
    open_big(page, big)
    url, experiment_id = big
    # The page had built no trial object when the scatter plot was drawn (the table and the
    # views build them after it).
    detail = page.evaluate("() => performance.getEntriesByName('hz:scatter')[0].detail")
    assert detail == {"trialObjects": 0}
    traces = {t["uid"]: t for t in page.evaluate(TRACES)}
    search = traces["search-1"]
    assert search["n"] == N
    assert search["typed"] == [True, True, True]
    # One colour per point, from the scale's levels (no colour scale for plotly to run per
    # point); the bar is on a trace of its own that draws nothing.
    assert search["hex"] and not search["showscale"]
    bar = traces["colorbar"]
    assert bar["showscale"] and bar["n"] == 0
    columns = httpx.get(f"{url}/api/experiments/{experiment_id}/trials/columns").json()
    values = dict(zip(columns["id"], columns["value"], strict=True))
    assert (bar["cmin"], bar["cmax"]) == (min(values.values()), max(values.values()))
    # Minimized: the best trial is the brightest (viridis' yellow top), the worst the darkest.
    by_id = dict(zip(search["ids"], search["colors"], strict=True))
    best = min(values, key=values.__getitem__)
    worst = max(values, key=values.__getitem__)
    assert (by_id[best], by_id[worst]) == ("#fde725", "#440154")


def test_a_box_on_the_webgl_plot_selects_the_trials_under_it(page: Any, big: Any) -> None:
    open_big(page, big)
    url, experiment_id = big
    page.evaluate(
        """() => {
          const el = document.getElementById('scatter');
          el.on('plotly_selected', (e) => {
            if (!e || !e.range) return;
            window.__box = {range: e.range, ids: e.points.map(
              (p) => el.data[p.curveNumber].customdata[p.pointIndex ?? p.pointNumber])};
          });
        }"""
    )
    axes = page.evaluate(
        "() => [document.getElementById('x-axis').value, document.getElementById('y-axis').value]"
    )
    # Most trials have a low value (the bowl's floor): the box spans the plot's lower half.
    drag_on_plot(page, 0.2, 0.55, 0.8, 0.95)
    page.wait_for_function("() => window.__box !== undefined")
    got = page.evaluate("window.__box")
    columns = httpx.get(f"{url}/api/experiments/{experiment_id}/trials/columns").json()

    def column(key: str) -> list[Any]:
        return columns["value"] if key == "value" else columns["params"][key]

    (xlo, xhi), (ylo, yhi) = (sorted(got["range"]["x"]), sorted(got["range"]["y"]))
    inside = {
        trial_id
        for trial_id, x, y in zip(columns["id"], column(axes[0]), column(axes[1]), strict=True)
        if xlo <= x <= xhi and ylo <= y <= yhi
    }
    assert inside and len(inside) < N
    assert set(got["ids"]) == inside
    # The page's selection is those trials: the bar counts them, the plot highlights them.
    page.wait_for_function(
        "(n) => document.getElementById('selection-text').textContent.startsWith(`${n} trial`)",
        arg=len(inside),
    )
    page.wait_for_function(
        "() => document.getElementById('scatter').data[0].selectedpoints !== undefined"
    )
    highlighted = page.evaluate(
        """() => document.getElementById('scatter').data.filter((t) => t.selectedpoints)
          .flatMap((t) => Array.from(t.selectedpoints, (i) => t.customdata[i]))"""
    )
    assert set(highlighted) == inside
    shot(page, "32-box-6000-trials")
