"""The region panel in Chromium: editable bounds, inside vs outside, narrowing other parameters.

Every number the panel shows is checked against one computed here from the API's trials.
"""

from __future__ import annotations

import math
import statistics
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.test_browser import ARTIFACTS, NASTY, browser, drag, page, plot_geometry, shot
from tests.test_dashboard import api, play

__all__ = ["api", "browser", "page"]  # fixtures, imported for pytest to find

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "layers": {"type": "int", "low": 1, "high": 8},
    "kind": {"type": "categorical", "choices": [f"k{i}" for i in range(8)]},
}


def start(api: httpx.Client, factory: sessionmaker[Session], n: int) -> dict[str, Any]:
    """An experiment over SPACE with `n` trials played (some failed, some pruned)."""
    body = {"name": "panel", "objective": "bowl", "space": SPACE}
    created = api.post("/api/experiments", json={**body, "search": {"n_trials": n, "seed": 7}})
    assert created.status_code == 201, created.text
    play(factory, n)
    return created.json()


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function(
        "() => document.querySelectorAll('#scatter .scatterlayer .point').length >= 20"
    )


def draw_x_box(page: Any, f0: float, f1: float) -> None:
    """Drag a box from fraction f0 to f1 of the x axis, over the plot's whole height."""
    geo = plot_geometry(page)
    box = page.locator("#scatter").bounding_box()
    left, top = box["x"] + geo["x"]["offset"], box["y"] + geo["y"]["offset"]
    length, height = geo["x"]["length"], geo["y"]["length"]
    drag(page, left + f0 * length, top + 1, left + f1 * length, top + height - 1)
    page.wait_for_selector("#region-details:not([hidden])")


def bounds(page: Any, param: str) -> tuple[float, float]:
    """The exact bounds the panel holds for a parameter on an axis."""
    row = page.locator(f"#region-bounds tr[data-param='{param}']")
    low = float(row.locator("td.low").get_attribute("data-value"))
    high = float(row.locator("td.high").get_attribute("data-value"))
    return low, high


def set_bound(page: Any, param: str, side: str, text: str) -> None:
    """Type a bound and press Enter, as a person would."""
    field = page.locator(f"#region-bounds input.bound[data-param='{param}'][data-side='{side}']")
    field.fill(text)
    field.press("Enter")


def shown_stats(page: Any) -> dict[str, dict[str, float | None]]:
    """The inside/outside table as numbers (None where the page shows none)."""
    out: dict[str, dict[str, float | None]] = {}
    for side in ("inside", "outside"):
        cells = page.eval_on_selector_all(
            f"#region-stats td.{side}",
            "tds => tds.map(td => [td.parentElement.dataset.stat, td.dataset.value])",
        )
        out[side] = {k: float(v) if v else None for k, v in cells}
    return out


def expected_stats(trials: list[dict[str, Any]]) -> dict[str, float | None]:
    """What the panel should show for these trials, computed independently of its code."""
    values = [t["value"] for t in trials if t["state"] == "complete"]
    finished = [t for t in trials if t["state"] in ("complete", "failed", "pruned")]
    failed = sum(t["state"] == "failed" for t in trials)
    return {
        "count": float(len(trials)),
        "best": min(values) if values else None,
        "median": statistics.median(values) if values else None,
        "failed": failed / len(finished) if finished else None,
    }


def selection_left(page: Any) -> float:
    """The page x of the left edge of the box plotly draws."""
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('#scatter .selectionlayer path')]
             .map(p => p.getBoundingClientRect().left))"""
    )


def test_editing_a_bound_on_a_log_axis_moves_the_box_and_the_stats_follow(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 60)
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, f"{live_server}/experiments/{created['id']}")
    assert plot_geometry(page)["x"]["type"] == "log"
    draw_x_box(page, 0.25, 0.7)
    low, high = bounds(page, "learning_rate")
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()

    def check_stats(lo: float, hi: float) -> None:
        inside = [t for t in trials if lo <= t["params"]["learning_rate"] <= hi]
        outside = [t for t in trials if t not in inside]
        assert inside and outside
        got = shown_stats(page)
        assert got["inside"] == expected_stats(inside)
        assert got["outside"] == expected_stats(outside)
        assert int(page.locator("#region-count").inner_text()) == len(inside)

    check_stats(low, high)
    assert any(t["state"] == "failed" for t in trials)

    # A bound typed in real units moves the box plotly draws, in real units on its log axis.
    # A third of the way into the box, in decades, as a person would type it.
    new_low = float(f"{10 ** ((2 * math.log10(low) + math.log10(high)) / 3):.3g}")
    before = selection_left(page)
    set_bound(page, "learning_rate", "low", str(new_low))
    page.wait_for_function(
        "(v) => document.getElementById('scatter').layout.selections[0].x0 === v", arg=new_low
    )
    drawn = page.evaluate("() => document.getElementById('scatter').layout.selections[0]")
    assert sorted([drawn["x0"], drawn["x1"]]) == [new_low, high]
    assert bounds(page, "learning_rate") == (new_low, high)
    geo = plot_geometry(page)
    r0, r1 = geo["x"]["range"]
    plot_left = page.locator("#scatter").bounding_box()["x"] + geo["x"]["offset"]
    want = plot_left + (math.log10(new_low) - r0) / (r1 - r0) * geo["x"]["length"]
    after = selection_left(page)
    assert after > before + 20
    assert abs(after - want) <= 2
    check_stats(new_low, high)
    page.wait_for_function(
        "(v) => Number(new URLSearchParams(location.search).get('box').split(',')[0]) === v",
        arg=new_low,
    )
    # What a laptop screen shows: the plot and the whole panel, no scrolling.
    page.evaluate("() => window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "15-region-panel-laptop.png"))


def test_narrowing_other_parameters_to_the_span_reaches_the_child_search(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 60)
    open_page(page, f"{live_server}/experiments/{created['id']}")
    draw_x_box(page, 0.35, 0.6)
    low, high = bounds(page, "learning_rate")
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    # Selected: inside the drawn box, so on the plot (a failed trial has no value to plot).
    selected = [
        t for t in trials if low <= t["params"]["learning_rate"] <= high and t["value"] is not None
    ]
    assert len(selected) >= 3
    assert int(page.locator("#region-selected").inner_text()) == len(selected)
    x_span = [min(t["params"]["x"] for t in selected), max(t["params"]["x"] for t in selected)]
    layers = [t["params"]["layers"] for t in selected]
    kinds = {t["params"]["kind"] for t in selected}
    kind_span = [k for k in SPACE["kind"]["choices"] if k in kinds]
    assert len(kind_span) < len(SPACE["kind"]["choices"])  # a real narrowing

    for param in ("x", "layers", "kind"):
        page.select_option(f"#region-others select[data-param='{param}']", "span")
    outcome = page.locator("#region-others li[data-param='kind'] .outcome").inner_text()
    assert outcome == "{" + ", ".join(kind_span) + "}"
    shot(page, "16-region-narrowed")

    # The link carries the narrowing: a reload shows the same region, and refines it.
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('narrow').length")
    assert parse_qs(urlparse(page.url).query)["narrow"] == ["x", "layers", "kind"]
    page.reload()
    page.wait_for_selector("#region-details:not([hidden])")
    for param in ("x", "layers", "kind"):
        assert page.locator(f"#region-others select[data-param='{param}']").input_value() == "span"
    assert page.locator("#region-others li[data-param='kind'] .outcome").inner_text() == outcome
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")

    root, child = api.get(f"/api/experiments/{created['id']}").json()["searches"]
    assert child["parent_id"] == root["id"]
    assert child["region"] == {
        "learning_rate": [low, high],
        "x": x_span,
        "layers": [min(layers), max(layers)],
        "kind": kind_span,
    }
    assert child["space"]["kind"]["choices"] == kind_span


def test_a_refused_bound_is_explained_next_to_it_and_holds_refine(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 30)
    open_page(page, f"{live_server}/experiments/{created['id']}")
    draw_x_box(page, 0.3, 0.6)
    low, high = bounds(page, "learning_rate")
    assert page.locator("#refine-button").is_enabled()
    drawn = page.evaluate("() => document.getElementById('scatter').layout.selections[0]")

    problem = page.locator("#region-bounds tr.bound-problem[data-param='learning_rate'] td")
    field = "#region-bounds input.bound[data-param='learning_rate'][data-side='high']"
    cases = [
        (str(low / 2), "low must be less than high"),
        ("5", "outside the parent's range [1.000e-6, 1]"),
    ]
    for text, message in cases:
        set_bound(page, "learning_rate", "high", text)
        assert problem.inner_text() == f"learning_rate: {message}"
        assert page.locator("#refine-button").is_disabled()
        assert page.locator(field).get_attribute("aria-invalid") == "true"
        assert page.locator(field.replace("high", "low")).get_attribute("aria-invalid") is None
        assert page.locator(field).input_value() == text  # what was typed stays to be fixed
        assert "Fix the bounds" in page.locator("#refine-message").inner_text()
        # The box stays where it was.
        now = page.evaluate("() => document.getElementById('scatter').layout.selections[0]")
        assert [now["x0"], now["x1"]] == pytest.approx([drawn["x0"], drawn["x1"]], rel=1e-9)
    shot(page, "17-region-bad-bound")

    # Not a number: an empty field (a number input refuses letters).
    page.evaluate(
        """(sel) => { const i = document.querySelector(sel); i.value = '';
                      i.dispatchEvent(new Event('change', {bubbles: true})); }""",
        field,
    )
    assert problem.inner_text() == "learning_rate: not a number"
    assert page.locator("#refine-button").is_disabled()

    set_bound(page, "learning_rate", "high", str(high))
    assert problem.count() == 0
    assert page.locator("#refine-button").is_enabled()
    assert page.locator("#refine-message").inner_text() == ""


def expected_edges(trials: list[dict[str, Any]], param: str, low: float, high: float) -> set[str]:
    """The sides of a log parameter's range where the best fifth of the completed trials crowd."""
    done = sorted((t for t in trials if t["state"] == "complete"), key=lambda t: t["value"])
    best = done[: math.ceil(0.2 * len(done))]
    u = [
        (math.log10(t["params"][param]) - math.log10(low)) / (math.log10(high) - math.log10(low))
        for t in best
    ]
    if max(u) - min(u) > 0.5:
        return set()
    return {side for side, near in (("low", min(u) <= 0.1), ("high", max(u) >= 0.9)) if near}


def test_a_box_short_of_the_optimum_warns_at_its_edge(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 60)
    open_page(page, f"{live_server}/experiments/{created['id']}")
    draw_x_box(page, 0.05, 0.5)
    # The bowl's optimum is at learning_rate = 1e-3: stop the box just above the closest rate
    # below it, so the best trials inside crowd its high end.
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    below = max(lr for t in trials if (lr := t["params"]["learning_rate"]) < 1e-3)
    high = float(f"{below * 1.01:.4g}")
    low = float(f"{bounds(page, 'learning_rate')[0]:.4g}")
    set_bound(page, "learning_rate", "low", str(low))
    set_bound(page, "learning_rate", "high", str(high))
    page.wait_for_function(
        "(v) => document.getElementById('scatter').layout.selections[0].x1 === v", arg=high
    )
    inside = [t for t in trials if low <= t["params"]["learning_rate"] <= high]
    want = expected_edges(inside, "learning_rate", low, high)
    assert "high" in want
    shown = page.eval_on_selector_all(
        "#region-edges li[data-param='learning_rate']", "lis => lis.map(li => li.dataset.side)"
    )
    assert set(shown) == want
    text = page.locator("#region-edges li[data-side='high']").inner_text()
    assert text.startswith("the best trials inside sit at the high end of learning_rate")


def test_suggest_offers_its_range_for_the_other_parameters_and_keep_overrides_it(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 60)
    root = created["root_search_id"]
    open_page(page, f"{live_server}/experiments/{created['id']}")
    page.click("#suggest-button")
    page.wait_for_selector("#region-details:not([hidden])")
    suggested = api.get(f"/api/searches/{root}/suggest-region").json()["region"]
    assert set(suggested) == {"learning_rate", "x", "layers", "kind"}
    for param in ("x", "layers", "kind"):
        select = page.locator(f"#region-others select[data-param='{param}']")
        assert select.input_value() == "suggested"
    page.select_option("#region-others select[data-param='layers']", "keep")
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")

    child = api.get(f"/api/experiments/{created['id']}").json()["searches"][1]
    space = child["space"]
    assert [space["learning_rate"]["low"], space["learning_rate"]["high"]] == suggested[
        "learning_rate"
    ]
    assert [space["x"]["low"], space["x"]["high"]] == suggested["x"]
    assert space["kind"]["choices"] == suggested["kind"]
    assert space["layers"] == SPACE["layers"]  # kept the parent's range


def test_parameter_names_in_the_panel_are_text(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    space = {
        NASTY: {"type": "float", "low": 0.0, "high": 1.0},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "kind": {"type": "categorical", "choices": [NASTY, "plain"]},
    }
    body = {"name": NASTY, "objective": "bowl", "space": space, "search": {"n_trials": 30}}
    created = api.post("/api/experiments", json=body)
    assert created.status_code == 201, created.text
    play(factory, 30)
    open_page(page, f"{live_server}/experiments/{created.json()['id']}")
    assert page.locator("#x-axis").input_value() == NASTY
    draw_x_box(page, 0.2, 0.8)
    names = page.eval_on_selector_all(
        "#region-bounds th[scope='row'], #region-others .param",
        "els => els.map(e => e.textContent)",
    )
    assert names == [NASTY, "x", "kind"]
    page.select_option("#region-others li[data-param='kind'] select", "span")
    low, high = bounds(page, NASTY)
    trials = api.get(f"/api/experiments/{created.json()['id']}/trials").json()
    selected = [t for t in trials if low <= t["params"][NASTY] <= high and t["value"] is not None]
    seen = {t["params"]["kind"] for t in selected}
    kinds = [k for k in space["kind"]["choices"] if k in seen]
    outcome = page.locator("#region-others li[data-param='kind'] .outcome").inner_text()
    assert outcome == "{" + ", ".join(kinds) + "}"
    assert page.locator("img").count() == 0
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")
    assert page.locator("img").count() == 0
    shot(page, "18-region-names-as-text")


PURE_CHECKS = """async () => {
  const edit = await import('/static/js/regionedit.js');
  const stats = await import('/static/js/regionstats.js');
  const region = await import('/static/js/region.js');
  const t = (state, value, params = {}) => ({id: 1, searchId: 1, number: 0, state, value, params});
  const lr = {type: 'float', low: 1e-6, high: 1, log: true};
  const cat = {type: 'categorical', choices: [1, 3, 5]};
  const ramp = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const edges = (trials, direction) =>
    stats.regionEdges(trials, {a: [1, 10]}, {a: {type: 'int', low: 1, high: 10}}, direction);
  return {
    nan: edit.checkBound('abc', 'low', [0.001, 0.1], lr),
    blank: edit.checkBound('  ', 'low', [0.001, 0.1], lr),
    crossed: edit.checkBound('0.1', 'low', [0.001, 0.1], lr),
    outside: edit.checkBound('2', 'high', [0.001, 0.1], lr),
    ok: edit.checkBound('1e-4', 'low', [0.001, 0.1], lr),
    oneValue: edit.spanOf([t('complete', 1, {x: 0.2}), t('complete', 2, {x: 0.2})], 'x',
      {type: 'float', low: 0, high: 1}),
    unused: edit.spanOf([t('complete', 1, {})], 'x', {type: 'float', low: 0, high: 1}),
    cats: edit.spanOf([t('complete', 1, {c: 5}), t('failed', null, {c: 1})], 'c', cat),
    others: edit.otherParams({a: lr, b: {type: 'fixed', value: 1}, c: cat, d: lr}, ['a', 'value']),
    empty: stats.statsOf([], 'minimize'),
    even: stats.median([4, 1, 3, 2]),
    mixed: stats.statsOf([t('complete', 2), t('failed', null), t('pruned', 9), t('running', null)],
      'maximize'),
    edgeLow: edges(ramp.map((i) => t('complete', i, {a: i})), 'minimize'),
    edgeMax: edges(ramp.map((i) => t('complete', i, {a: i})), 'maximize'),
    edgeNone: edges(ramp.map((i) => t('complete', i, {a: [1, 10, 5, 5, 5, 5, 5, 5, 5, 5][i - 1]})),
      'minimize'),
    edgeFew: edges([1, 2].map((i) => t('complete', i, {a: i})), 'minimize'),
    catInside: region.insideRegion(t('complete', 1, {c: 3}), {c: [1, 5]}, {c: cat}),
  };
}"""


def test_pure_region_modules_handle_edge_cases(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    got = page.evaluate(PURE_CHECKS)
    assert got["nan"] == {"problem": "not a number"} == got["blank"]
    assert got["crossed"] == {"problem": "low must be less than high"}
    assert got["outside"] == {"problem": "outside the parent's range [1.000e-6, 1]"}
    assert got["ok"] == {"value": 1e-4}
    assert got["oneValue"] == {"problem": "the selected trials all have 0.2"}
    assert got["unused"] == {"problem": "no selected trial uses it"}
    assert got["cats"] == {"bounds": [1, 5], "categorical": True}
    assert got["others"] == ["c", "d"]
    assert got["empty"] == {"count": 0, "best": None, "median": None, "failureRate": None}
    assert got["even"] == 2.5
    assert got["mixed"]["count"] == 4 and got["mixed"]["median"] == 2
    assert got["mixed"]["best"]["value"] == 2
    assert got["mixed"]["failureRate"] == pytest.approx(1 / 3)
    assert [(e["param"], e["side"]) for e in got["edgeLow"]] == [("a", "low")]
    assert [(e["param"], e["side"]) for e in got["edgeMax"]] == [("a", "high")]
    assert got["edgeNone"] == [] and got["edgeFew"] == []  # best spread over the range; too few
    assert got["catInside"] is False  # choices 1 and 5 of a categorical, not the range 1..5
