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

from tests.support.browser import ARTIFACTS, NASTY, plot_geometry, shot
from tests.support.region_panel import SPACE, draw_x_box, open_page, settle, start

pytestmark = [pytest.mark.slow, pytest.mark.browser]


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
    settle(page)


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

    check_stats(page, trials, {"learning_rate": [low, high]})
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
    check_stats(page, trials, {"learning_rate": [new_low, high]})
    page.wait_for_function(
        "(v) => Number(new URLSearchParams(location.search).get('box').split(',')[0]) === v",
        arg=new_low,
    )
    # What a laptop screen shows: the plot and the whole panel, no scrolling.
    page.evaluate("() => window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "15-region-panel-laptop.png"))


# The narrowing choices whose text is wider than their select (as rendered, less the arrow).
OPTIONS_THAT_DO_NOT_FIT = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  return [...document.querySelectorAll("#region-others select")].flatMap((select) => {
    ctx.font = getComputedStyle(select).font;
    const room = select.getBoundingClientRect().width - 24;
    const wide = [...select.options].filter((o) => ctx.measureText(o.text).width > room);
    return wide.map((o) => o.text);
  });
}"""


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
        settle(page)
    outcome = page.locator("#region-others li[data-param='kind'] .outcome").inner_text()
    assert outcome == "{" + ", ".join(kind_span) + "}"
    # Every choice's text fits its select in the panel (room left for the arrow).
    assert page.evaluate(OPTIONS_THAT_DO_NOT_FIT) == []
    shot(page, "16-region-narrowed")

    # The link carries the narrowing: a reload shows the same region, and refines it.
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('narrow').length")
    assert parse_qs(urlparse(page.url).query)["narrow"] == ["x", "layers", "kind"]
    page.reload()
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
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
        (str(low / 2), "must be less than high"),
        ("5", "outside the parent's range [1e-06, 1]"),
    ]
    for text, message in cases:  # the server's words (a dry-run refine), next to the field
        set_bound(page, "learning_rate", "high", text)
        assert problem.inner_text().startswith("learning_rate: ")
        assert message in problem.inner_text()
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


def test_ticking_categories_on_a_categorical_axis_sets_the_region(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 60)
    open_page(page, f"{live_server}/experiments/{created['id']}")
    page.select_option("#x-axis", "kind")
    page.wait_for_function("() => document.getElementById('scatter').layout.xaxis.categoryarray")
    draw_x_box(page, 0.3, 0.7)
    ticks = page.locator("#region-bounds input.category[data-param='kind']")
    assert ticks.count() == 8
    ticked = [i for i in range(8) if ticks.nth(i).is_checked()]
    assert ticked and ticked == list(range(ticked[0], ticked[-1] + 1))  # the box's neighbours
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()

    # Two categories far apart: the region holds exactly those, the box spans k1..k6.
    ticks.nth(1).check()
    settle(page)
    ticks.nth(6).check()
    settle(page)
    for i in range(8):
        if i not in (1, 6):
            ticks.nth(i).uncheck()
            settle(page)
    inside = [t for t in trials if t["params"]["kind"] in ("k1", "k6")]
    assert inside and int(page.locator("#region-count").inner_text()) == len(inside)
    assert shown_stats(page)["inside"] == expected_stats(inside)
    box = page.evaluate("() => document.getElementById('scatter').layout.selections[0]")
    assert sorted([box["x0"], box["x1"]]) == pytest.approx([0.6, 6.4])
    assert page.locator("#refine-button").is_enabled()
    shot(page, "32-region-categories-ticked")
    page.locator("#region-bounds").screenshot(path=str(ARTIFACTS / "33-region-category-ticks.png"))

    # The link keeps the ticks.
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('pick').length")
    assert parse_qs(urlparse(page.url).query)["pick"] == ["kind:1,6"]
    page.reload()
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
    assert [i for i in range(8) if ticks.nth(i).is_checked()] == [1, 6]

    # None ticked is refused, next to the ticks, and Refine waits; the box stays.
    ticks.nth(1).uncheck()
    settle(page)
    ticks.nth(6).uncheck()
    settle(page)
    problem = page.locator("#region-bounds tr.bound-problem[data-param='kind'] td")
    assert problem.inner_text() == "kind: must be a non-empty list of choices"
    assert page.locator("#refine-button").is_disabled()
    assert ticks.nth(6).get_attribute("aria-invalid") == "true"
    assert [i for i in range(8) if ticks.nth(i).is_checked()] == []
    ticks.nth(6).check()
    settle(page)
    ticks.nth(1).check()
    settle(page)
    assert problem.count() == 0 and page.locator("#refine-button").is_enabled()

    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")
    child = api.get(f"/api/experiments/{created['id']}").json()["searches"][-1]
    assert child["space"]["kind"]["choices"] == ["k1", "k6"]


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
    assert text.startswith("the best trials sit at the high end of learning_rate: widen the")


def test_suggest_offers_its_range_for_the_other_parameters_and_keep_overrides_it(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start(api, factory, 60)
    root = created["root_search_id"]
    open_page(page, f"{live_server}/experiments/{created['id']}")
    page.click("#suggest-button")
    settle(page)
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
    suggested = api.get(f"/api/searches/{root}/suggest-region").json()["region"]
    # The best trials use every unit of x and layers: those keep the parent's range.
    assert set(suggested) == {"learning_rate", "kind"}
    for param, mode in (("x", "keep"), ("layers", "keep"), ("kind", "suggested")):
        select = page.locator(f"#region-others select[data-param='{param}']")
        assert select.input_value() == mode
    assert page.locator(
        "#region-others select[data-param='x'] option[value='suggested']"
    ).is_disabled()
    page.select_option("#region-others select[data-param='kind']", "keep")
    settle(page)
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")

    child = api.get(f"/api/experiments/{created['id']}").json()["searches"][1]
    space = child["space"]
    assert [space["learning_rate"]["low"], space["learning_rate"]["high"]] == suggested[
        "learning_rate"
    ]
    for name in ("x", "layers", "kind"):
        assert space[name] == SPACE[name]  # kept the parent's range


def test_parameter_names_in_the_panel_are_text(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    space = {
        NASTY: {"type": "float", "low": 0.0, "high": 1.0},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "kind": {"type": "categorical", "choices": [NASTY, "plain"]},
    }
    created = start(api, factory, 30, space, name=NASTY)
    open_page(page, f"{live_server}/experiments/{created['id']}")
    assert page.locator("#x-axis").input_value() == NASTY
    draw_x_box(page, 0.2, 0.8)
    names = page.eval_on_selector_all(
        "#region-bounds th[scope='row'], #region-others .param",
        "els => els.map(e => e.textContent)",
    )
    assert names == [NASTY, "x", "kind"]
    page.select_option("#region-others li[data-param='kind'] select", "span")
    settle(page)
    low, high = bounds(page, NASTY)
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
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


# Parameters named like the page's built-in axes: on the plot they are "param:value" and
# "param:duration", while "value" is the objective and "duration" the trial's run time.
CLASHING = {
    "value": {"type": "float", "low": 10.0, "high": 20.0},
    "duration": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
}


def start_clashing(api: httpx.Client, factory: sessionmaker[Session], n: int) -> dict[str, Any]:
    """An experiment over CLASHING with `n` trials played."""
    return start(api, factory, n, CLASHING, name="clash", seed=11)


def drawn_box(page: Any) -> dict[str, list[float]]:
    """The box plotly draws, each axis sorted."""
    s = page.evaluate("() => document.getElementById('scatter').layout.selections[0]")
    return {"x": sorted([s["x0"], s["x1"]]), "y": sorted([s["y0"], s["y1"]])}


def clipped(r: list[float], spec: dict[str, Any]) -> tuple[float, float]:
    return max(r[0], spec["low"]), min(r[1], spec["high"])


def shown_params(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.param)")


def inside_of(trials: list[dict[str, Any]], region: dict[str, list[float]]) -> list[Any]:
    return [t for t in trials if all(lo <= t["params"][p] <= hi for p, (lo, hi) in region.items())]


def check_stats(page: Any, trials: list[dict[str, Any]], region: dict[str, Any]) -> None:
    """The inside/outside table and count match the trials inside `region` (by name)."""
    inside = inside_of(trials, region)
    outside = [t for t in trials if t not in inside]
    assert inside and outside
    got = shown_stats(page)
    assert got["inside"] == expected_stats(inside)
    assert got["outside"] == expected_stats(outside)
    assert int(page.locator("#region-count").inner_text()) == len(inside)


def refine_and_get_child(page: Any, api: httpx.Client, experiment_id: int) -> dict[str, Any]:
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")
    root, child = api.get(f"/api/experiments/{experiment_id}").json()["searches"]
    assert child["parent_id"] == root["id"]
    return child


def test_the_objective_on_an_axis_does_not_narrow_a_parameter_named_value(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start_clashing(api, factory, 60)
    open_page(page, f"{live_server}/experiments/{created['id']}?x=x&y=value")
    assert page.locator("#y-axis").input_value() == "value"  # the objective
    draw_x_box(page, 0.2, 0.65)
    # Only x has bounds; the parameters "value" and "duration" are off the plot.
    assert shown_params(page, "#region-bounds tbody tr") == ["x"]
    assert shown_params(page, "#region-others li") == ["value", "duration"]
    low, high = bounds(page, "x")
    assert (low, high) == clipped(drawn_box(page)["x"], CLASHING["x"])
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    check_stats(page, trials, {"x": [low, high]})
    assert page.locator("#refine-button").is_enabled()
    child = refine_and_get_child(page, api, created["id"])
    assert child["region"] == {"x": [low, high]}
    assert child["space"]["value"] == CLASHING["value"]
    assert child["space"]["duration"] == CLASHING["duration"]


def test_a_box_on_the_parameter_named_value_narrows_it_and_duration_to_its_span(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start_clashing(api, factory, 60)
    url = f"{live_server}/experiments/{created['id']}?x=param%3Avalue&y=value"
    open_page(page, url)
    assert page.locator("#x-axis").input_value() == "param:value"
    draw_x_box(page, 0.15, 0.7)
    assert shown_params(page, "#region-bounds tbody tr") == ["value"]
    assert page.locator("#region-bounds th[scope='row']").inner_text() == "value"
    assert shown_params(page, "#region-others li") == ["duration", "x"]
    low, high = bounds(page, "value")
    assert (low, high) == clipped(drawn_box(page)["x"], CLASHING["value"])
    assert 10 < low < high < 20
    # A bound typed for the parameter "value" moves the box on its axis.
    low = float(f"{low + (high - low) / 4:.4g}")
    set_bound(page, "value", "low", str(low))
    page.wait_for_function(
        "(v) => document.getElementById('scatter').layout.selections[0].x0 === v", arg=low
    )
    assert bounds(page, "value") == (low, high)
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    check_stats(page, trials, {"value": [low, high]})

    # The parameter named "duration" narrowed to the selected trials' span (not their run time).
    plotted = [t for t in trials if t["value"] is not None]  # a failed trial has no objective
    selected = [t for t in plotted if low <= t["params"]["value"] <= high]
    assert int(page.locator("#region-selected").inner_text()) == len(selected)
    durations = [t["params"]["duration"] for t in selected]
    span = [min(durations), max(durations)]
    assert span != [CLASHING["duration"]["low"], CLASHING["duration"]["high"]]
    page.select_option("#region-others select[data-param='duration']", "span")
    settle(page)
    outcome = page.locator("#region-others li[data-param='duration'] .outcome")
    assert outcome.inner_text().startswith("[")
    check_stats(page, trials, {"value": [low, high], "duration": span})
    page.wait_for_function("() => new URLSearchParams(location.search).has('narrow')")
    assert parse_qs(urlparse(page.url).query)["narrow"] == ["duration"]
    page.reload()
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
    assert bounds(page, "value") == (low, high)
    duration_mode = page.locator("#region-others select[data-param='duration']")
    assert duration_mode.input_value() == "span"
    shot(page, "19-region-parameter-named-value")

    child = refine_and_get_child(page, api, created["id"])
    assert child["region"] == {"value": [low, high], "duration": span}
    assert child["space"]["value"] == {"type": "float", "low": low, "high": high}
    assert child["space"]["x"] == CLASHING["x"]


def test_suggest_region_with_parameters_named_like_built_in_axes(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = start_clashing(api, factory, 60)
    root = created["root_search_id"]
    url = f"{live_server}/experiments/{created['id']}?x=param%3Avalue&y=param%3Aduration"
    open_page(page, url)
    suggested = api.get(f"/api/searches/{root}/suggest-region").json()["region"]
    assert set(suggested) == {"value", "duration", "x"}

    # Both parameters on the axes: the box is the suggested region's bounds for each.
    page.click("#suggest-button")
    settle(page)
    page.wait_for_selector("#region-details:not([hidden])")
    settle(page)
    box = drawn_box(page)
    assert box["x"] == pytest.approx(suggested["value"], rel=1e-12)
    assert box["y"] == pytest.approx(suggested["duration"], rel=1e-12)
    assert bounds(page, "value") == tuple(suggested["value"])
    assert bounds(page, "duration") == tuple(suggested["duration"])
    assert shown_params(page, "#region-others li") == ["x"]

    # The objective on y: the box spans every objective value, not the parameter "value"'s
    # suggested range; the parameters "value" and "x" take the suggested range off the plot.
    page.select_option("#x-axis", "param:duration")
    page.select_option("#y-axis", "value")
    page.wait_for_function("() => location.search.includes('y=value')")
    page.click("#suggest-button")
    settle(page)
    page.wait_for_function(
        "() => document.querySelector('#region-bounds tbody tr')?.dataset.param === 'duration'"
    )
    trials = api.get(f"/api/experiments/{created['id']}/trials").json()
    objective = [t["value"] for t in trials if t["value"] is not None]
    box = drawn_box(page)
    assert box["x"] == pytest.approx(suggested["duration"], rel=1e-12)
    assert box["y"][0] < min(objective) and box["y"][1] > max(objective)
    assert box["y"][1] < CLASHING["value"]["low"]  # the bowl stays far below 10
    assert shown_params(page, "#region-bounds tbody tr") == ["duration"]
    assert bounds(page, "duration") == tuple(suggested["duration"])
    for param in ("value", "x"):
        select = page.locator(f"#region-others select[data-param='{param}']")
        assert select.input_value() == "suggested"
    check_stats(page, trials, suggested)
    assert page.locator("#refine-button").is_enabled()
    child = refine_and_get_child(page, api, created["id"])
    assert child["region"] == suggested
