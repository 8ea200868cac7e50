"""A pytest plugin: a real headless Chromium (Debian's, driven by Playwright) and the gestures
the page tests share. `page` fails its test on any script error or dialog."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


NASTY = "<img src=x onerror=alert(1)>"


# Flags for a headless Chromium on a machine without network or GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (/usr/bin/chromium)")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page that fails the test on any script error or alert."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    console: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    yield page
    if getattr(request.node, "failed", False):
        shot(page, f"failed-{request.node.name}")
        print("browser console:", *console, sep="\n  ")
    context.close()
    assert problems == []


def plot_geometry(page: Any) -> dict[str, Any]:
    """Where plotly put the axes, from plotly's own layout (independent of our code)."""
    return page.evaluate(
        """() => {
          const fl = document.getElementById('scatter')._fullLayout;
          const ax = (a) => ({offset: a._offset, length: a._length, range: a.range, type: a.type});
          return {x: ax(fl.xaxis), y: ax(fl.yaxis)};
        }"""
    )


def drag(page: Any, x0: float, y0: float, x1: float, y1: float) -> None:
    """Drag the mouse from one page position to another, like a person drawing a box."""
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()


def drag_on_plot(
    page: Any, fx0: float, fy0: float, fx1: float, fy1: float, inset: float = 1.0
) -> dict[str, Any]:
    """Draw a box on the scatter plot from (fx0, fy0) to (fx1, fy1), fractions of its axes'
    lengths from the left and the top, kept `inset` pixels inside the plot's edges; return
    the geometry it was drawn on (`plot_geometry`)."""
    geometry = plot_geometry(page)
    frame = page.locator("#scatter").bounding_box()
    assert frame is not None
    gx, gy = geometry["x"], geometry["y"]

    def at(frame_start: float, axis: dict[str, Any], f: float) -> float:
        start = frame_start + axis["offset"]
        pixel = start + f * axis["length"]
        return min(max(pixel, start + inset), start + axis["length"] - inset)

    drag(page, at(frame["x"], gx, fx0), at(frame["y"], gy, fy0), at(frame["x"], gx, fx1),
         at(frame["y"], gy, fy1))  # fmt: skip
    return geometry


def shot(page: Any, name: str) -> None:
    """Save a screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def format_like_page(v: float) -> str:
    """The page's number format (fmt in static/js/format.js), to compare displayed text: at
    most 4 significant digits without trailing zeros, scientific below 1e-3 or from 1e5 on;
    whole numbers in full unless 4 digits hold them ("2e+5")."""

    def scientific(v: float) -> str:
        mantissa, exponent = f"{v:.3e}".split("e")
        return f"{float(mantissa):g}e{'-' if exponent[0] == '-' else '+'}{int(exponent[1:])}"

    if float(v).is_integer():
        whole = str(int(v))
        return scientific(v) if abs(v) >= 1e5 and float(scientific(v)) == v else whole
    rounded = float(f"{v:.4g}")
    if abs(rounded) < 1e-3 or abs(rounded) >= 1e5:
        return scientific(v)
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)
