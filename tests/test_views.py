"""The experiment page's analysis views in Chromium: importance, scatter matrix, parallel
coordinates, learning curves, the linked selection, WebGL for large experiments, and parameters
named like the built-in axes.

Screenshots of each view land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.browser import ARTIFACTS, NASTY, drag, drag_on_plot, shot
from tests.support.dashboard import STEPS, experiment, open_dashboard, play, table_ids

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "solver": {"type": "categorical", "choices": ["sgd", "adam", NASTY]},  # `play` ignores it
}


def open_tab(page: Any, view: str) -> None:
    """Click a tab and wait until its plot is drawn."""
    page.click(f"#tab-{view}")
    page.wait_for_function(
        "(v) => { const el = document.getElementById(v); return el.data && el.data.length; }",
        arg=view,
    )


def view_shot(page: Any, name: str) -> None:
    """Save a screenshot of the analysis section (the views' details show at full size)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#analysis").screenshot(path=str(ARTIFACTS / f"{name}.png"))


def drawn(page: Any, view: str) -> bool:
    """Whether plotly has drawn into the view's element."""
    return page.evaluate("(v) => Boolean(document.getElementById(v).data)", view)


def test_views_draw_lazily_and_share_one_selection(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 80, space=SPACE)
    play(factory, 80)
    trials = api.get(f"/api/experiments/{created['id']}/trials", params={"limit": 500}).json()
    complete = {t["id"]: t for t in trials if t["state"] == "complete"}
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 50)
    assert page.get_attribute("#tab-history", "aria-selected") == "true"
    assert drawn(page, "history")
    assert not any(drawn(page, v) for v in ("importance", "splom", "parcoords", "curves"))
    page.set_viewport_size({"width": 1366, "height": 768})

    # Importance: the bowl depends on learning_rate (decades) far more than on x, not on solver.
    open_tab(page, "importance")
    bars = page.evaluate("() => document.getElementById('importance').data[0]")
    scores = dict(zip(bars["y"], bars["x"], strict=True))
    assert bars["y"][-1] == "learning_rate"  # most important on top
    assert scores["learning_rate"] > 0.6 > scores["x"]
    assert scores["solver"] < 0.15
    assert page.get_attribute("#tab-history", "aria-selected") == "false"
    assert "view=importance" in page.url
    view_shot(page, "20-importance")

    # Scatter matrix: the most important parameters then the objective, log axis for the rate.
    open_tab(page, "splom")
    labels = page.evaluate(
        "() => document.getElementById('splom').data[0].dimensions.map(d => d.label)"
    )
    assert labels[0] == "learning_rate" and labels[-1] == "objective value"  # bowl names none
    assert sorted(labels[1:3]) == ["solver", "x"]
    axis_type = page.evaluate("() => document.getElementById('splom')._fullLayout.xaxis.type")
    assert axis_type == "log"
    view_shot(page, "21-scatter-matrix")

    # A box on the matrix's learning_rate × objective panel selects trials everywhere.
    geo = page.evaluate(
        """() => { const fl = document.getElementById('splom')._fullLayout;
          const ax = (a) => ({offset: a._offset, length: a._length, range: a.range});
          const y = Object.keys(fl).filter(k => /^yaxis\\d*$/.test(k))
            .map(k => fl[k]).sort((a, b) => b._offset - a._offset)[0];
          return {x: ax(fl.xaxis), y: ax(y)}; }"""
    )
    page.locator("#splom").scroll_into_view_if_needed()
    box = page.locator("#splom").bounding_box()
    left, top = box["x"] + geo["x"]["offset"], box["y"] + geo["y"]["offset"]
    drag(page, left + 2, top + 2, left + 0.5 * geo["x"]["length"], top + geo["y"]["length"] - 2)
    page.wait_for_selector("#selection-bar:not([hidden])")
    r0, _ = geo["x"]["range"]
    r1 = r0 + 0.5 * (geo["x"]["range"][1] - r0)
    low, high = 10 ** (r0 + (geo["x"]["range"][1] - r0) * 2 / geo["x"]["length"]), 10**r1
    expected = {i for i, t in complete.items() if low <= t["params"]["learning_rate"] <= high}
    selected = set(page.evaluate("() => window.__selection || []") or [])
    rows = set(table_ids(page))
    assert rows and rows <= set(complete)
    # Points near the box's edges may fall either way by a pixel; the rest must agree.
    assert len(rows ^ expected) <= 2, (rows, expected)
    assert page.locator("#selection-text").inner_text().startswith(f"{len(rows)} trial")
    assert "selected" in page.locator(".table-info").inner_text()
    highlighted = page.evaluate(
        """() => document.getElementById('scatter').data.flatMap(
          t => (t.selectedpoints || []).map(i => t.customdata[i]))"""
    )
    assert set(highlighted) == rows
    del selected
    shot(page, "22-scatter-matrix-selection")

    # Parallel coordinates show the selection in orange, then a brush replaces it.
    open_tab(page, "parcoords")
    line = page.evaluate("() => document.getElementById('parcoords').data[0].line")
    assert sum(line["color"]) == len(rows)
    dims = page.evaluate(
        """() => document.getElementById('parcoords').data[0].dimensions.map(
          d => ({label: d.label, ticktext: d.ticktext || null}))"""
    )
    assert [d["label"] for d in dims] == ["learning_rate", "x", "solver", "objective value"]
    assert "0.001" in dims[0]["ticktext"] and "1e-5" in dims[0]["ticktext"]
    assert dims[2]["ticktext"] == ["sgd", "adam", "<img src=x oner…"]  # cut; plain SVG text
    view_shot(page, "23-parallel-coordinates-linked")
    # Brush the x axis with the mouse, over the middle of its height.
    page.locator("#parcoords").scroll_into_view_if_needed()
    brush = page.locator("#parcoords .axis-brush").nth(1).bounding_box()
    middle = brush["x"] + brush["width"] / 2
    top, height = brush["y"], brush["height"]
    drag(page, middle, top + 0.3 * height, middle, top + 0.7 * height)
    page.wait_for_function(
        "() => document.getElementById('selection-text').textContent.includes('parallel')"
    )
    low, high = page.evaluate(
        "() => document.getElementById('parcoords').data[0].dimensions[1].constraintrange"
    )
    assert 0.15 < low < high < 0.85
    brushed = {i for i, t in complete.items() if low <= t["params"]["x"] <= high}
    shown = set(table_ids(page))  # the table's first page holds 50 rows
    assert shown <= brushed and len(shown) == min(len(brushed), 50)
    assert page.locator("#selection-text").inner_text().startswith(f"{len(brushed)} trial")
    shot(page, "24-parallel-coordinates-brushed")

    # Learning curves: the best trials and the selected ones, from the bulk endpoint.
    open_tab(page, "curves")
    curves = page.evaluate(
        """() => document.getElementById('curves').data.map(
          t => ({id: t.customdata[0], x: t.x, y: t.y, color: t.line.color}))"""
    )
    best = sorted(complete.values(), key=lambda t: (t["value"], t["id"]))[:8]
    ids = [c["id"] for c in curves]
    assert ids[:8] == [t["id"] for t in best]
    assert set(ids[8:]) <= brushed and len(ids) == min(40, len(brushed | set(ids[:8])))
    for c in curves:
        assert c["x"] == list(range(STEPS))
        assert c["y"][-1] == pytest.approx(complete[c["id"]]["value"] + 0.5)
    view_shot(page, "25-learning-curves")

    # Keyboard: arrows move between tabs; the URL keeps the tab; Clear empties the selection.
    page.focus("#tab-curves")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("() => document.activeElement.id") == "tab-parcoords"
    assert page.get_attribute("#tab-parcoords", "aria-selected") == "true"
    page.click("#clear-selection")
    page.wait_for_selector("#selection-bar[hidden]", state="attached")
    assert len(table_ids(page)) == 50
    cleared = page.evaluate("() => document.getElementById('parcoords').data[0]")
    assert cleared["line"]["showscale"]  # coloured by the objective again, no brush left
    assert not any("constraintrange" in d for d in cleared["dimensions"])

    # A box on the scatter plot selects too: the parallel coordinates follow it.
    page.locator("#scatter").scroll_into_view_if_needed()
    drag_on_plot(page, 0.5, 0.0, 1.0, 1.0)
    page.wait_for_selector("#selection-text:has-text('scatter plot')")
    boxed = page.evaluate(
        """() => document.getElementById('scatter').data.filter(t => t.name.startsWith('search'))
          .flatMap(t => (t.selectedpoints || []).map(i => t.customdata[i]))"""
    )
    assert boxed and set(boxed) <= set(complete)
    lit = "document.getElementById('parcoords').data[0].line.color.filter(c => c).length"
    page.wait_for_function(f"(n) => {lit} === n", arg=len(boxed))
    assert page.locator("#region-details").is_visible()  # the same box is the region
    page.reload()
    page.wait_for_function("() => document.getElementById('parcoords').data")
    assert page.get_attribute("#tab-parcoords", "aria-selected") == "true"
    assert not drawn(page, "splom")


IMPORTANCE_CHECK = """async () => {
  const { importance, ranks } = await import('/static/js/importance.js');
  let seed = 11;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const space = {
    lr: {type: 'float', low: 1e-6, high: 1, log: true},
    width: {type: 'int', low: 1, high: 4},
    noise: {type: 'float', low: 0, high: 1},
    opt: {type: 'categorical', choices: ['sgd', 'adam']},
    fixed: {type: 'fixed', value: 3},
    momentum: {type: 'float', low: 0, high: 1},  // only for sgd: ranked on those trials alone
  };
  const trials = [];
  for (let i = 0; i < 400; i += 1) {
    const params = {lr: 10 ** (-6 + 6 * random()), width: 1 + Math.floor(4 * random()),
      noise: random(), opt: random() < 0.5 ? 'sgd' : 'adam', fixed: 3};
    if (params.opt === 'sgd') params.momentum = random();
    // The objective follows log10(lr); width and opt matter a little; noise not at all.
    // One diverged trial (1e12) must not swamp the others: ranks, not raw values.
    const value = i === 7 ? 1e12 : Math.abs(Math.log10(params.lr) + 3) + 0.4 * params.width
      + (params.opt === 'adam' ? 0.5 : 0) + 0.05 * random();
    trials.push({id: i + 1, state: 'complete', value, params});
  }
  trials.push({id: 999, state: 'failed', value: null, params: {lr: 1, width: 1, noise: 0}});
  const few = trials.slice(0, 5);
  return {
    ranking: importance(trials, space),
    few: importance(few, space),
    ties: ranks([3, 1, 3, 2]),
    linear: importance(trials, {...space, lr: {type: 'float', low: 1e-6, high: 1}})
      .find((r) => r.name === 'lr').score,
  };
}"""


def test_importance_ranks_a_known_dataset(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    got = page.evaluate(IMPORTANCE_CHECK)
    scores = {r["name"]: r["score"] for r in got["ranking"]}
    names = [r["name"] for r in got["ranking"]]
    assert names[:3] == ["lr", "width", "opt"] and set(names[3:]) == {"noise", "momentum"}
    n = {r["name"]: r["n"] for r in got["ranking"]}
    assert n["lr"] == n["noise"] == 400  # the failed trial does not count
    assert 150 < n["momentum"] < 250  # the sgd trials
    assert scores["momentum"] < 0.03
    assert scores["lr"] > 0.7
    assert 0.02 < scores["opt"] < scores["width"] < scores["lr"]
    assert scores["noise"] < 0.02  # chance-adjusted: an irrelevant parameter scores near 0
    # Binned in log10 for a log parameter: on a linear scale nearly all draws share one bin.
    assert got["linear"] < scores["lr"] / 2
    assert all(r["score"] is None for r in got["few"])  # too few trials to rank
    assert got["ties"] == [2.5, 0, 2.5, 1]


CLASHING = {
    "value": {"type": "float", "low": 10.0, "high": 20.0},
    "number": {"type": "int", "low": 100, "high": 200},
    "duration": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
    "metric:acc": {"type": "categorical", "choices": ["a", "b"]},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    NASTY: {"type": "float", "low": 0.0, "high": 1.0},
}


def scatter_xy(page: Any) -> dict[int, tuple[Any, Any]]:
    """Trial id -> (x, y) as the scatter plot draws it."""
    return {
        i: (x, y)
        for i, x, y in page.evaluate(
            """() => document.getElementById('scatter').data.flatMap(
              t => t.name.startsWith('search') ? t.customdata.map((id, k) => [id, t.x[k], t.y[k]])
                : [])"""
        )
    }


def test_parameters_named_like_built_in_axes_keep_their_own_axes(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 24, space=CLASHING)
    play(factory, 24)  # metrics {"acc": ...}: a metric named like the parameter "metric:acc"
    trials = {t["id"]: t for t in api.get(f"/api/experiments/{created['id']}/trials").json()}
    done = {i: t for i, t in trials.items() if t["state"] == "complete"}
    columns = api.get(f"/api/experiments/{created['id']}/trials/columns").json()
    duration = dict(zip(columns["id"], columns["duration"], strict=True))
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 10)
    options = page.eval_on_selector_all("#x-axis option", "os => os.map(o => [o.value, o.text])")
    assert options == [
        ["param:value", "value (parameter)"],
        ["param:number", "number (parameter)"],
        ["param:duration", "duration (parameter)"],
        ["param:metric:acc", "metric:acc (parameter)"],
        ["x", "x"],
        [NASTY, NASTY],
        ["value", "objective value"],
        ["metric:acc", "metric acc"],
        ["duration", "duration (s)"],
        ["number", "trial number"],
    ]
    headers = dict(
        page.eval_on_selector_all(
            "#trials-table thead th", "ths => ths.map(th => [th.dataset.key, th.textContent])"
        )
    )
    assert headers["value"] == "value" and headers["param:value"] == "value (parameter)"
    assert headers["param:metric:acc"] == "metric:acc" and headers["metric:acc"] == "metric acc"
    # The first log parameter goes on x by default: the one named "duration".
    assert page.locator("#x-axis").input_value() == "param:duration"
    layout_type = page.evaluate("() => document.getElementById('scatter')._fullLayout.xaxis.type")
    assert layout_type == "log"

    def params(name: str) -> Any:
        return lambda t: t["params"][name]

    pairs = [
        ("param:value", "value", params("value"), lambda t: t["value"]),
        ("param:number", "number", params("number"), lambda t: t["number"]),
        ("metric:acc", "param:metric:acc", lambda t: t["metrics"]["acc"], params("metric:acc")),
        ("duration", "param:duration", lambda t: duration[t["id"]], params("duration")),
    ]
    for x, y, want_x, want_y in pairs:
        page.select_option("#x-axis", x)
        page.select_option("#y-axis", y)
        page.wait_for_function("() => location.search.includes('y=')")
        drawn = scatter_xy(page)
        assert set(drawn) == set(done)
        for i, t in done.items():
            assert drawn[i] == (want_x(t), want_y(t)), (x, y, t)
    titles = page.evaluate(
        """() => { const fl = document.getElementById('scatter')._fullLayout;
          return [fl.xaxis.title.text, fl.yaxis.title.text, fl.yaxis.type]; }"""
    )
    assert titles == ["duration (s)", "duration (parameter)", "log"]
    shot(page, "26-parameters-named-like-axes")

    page.select_option("#x-axis", "param:value")
    page.select_option("#y-axis", "value")
    page.wait_for_function("() => location.search.includes('x=param%3Avalue')")
    page.reload()
    page.wait_for_selector("#trials-table tbody tr")
    assert page.locator("#x-axis").input_value() == "param:value"
    assert page.locator("#y-axis").input_value() == "value"

    # The other views name the same parameters, and a name is text, never markup.
    open_tab(page, "parcoords")
    labels = page.evaluate(
        "() => document.getElementById('parcoords').data[0].dimensions.map(d => d.label)"
    )
    assert labels[:4] == ["value", "number", "duration", "metric:acc"]
    assert labels[-1] == "objective value"
    shown = page.eval_on_selector_all(
        "#parcoords text.axis-title", "ts => ts.map(t => t.textContent)"
    )
    assert NASTY in shown, shown
    open_tab(page, "splom")
    open_tab(page, "importance")
    assert page.locator("img").count() == 0
    view_shot(page, "27-named-like-axes-parcoords")


GL_FIGURE = """async (n) => {
  const { buildFigure } = await import('/static/js/scatter.js');
  const space = {lr: {type: 'float', low: 1e-6, high: 1, log: true},
                 x: {type: 'float', low: 0, high: 1}};
  let seed = 5;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const trials = Array.from({length: n}, (_, i) => {
    const lr = 10 ** (-6 + 6 * random());
    const failed = i % 50 === 7;  // no value: nothing to draw on the objective's axis
    return {id: i + 1, searchId: 1, number: i, state: failed ? 'failed' : 'complete',
      value: failed ? null : (Math.log10(lr) + 3) ** 2, params: {lr, x: random()}, metrics: {},
      duration: 1};
  });
  const args = {trials, space, searches: [{id: 1, parent_id: null}], x: 'lr', y: 'value',
    color: 'value', direction: 'minimize', objective: 'bowl', box: null};
  const el = document.createElement('div');
  el.id = 'gl-test';
  el.style.cssText = 'position:fixed;left:0;top:0;width:700px;height:450px;z-index:99';
  document.body.append(el);
  const figure = buildFigure(args);
  await Plotly.newPlot(el, figure.data, figure.layout);
  window.glArgs = args;
  window.glEvents = [];
  el.on('plotly_selected', (e) => window.glEvents.push(e));
  const fl = el._fullLayout;
  const ax = (a) => ({offset: a._offset, length: a._length, range: a.range, type: a.type});
  return {types: figure.data.map((t) => t.type), x: ax(fl.xaxis), y: ax(fl.yaxis),
    small: buildFigure({...args, trials: trials.slice(0, 100)}).data.map((t) => t.type)};
}"""


def test_a_large_experiment_is_drawn_with_webgl_and_box_select_still_works(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 3)
    play(factory, 3)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 1)
    got = page.evaluate(GL_FIGURE, 6000)
    # The search's points, its legend entry and the colour bar (WebGL points get their colour
    # as a level of the scale, so the scale rides on a trace of its own); failed trials have
    # no value to plot on y.
    assert got["types"] == ["scattergl", "scattergl", "scattergl"]
    assert set(got["small"]) == {"scatter"}
    assert got["x"]["type"] == "log"
    # Box over the middle of the x axis, the whole height: the points inside come back.
    x, y = got["x"], got["y"]
    drag(page, x["offset"] + 0.3 * x["length"], y["offset"] + 1,
         x["offset"] + 0.6 * x["length"], y["offset"] + y["length"] - 1)  # fmt: skip
    page.wait_for_function("() => window.glEvents.length > 0")
    result = page.evaluate(
        """async () => {
          const { idsOfEvent } = await import('/static/js/selection.js');
          const { buildFigure } = await import('/static/js/scatter.js');
          const el = document.getElementById('gl-test');
          const event = window.glEvents[window.glEvents.length - 1];
          const ids = idsOfEvent(event, el.data);
          const [lo, hi] = event.range.x;
          const inside = window.glArgs.trials.filter((t) => t.state === 'complete'
            && t.params.lr >= lo && t.params.lr <= hi).map((t) => t.id);
          // Another view selects these trials: the WebGL traces highlight them.
          const figure = buildFigure({...window.glArgs, selected: new Set(ids)});
          await Plotly.react(el, figure.data, figure.layout);
          const highlighted = el._fullData[0].selectedpoints.map((i) => el.data[0].customdata[i]);
          const lrs = Object.fromEntries(window.glArgs.trials.map((t) => [t.id, t.params.lr]));
          return {ids, inside, highlighted, range: event.range.x, lrs};
        }"""
    )
    assert len(result["ids"]) > 500
    # WebGL tests points in float32: one on the box's very edge may fall either way.
    edges = [math.log10(v) for v in result["range"]]
    per_pixel = (x["range"][1] - x["range"][0]) / x["length"]
    for i in set(result["ids"]) ^ set(result["inside"]):
        lr = math.log10(result["lrs"][str(i)])
        assert min(abs(lr - e) for e in edges) < per_pixel, (i, lr, edges)
    assert len(set(result["ids"]) ^ set(result["inside"])) <= 3
    assert sorted(result["highlighted"]) == sorted(result["ids"])
    lo, hi = (math.log10(v) for v in result["range"])
    r0, r1 = x["range"]
    assert lo == pytest.approx(r0 + 0.3 * (r1 - r0), abs=0.02)
    assert hi == pytest.approx(r0 + 0.6 * (r1 - r0), abs=0.02)
    page.locator("#gl-test").screenshot(path=str(ARTIFACTS / "28-webgl-scatter-selected.png"))


def view_note(page: Any, view: str) -> str:
    """The status line above a view's plot."""
    return page.locator(f"#view-{view} .view-note").inner_text()


def test_views_say_when_there_is_nothing_to_draw_or_the_server_fails(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 6, space=SPACE)
    page.goto(f"{live_server}/experiments/{created['id']}")
    page.wait_for_selector("#status:has-text('No trials yet')")
    assert view_note(page, "history") == "No finished trials yet."
    expected = {
        "importance": "Needs at least 8 finished trials to rank the parameters.",
        "splom": "Needs at least 2 finished trials.",
        "parcoords": "Needs at least 2 finished trials.",
        "curves": "No finished trials yet.",
    }
    for view, text in expected.items():
        page.click(f"#tab-{view}")
        page.wait_for_selector(f"#view-{view} .view-note:not([hidden])")
        assert view_note(page, view) == text
        assert not drawn(page, view)

    # The curves come from the server: when it fails, the view says so and tries again.
    page.route("**/curves?*", lambda route: route.fulfill(status=503, json={"message": "down"}))
    play(factory, 6)
    page.wait_for_selector("#view-curves .view-note.error")
    assert view_note(page, "curves") == "Could not load the learning curves: down"
    view_shot(page, "29-curves-error")
    page.unroute("**/curves?*")
    page.click("#tab-history")
    page.click("#tab-curves")  # showing the view again tries again
    page.wait_for_function("() => (document.getElementById('curves').data || []).length")
    assert view_note(page, "curves") == "Intermediate values of the best trials."


COOLDOWN_CHECK = """async () => {
  const { AnalysisViews } = await import('/static/js/analysis.js');
  const { Selection } = await import('/static/js/selection.js');
  const root = document.createElement('section');
  root.innerHTML = `<button role="tab" data-view="history"></button>
    <div role="tabpanel" data-view="history"><p class="view-note"></p></div>`;
  document.body.append(root);
  const views = new AnalysisViews(root, {selection: new Selection()});
  const draws = [];
  views.history = () => {  // a view that takes 400 ms to draw
    const t0 = performance.now();
    while (performance.now() - t0 < 400) {}
    draws.push(performance.now());
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const update = async (version, filter) => {
    views.update({trials: [], version, filter});
    await sleep(50);
    return draws.length;
  };
  const counts = {
    first: await update(1, 'all'),
    newTrials: await update(2, 'all'),  // within 10 x 400 ms: put off
    newFilter: await update(2, 'search 3'),  // a person's choice: drawn at once
    moreTrials: await update(3, 'search 3'),  // put off again
  };
  await sleep(5500);
  counts.later = draws.length;  // the put-off redraw happened once the cooldown ran out
  counts.gap = draws[draws.length - 1] - draws[draws.length - 2];
  return counts;
}"""


def test_a_slow_view_is_redrawn_for_new_trials_at_most_once_per_cooldown(
    live_server: str, page: Any
) -> None:
    page.goto(f"{live_server}/")
    got = page.evaluate(COOLDOWN_CHECK)
    assert (got["first"], got["newTrials"], got["newFilter"], got["moreTrials"]) == (1, 1, 2, 2)
    assert got["later"] == 3
    assert got["gap"] >= 10 * 400 - 100


CURVE_PICKS = """async () => {
  const { curveTrials } = await import('/static/js/views/curves.js');
  const t = (id, value, state = 'complete') => ({id, state, value});
  const trials = Array.from({length: 100}, (_, i) => t(i + 1, i % 2 ? i : -i));
  trials.push(t(101, null, 'failed'));
  const ids = (picked) => picked.map((p) => p.id);
  return {
    best: ids(curveTrials(trials, 'maximize')),
    all: ids(curveTrials(trials, 'minimize', new Set(trials.map((x) => x.id)))),
    failed: ids(curveTrials(trials, 'minimize', new Set([101, 3]))),
  };
}"""


def test_curves_show_the_best_trials_and_at_most_forty(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    got = page.evaluate(CURVE_PICKS)
    assert got["best"] == [100, 98, 96, 94, 92, 90, 88, 86]  # values 99, 97, ... (odd ids - 1)
    assert len(got["all"]) == 40 and len(set(got["all"])) == 40
    # The eight best (most negative) first, then the best of the rest of the selection.
    assert got["all"][:8] == [99, 97, 95, 93, 91, 89, 87, 85]
    assert got["all"][8:10] == [83, 81]
    # A selected failed trial has no value but may have a curve: it comes after valued ones.
    assert got["failed"][8:] == [3, 101]


def test_a_box_from_a_link_selects_the_points_it_holds(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 30)
    play(factory, 30)
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    drawn = [t for t in trials if t["value"] is not None]  # complete and pruned: failed have none
    inside = {t["id"] for t in drawn if 0.2 <= t["params"]["x"] <= 0.6 and t["value"] <= 4}
    assert 0 < len(inside) < len(drawn)
    page.goto(
        f"{live_server}/experiments/{created['id']}?x=x&y=value&color=value&box=0.2,0.6,-1,4"
    )
    page.wait_for_selector("#selection-bar:not([hidden])")
    assert (
        page.locator("#selection-text").inner_text()
        == f"{len(inside)} trials selected in the scatter plot."
    )
    assert set(table_ids(page)) == inside


PARCOORDS_CHECK = """async () => {
  const pc = await import('/static/js/views/parcoords.js');
  const space = {opt: {type: 'categorical', choices: ['sgd', 'adam']},
                 momentum: {type: 'float', low: 0, high: 1},
                 lr: {type: 'float', low: 1e-5, high: 1, log: true},
                 fixed: {type: 'fixed', value: 2}};
  const trials = [1, 2, 3, 4].map((i) => ({id: i, value: i, params: {opt: i % 2 ? 'sgd' : 'adam',
    lr: 10 ** -i, fixed: 2, ...(i % 2 ? {momentum: i / 10} : {})}}));
  const {rows, dims} = pc.parcoordsDimensions(trials, space, 'loss');
  return {
    rows: rows.map((r) => r.id),
    dims: dims.map((d) => ({key: d.key, values: d.values, range: d.range,
      tickvals: d.tickvals || null, ticktext: d.ticktext || null})),
    brushed: pc.brushedIds(rows, dims, {momentum: [0.2, 0.4]}),
    both: pc.brushedIds(rows, dims, {momentum: [0.09, 0.4], lr: [[-4.5, -3.5], [-1.5, -0.5]]}),
    none: pc.brushedIds(rows, dims, {}),
    line: pc.parcoordsFigure({rows, dims, objective: 'loss', direction: 'minimize'}).data[0].line,
    slotBrushed: pc.brushedIds(rows, dims, {momentum: [0, 0.15]}),
  };
}"""


def test_parallel_coordinates_keep_trials_without_a_conditional_parameter(
    live_server: str, page: Any
) -> None:
    page.goto(f"{live_server}/")
    got = page.evaluate(PARCOORDS_CHECK)
    assert got["rows"] == [1, 2, 3, 4]  # adam trials have no momentum, and still a line
    dims = {d["key"]: d for d in got["dims"]}
    assert list(dims) == ["opt", "momentum", "lr", "value"]  # fixed parameters left out
    momentum = dims["momentum"]
    slot = momentum["values"][1]
    assert momentum["values"] == [0.1, slot, 0.3, slot] and slot < 0.1
    assert momentum["range"] == [slot, 0.3]
    assert momentum["tickvals"][0] == slot and momentum["ticktext"][0] == "n/a"
    assert momentum["ticktext"][1:] == ["0.1", "0.15", "0.2", "0.25", "0.3"]
    assert dims["lr"]["values"] == [-1, -2, -3, -4]  # log10
    assert dims["lr"]["ticktext"] == ["1e-4", "0.001", "0.01", "0.1"]
    assert dims["opt"]["ticktext"] == ["sgd", "adam"]
    assert got["brushed"] == [3]
    assert got["both"] == [1]  # lr 0.1 in the second range, momentum 0.1 in its range
    assert got["slotBrushed"] == [1, 2, 4]  # a brush over "n/a" takes the inactive ones
    assert got["none"] is None
    # Plotly draws higher colours on top: when minimizing, the colour is the negated value,
    # so the best line is drawn last; the colour bar still reads in the objective's values.
    line = got["line"]
    assert line["color"] == [-1, -2, -3, -4] and "reversescale" not in line
    bar = line["colorbar"]
    assert [-v for v in bar["tickvals"]] == [float(t) for t in bar["ticktext"]]
