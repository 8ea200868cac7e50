"""Opening the experiment page on a prepared search and drawing a box (the region tests)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tests.support.bodies import OWN, announce_own
from tests.support.browser import drag, plot_geometry
from tests.support.dashboard import play

SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "layers": {"type": "int", "low": 1, "high": 8},
    "kind": {"type": "categorical", "choices": [f"k{i}" for i in range(8)]},
}


def start(
    api: httpx.Client,
    factory: sessionmaker[Session],
    n: int,
    space: dict[str, Any] = SPACE,
    name: str = "panel",
    seed: int = 7,
) -> dict[str, Any]:
    """An experiment over `space` with `n` trials played (some failed, some pruned), of a
    user's function that takes any names (OWN: `play` evaluates it as bowl of its rate and x)."""
    announce_own(api)
    body = {"name": name, "objective": OWN, "space": space}
    created = api.post("/api/experiments", json={**body, "search": {"n_trials": n, "seed": seed}})
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
    settle(page)


def settle(page: Any) -> None:
    """Wait for the panel to draw the server's answer to the current draft (a dry run)."""
    page.wait_for_selector("#region-panel:not([data-pending])", state="attached")
