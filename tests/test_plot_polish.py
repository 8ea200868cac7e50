"""The experiment page's plots in Chromium, read back from plotly and the DOM: a categorical
colour axis with its category names, one symbol and colour per search however the page changes,
importance shares that add up to 100 %, one number format, whole-number ticks for integer
parameters, the objective's metric on the axes, a titled "Best so far" and distinct curves.

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import math
import re
from itertools import combinations
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import report, tell
from tests.support.browser import (
    ARTIFACTS,
    NASTY,
    drag_on_plot,
    format_like_page,
    shot,
)
from tests.support.dashboard import experiment, open_dashboard, play, table_ids

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "solver": {"type": "categorical", "choices": ["sgd", "adam", NASTY]},  # `play` ignores it
}
# Four parameters: the scatter matrix shows them all.
INTEGERS = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "layers": {"type": "int", "low": 1, "high": 8},
    "depth": {"type": "int", "low": 1, "high": 3},
}
SI = re.compile(r"[µμ]|\d[munpkMGT]$")  # plotly's SI suffixes: "10µ", "5m", "20k"


def open_tab(page: Any, view: str) -> None:
    """Click a tab and wait until its plot is drawn."""
    page.click(f"#tab-{view}")
    page.wait_for_function(
        "(v) => { const el = document.getElementById(v); return el.data && el.data.length; }",
        arg=view,
    )


def refine(api: httpx.Client, parent: int, n_trials: int) -> dict[str, Any]:
    """A child search of `parent` over the middle of x."""
    child = api.post(
        f"/api/searches/{parent}/refine", json={"region": {"x": [0.1, 0.9]}, "n_trials": n_trials}
    )
    assert child.status_code == 201, child.text
    return child.json()


def accuracy(params: dict[str, Any]) -> float:
    """A made-up validation accuracy, best at learning_rate_init = 3e-3."""
    return max(0.1, 0.98 - 0.12 * abs(math.log10(params["learning_rate_init"]) + 2.5))


def play_accuracy(factory: sessionmaker[Session], count: int, steps: int = 4) -> None:
    """Finish `count` trials of an mlp-digits experiment by hand, each with a learning curve."""
    for _ in range(count):
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="w1")
        assert claim is not None
        value = accuracy(claim.params)
        with session_scope(factory) as s:
            for step in range(steps):
                report(s, claim.trial_id, claim.ticket, step, value * (step + 1) / steps)
        with session_scope(factory) as s:
            tell(s, claim.trial_id, state=TrialState.COMPLETE, value=value)


def mlp_experiment(api: httpx.Client, n_trials: int) -> dict[str, Any]:
    """An experiment of the demo objective, whose value is a validation accuracy."""
    created = api.post(
        "/api/experiments",
        json={"name": "mlp", "objective": "mlp-digits", "search": {"n_trials": n_trials}},
    )
    assert created.status_code == 201, created.text
    return created.json()


def ticks(page: Any, plot: str, axis: str) -> list[tuple[float, str]]:
    """(value in real units, label) of each tick plotly drew on an axis of a plot."""
    return [
        (10**v if log else v, text)
        for v, text, log in page.evaluate(
            """([plot, axis]) => {
              const a = document.getElementById(plot)._fullLayout[axis];
              return a._vals.map((t) => [t.x, t.text, a.type === 'log']);
            }""",
            [plot, axis],
        )
    ]


def same_number(text: str, value: float) -> bool:
    """Whether a tick label is `value` in the page's number format."""
    return text == format_like_page(float(f"{value:.12g}"))


def test_a_categorical_colour_axis_gets_a_discrete_bar_with_its_category_names(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 30, space=SPACE)
    play(factory, 30)
    trials = {t["id"]: t for t in api.get(f"/api/experiments/{created['id']}/trials").json()}
    url = f"{live_server}/experiments/{created['id']}?x=learning_rate&y=value&color=solver"
    open_dashboard(page, url, 20)
    got = page.evaluate(
        """() => {
          const el = document.getElementById('scatter');
          const traces = el._fullData.filter((t) => t.name.startsWith('search')
            && t.customdata && t.customdata.length);
          const m = traces[0].marker;
          const bar = el.querySelector('.colorbar');
          const texts = [...bar.querySelectorAll('text')];
          return {
            colorscale: m.colorscale, cmin: m.cmin, cmax: m.cmax,
            points: traces.flatMap((t) => t.customdata.map((id, i) => [id, t.marker.color[i]])),
            labels: texts.filter((t) => !/title/.test(t.getAttribute('class') || ''))
              .map((t) => t.textContent),
            title: texts.filter((t) => /title/.test(t.getAttribute('class') || ''))
              .map((t) => t.textContent),
          };
        }"""
    )
    # The bar's ticks are the category names, as text (the nasty one shown, not run).
    assert got["labels"] == ["sgd", "adam", NASTY]
    assert got["title"] == ["solver"]
    assert page.locator("#scatter img").count() == 0
    # One band of one colour per category, each point on its category's band.
    assert (got["cmin"], got["cmax"]) == (-0.5, 2.5)
    colours = {}
    for (lo, c1), (hi, c2) in zip(got["colorscale"][::2], got["colorscale"][1::2], strict=True):
        assert c1 == c2
        colours[round((lo + hi) / 2 * 3 - 0.5)] = c1
    assert sorted(colours) == [0, 1, 2] and len(set(colours.values())) == 3
    choices = SPACE["solver"]["choices"]
    for trial_id, index in got["points"]:
        assert index == choices.index(trials[trial_id]["params"]["solver"])
    shot(page, "40-categorical-colour")


STYLES = """() => {
  const el = document.getElementById('scatter');
  const points = {};
  for (const t of el._fullData) {
    if (t.name.startsWith('search') && t.customdata && t.customdata.length) {
      points[t.name] = [t.marker.symbol, t.marker.line.color];
    }
  }
  const legend = {};
  for (const item of el.querySelectorAll('.legend .traces')) {
    const mark = item.querySelector('path.scatterpts');
    legend[item.textContent] = [mark.getAttribute('d'), mark.style.stroke, mark.style.fill];
  }
  return {points, legend};
}"""


def search_id(name: str) -> int:
    """The search id in a trace name such as "search 3 ← 1"."""
    return int(name.split()[1])


def test_each_search_keeps_a_symbol_and_colour_of_its_own(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 24, space=SPACE)
    root = created["root_search_id"]
    children = [refine(api, root, 2) for _ in range(20)]
    play(factory, 24 + 2 * 20)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 50)
    first = page.evaluate(STYLES)
    names = sorted(first["points"], key=search_id)
    assert len(names) == 21
    # No two of the first 20 searches share a symbol or a colour.
    twenty = [first["points"][n] for n in names[:20]]
    assert len({symbol for symbol, _ in twenty}) == 20
    assert len({colour for _, colour in twenty}) == 20
    # The legend shows each search as its symbol in its colour, whatever its points' colours.
    legend = {n: first["legend"][n] for n in names}
    assert len({d for d, _, _ in legend.values()}) >= 20
    assert len({stroke for _, stroke, _ in legend.values()}) >= 20
    shot(page, "41-twenty-searches")

    # Selecting trials changes neither the points' style nor the legend.
    page.select_option("#y-axis", "x")
    drag_on_plot(page, 0.4, 0.0, 1.0, 1.0)
    page.wait_for_selector("#selection-text:has-text('scatter plot')")
    page.wait_for_function(
        "() => document.getElementById('scatter').data.some((t) => t.selectedpoints)"
    )
    selected = page.evaluate(STYLES)
    assert selected["points"] == first["points"]
    assert {n: selected["legend"][n] for n in names} == legend
    page.click("#clear-selection")

    # Showing one search and its refinements: each keeps its own.
    child = children[4]["id"]
    page.click(f"#searches tr[data-search-id='{child}'] button.tree-node")
    page.wait_for_function(
        """() => document.getElementById('scatter').data
          .filter((t) => t.customdata.length).length === 1"""
    )
    filtered = page.evaluate(STYLES)
    (name,) = filtered["points"]
    assert search_id(name) == child
    assert filtered["points"][name] == first["points"][name]
    assert filtered["legend"][name] == legend[name]
    page.click("#show-all-searches")

    # The same colours draw the searches' lines in "Best so far", filtered or not.
    open_tab(page, "history")
    lines = page.evaluate(
        "() => Object.fromEntries(document.getElementById('history')._fullData.map("
        "(t) => [t.name, t.line.color]))"
    )
    assert {n: lines[n] for n in names} == {n: first["points"][n][1] for n in names}

    # A new search comes last: the others keep theirs, and it gets a pair of its own.
    newest = refine(api, root, 2)
    play(factory, 2)
    page.wait_for_function(
        "(id) => document.getElementById('scatter').data.some("
        "(t) => t.name.startsWith(`search ${id} `) && t.customdata.length === 2)",
        arg=newest["id"],
    )
    more = page.evaluate(STYLES)
    assert {n: more["points"][n] for n in names} == first["points"]
    assert {n: more["legend"][n] for n in names} == legend
    (added,) = set(more["points"]) - set(names)
    assert more["points"][added] not in twenty


def test_importance_bars_are_shares_that_add_up_to_one_hundred_percent(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 26, space=SPACE)
    play(factory, 26)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}?view=importance", 18)
    page.wait_for_function("() => (document.getElementById('importance').data || []).length")
    got = page.evaluate(
        """() => { const el = document.getElementById('importance');
          const t = el.data[0];
          return {x: t.x, y: t.y, text: t.text, hover: t.hovertext,
            title: el._fullLayout.xaxis.title.text, range: el._fullLayout.xaxis.range}; }"""
    )
    assert sum(got["x"]) == pytest.approx(1.0)
    assert all(0 <= v <= 1 for v in got["x"])
    assert got["x"] == sorted(got["x"])  # most important on top
    assert got["y"][-1] == "learning_rate"
    assert got["text"] == [f"{100 * v:.0f} %" for v in got["x"]]
    assert "100 %" in got["title"] and "share" in got["title"]
    assert got["range"][1] >= 1
    # The hover says what the share is of, and what the parameter explains on its own.
    for name, share, hover in zip(got["y"], got["x"], got["hover"], strict=True):
        assert hover.startswith(f"{name}: {100 * share:.1f} % of the summed importance")
        assert "alone" in hover and "trials" in hover
    note = page.locator("#view-importance .view-note").inner_text()
    assert "the ranking is rough" in note  # fewer than 30 finished trials
    shot(page, "42-importance-shares")


def test_numbers_look_the_same_on_every_axis_hover_and_table(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 40, space=SPACE)
    play(factory, 40)
    trials = {t["id"]: t for t in api.get(f"/api/experiments/{created['id']}/trials").json()}
    url = f"{live_server}/experiments/{created['id']}?x=learning_rate&y=x&color=value"
    open_dashboard(page, url, 30)

    # The scatter plot's axes: learning rate (log) and x, in the page's format, no SI.
    for axis in ("xaxis", "yaxis"):
        drawn = ticks(page, "scatter", axis)
        assert len(drawn) >= 3
        for value, text in drawn:
            assert same_number(text, value), (axis, value, text)
    assert "1e-4" in [text for _, text in ticks(page, "scatter", "xaxis")]

    # Zoomed in on one decade, the ticks follow: finer, inside the zoom, still in the format.
    whole = page.evaluate("() => document.getElementById('scatter').layout.xaxis.tickvals")
    page.evaluate("() => Plotly.relayout('scatter', {'xaxis.range': [-4, -3]})")
    page.wait_for_function(
        "() => document.getElementById('scatter').layout.xaxis.tickvals"
        ".filter((v) => v >= 1e-4 && v <= 1e-3).length >= 3"
    )
    for value, text in ticks(page, "scatter", "xaxis"):
        assert same_number(text, value)
    page.evaluate("() => Plotly.relayout('scatter', {'xaxis.autorange': true})")
    page.wait_for_function(
        "(whole) => JSON.stringify(document.getElementById('scatter').layout.xaxis.tickvals)"
        " === JSON.stringify(whole)",
        arg=whole,
    )

    # Hover texts and the table say each parameter the same way.
    hovers = page.evaluate(
        """() => Object.fromEntries(document.getElementById('scatter').data.flatMap(
          (t) => (t.customdata || []).map((id, i) => [id, t.hovertext[i]])))"""
    )
    for trial_id, hover in hovers.items():
        lr = trials[int(trial_id)]["params"]["learning_rate"]
        assert f"learning_rate: {format_like_page(lr)}<br>" in hover
    column = page.eval_on_selector_all(
        "#trials-table thead th",
        "ths => ths.findIndex(th => th.dataset.key === 'param:learning_rate')",
    )
    cells = page.eval_on_selector_all(
        "#trials-table tbody tr",
        "(rows, i) => rows.map(r => r.children[i].textContent)",
        column,
    )
    for trial_id, text in zip(table_ids(page), cells, strict=True):
        assert text == format_like_page(trials[trial_id]["params"]["learning_rate"])

    # The scatter matrix's numeric axes.
    open_tab(page, "splom")
    axes = page.evaluate(
        """() => { const fl = document.getElementById('splom')._fullLayout;
          return Object.keys(fl).filter((k) => /^[xy]axis\\d*$/.test(k))
            .map((k) => [k, fl[k].title.text]); }"""
    )
    checked = 0
    for axis, title in axes:
        if title == "solver":
            continue
        for value, text in ticks(page, "splom", axis):
            assert same_number(text, value), (title, value, text)
            checked += 1
    assert checked >= 12

    # The parallel coordinates' tick labels, as drawn.
    open_tab(page, "parcoords")
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('#parcoords g.y-axis')].map((g) =>
          [g.querySelector('text.axis-title').textContent,
           [...g.querySelectorAll('g.tick text')].map((t) => t.textContent)])"""
    )
    labels = dict(drawn)
    assert labels["learning_rate"] and all(not SI.search(t) for t in labels["learning_rate"])
    assert "1e-4" in labels["learning_rate"]
    for name in ("x", "objective value"):
        assert len(labels[name]) >= 3
        for text in labels[name]:
            assert same_number(text, float(text)), (name, text)
    for texts in labels.values():
        assert not any(SI.search(t) for t in texts)
    shot(page, "43-one-number-format")


def test_integer_parameters_get_whole_number_ticks(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 30, space=INTEGERS)
    play(factory, 30)
    url = f"{live_server}/experiments/{created['id']}?x=depth&y=layers&color=value"
    open_dashboard(page, url, 20)
    for axis in ("xaxis", "yaxis"):
        drawn = ticks(page, "scatter", axis)
        assert len(drawn) >= 2
        for value, text in drawn:
            assert value == int(value) and text == str(int(value)), (axis, value, text)
    # The objective is named for what it measures; bowl does not say, so "objective value".
    titles = page.evaluate(
        """() => { const fl = document.getElementById('scatter')._fullLayout;
          return [fl.xaxis.title.text, fl.yaxis.title.text]; }"""
    )
    assert titles == ["depth", "layers"]
    options = page.eval_on_selector_all("#y-axis option", "os => os.map(o => [o.value, o.text])")
    assert ["value", "objective value"] in options

    open_tab(page, "splom")
    axes = page.evaluate(
        """() => { const fl = document.getElementById('splom')._fullLayout;
          return Object.keys(fl).filter((k) => /^[xy]axis\\d*$/.test(k))
            .map((k) => [k, fl[k].title.text]); }"""
    )
    integer_axes = [axis for axis, title in axes if title in ("layers", "depth")]
    assert len(integer_axes) == 4  # each on x and y
    for axis in integer_axes:
        for value, text in ticks(page, "splom", axis):
            assert value == int(value) and text == str(int(value)), (axis, value, text)

    open_tab(page, "parcoords")
    drawn = dict(
        page.evaluate(
            """() => [...document.querySelectorAll('#parcoords g.y-axis')].map((g) =>
              [g.querySelector('text.axis-title').textContent,
               [...g.querySelectorAll('g.tick text')].map((t) => t.textContent)])"""
        )
    )
    for name in ("layers", "depth"):
        assert len(drawn[name]) >= 2
        assert all(re.fullmatch(r"\d+", t) for t in drawn[name]), (name, drawn[name])
    shot(page, "44-integer-ticks")


def test_the_objective_axis_names_the_metric(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    listed = {o["name"]: o for o in api.get("/api/objectives").json()}
    assert listed["mlp-digits"]["value_label"] == "validation accuracy"
    assert listed["bowl"]["value_label"] is None
    created = mlp_experiment(api, 12)
    play_accuracy(factory, 12)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 12)
    title = page.evaluate("() => document.getElementById('scatter')._fullLayout.yaxis.title.text")
    assert title == "validation accuracy"
    option = page.locator("#y-axis option[value='value']").inner_text()
    assert option == "validation accuracy"
    history = page.evaluate(
        "() => document.getElementById('history')._fullLayout.yaxis.title.text"
    )
    assert "validation accuracy" in history and "best so far" in history
    open_tab(page, "splom")
    labels = page.evaluate(
        "() => document.getElementById('splom').data[0].dimensions.map((d) => d.label)"
    )
    assert labels[-1] == "validation accuracy"
    open_tab(page, "parcoords")
    labels = page.evaluate(
        "() => document.getElementById('parcoords').data[0].dimensions.map((d) => d.label)"
    )
    assert labels[-1] == "validation accuracy"


def rgb(colour: str) -> tuple[int, int, int]:
    """A colour, "#rrggbb" or "rgb(r, g, b)", as numbers."""
    if colour.startswith("#"):
        return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
    r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    return (r, g, b)


def test_best_so_far_shows_its_whole_title_and_curves_have_distinct_colours(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = mlp_experiment(api, 16)
    root = created["root_search_id"]
    for _ in range(11):
        refine_mlp = api.post(
            f"/api/searches/{root}/refine",
            json={"region": {"learning_rate_init": [1e-4, 1e-1]}, "n_trials": 1},
        )
        assert refine_mlp.status_code == 201, refine_mlp.text
    play_accuracy(factory, 16 + 11)
    open_dashboard(page, f"{live_server}/experiments/{created['id']}", 20)
    page.wait_for_function("() => (document.getElementById('history').data || []).length === 12")
    # The y axis title lies inside the plot's drawing, top to bottom.
    where = page.evaluate(
        """() => { const el = document.getElementById('history');
          const svg = el.querySelector('.main-svg').getBoundingClientRect();
          const title = el.querySelector('.g-ytitle').getBoundingClientRect();
          return {svg: [svg.top, svg.bottom, svg.left], title: [title.top, title.bottom,
            title.left], text: el.querySelector('.g-ytitle').textContent}; }"""
    )
    top, bottom, left = where["svg"]
    assert top <= where["title"][0] and where["title"][1] <= bottom, where
    assert left <= where["title"][2], where
    assert "validation accuracy" in where["text"] and "best so far" in where["text"]
    page.locator("#analysis").screenshot(path=str(ARTIFACTS / "45-best-so-far.png"))

    # Learning curves: eight trials, eight colours far apart, none the selection's orange.
    open_tab(page, "curves")
    colours = page.evaluate(
        "() => document.getElementById('curves')._fullData.map((t) => t.line.color)"
    )
    assert len(colours) == 8
    orange = rgb("#e8590c")
    for a, b in combinations([rgb(c) for c in colours], 2):
        assert math.dist(a, b) >= 50, (a, b, colours)
    assert all(math.dist(rgb(c), orange) >= 50 for c in colours)
    page.locator("#analysis").screenshot(path=str(ARTIFACTS / "46-learning-curves.png"))
