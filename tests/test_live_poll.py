"""The experiment page's poll in Chromium (issue 18): with nothing new it is one request, the
columns since the cursor; a change made by another client that writes no trial (a refinement, a
rename, a search's and the experiment's note, a stop) moves the cursor, and the page reads the
experiment and its tree again and shows it without a reload.

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.browser import shot
from tests.support.dashboard import experiment, open_dashboard, play
from tests.support.processes import running_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

POLLS = 4  # quiet polls to watch


@pytest.fixture
def live_server(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The conftest's server, polled every 0.3 s (not 2): the polls watched come quickly."""
    log = tmp_path / "server.log"
    with running_server(db_url, log, HYPERZOOM_POLL_INTERVAL="0.3") as url:
        yield url
    if getattr(request.node, "failed", False):
        print("server log:", log.read_text(), sep="\n")


def api_requests(page: Any) -> list[str]:
    """The API requests the page makes from now on (paths with their queries), as it makes
    them."""
    seen: list[str] = []

    def record(request: Any) -> None:
        path = httpx.URL(request.url).raw_path.decode()
        if path.startswith("/api/"):
            seen.append(path)

    page.on("request", record)
    return seen


def quiet_polls(page: Any, seen: list[str], eid: int) -> None:
    """Watch POLLS polls that bring nothing: each is one request, the columns since a cursor."""
    page.wait_for_timeout(1000)  # a poll that was on its way when the change came finishes
    seen.clear()
    deadline = time.monotonic() + 60
    while len(seen) < POLLS and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # Playwright hands over events while it waits
    columns = f"/api/experiments/{eid}/trials/columns?since="
    assert len(seen) >= POLLS, seen
    assert all(path.startswith(columns) for path in seen), seen
    assert len(set(seen)) == 1, seen  # the cursor did not move


def reread(page: Any, seen: list[str], eid: int) -> None:
    """The page read the experiment and its tree (after the columns that moved)."""
    wanted = {f"/api/experiments/{eid}", f"/api/experiments/{eid}/tree"}
    deadline = time.monotonic() + 30
    while not wanted <= set(seen) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert wanted <= set(seen), seen


def test_a_quiet_poll_is_one_request_and_other_clients_changes_show_live(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 12)
    play(factory, 8)
    eid, root = created["id"], created["root_search_id"]
    seen = api_requests(page)
    open_dashboard(page, f"{live_server}/experiments/{eid}", 6)
    quiet_polls(page, seen, eid)

    # Another client refines the root search: the tree shows the child without a reload.
    space = created["space"]
    name = next(n for n, p in space.items() if p["type"] == "float")
    low, high = space[name]["low"], space[name]["high"]
    region = {name: [low, low + (high - low) / 2]}
    seen.clear()
    refined = api.post(f"/api/searches/{root}/refine", json={"region": region, "n_trials": 3})
    assert refined.status_code == 201, refined.text
    child = refined.json()["id"]
    page.wait_for_selector(f"#searches tr[data-search-id='{child}']")
    reread(page, seen, eid)
    quiet_polls(page, seen, eid)

    # A rename: the heading and the tab's title follow.
    renamed = api.patch(f"/api/experiments/{eid}", json={"name": "renamed live"})
    assert renamed.status_code == 200, renamed.text
    page.wait_for_function(
        "() => document.getElementById('experiment-name').textContent === 'renamed live'"
    )
    assert page.title() == "renamed live · Hyperzoom"
    quiet_polls(page, seen, eid)

    # A search's note and the experiment's.
    noted = api.put(f"/api/searches/{root}/note", json={"note": "why this box, live"})
    assert noted.status_code == 200, noted.text
    cell = f"#searches tr[data-search-id='{root}'] .note-text"
    page.wait_for_selector(cell)
    assert page.locator(cell).text_content() == "why this box, live"
    noted = api.put(f"/api/experiments/{eid}/note", json={"note": "what it is for"})
    assert noted.status_code == 200, noted.text
    page.wait_for_function(
        "() => document.getElementById('experiment-note-text').value === 'what it is for'"
    )
    quiet_polls(page, seen, eid)

    # A stop: the child's status.
    stopped = api.post(f"/api/searches/{child}/stop")
    assert stopped.status_code == 200, stopped.text
    status = f"#searches tr[data-search-id='{child}'] .search-status"
    page.wait_for_function(
        "(sel) => document.querySelector(sel)?.textContent === 'stopped'", arg=status
    )
    quiet_polls(page, seen, eid)

    # Trials as before: new ones reach the table and the tree's counts.
    play(factory, 2)
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length === 10"
    )
    quiet_polls(page, seen, eid)
    shot(page, "live-poll")


def test_a_late_experiment_read_does_not_bring_back_an_old_name_for_good(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    """Found by review: saving a search's note reads the experiment beside the polls; an
    answer landing after a poll's newer one brought the old name back for good (the cursor
    had passed the rename, so no poll read it again). Older answers are dropped now."""
    created = experiment(api, 12)
    play(factory, 6)
    eid, root = created["id"], created["root_search_id"]
    open_dashboard(page, f"{live_server}/experiments/{eid}", 4)

    held: list[tuple[Any, Any]] = []
    polls: list[Any] = []  # the polls' columns reads, held while the note's read is in flight
    armed = {"on": False}

    def hold_experiment(route: Any) -> None:
        if armed["on"] and not held and route.request.method == "GET":
            held.append((route, route.fetch()))  # read now (the old name), answered later
            return
        route.continue_()

    def hold_polls(route: Any) -> None:
        if armed["on"]:
            polls.append(route)  # so the one experiment read meanwhile is the note's
            return
        route.continue_()

    def arm_at_note(route: Any) -> None:
        armed["on"] = True
        route.continue_()

    page.route(re.compile(rf".*/api/experiments/{eid}$"), hold_experiment)
    page.route(re.compile(rf".*/api/experiments/{eid}/trials/columns.*"), hold_polls)
    page.route(re.compile(r".*/api/searches/\d+/note$"), arm_at_note)

    page.click(f"#searches tr[data-search-id='{root}'] .note-edit")
    page.fill("#search-note-text", "a note")
    page.click("#search-note .note-save")
    deadline = time.monotonic() + 20
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert held, "the note's refresh read the experiment"

    renamed = api.patch(f"/api/experiments/{eid}", json={"name": "renamed"})
    assert renamed.status_code == 200, renamed.text
    armed["on"] = False
    for route in polls:  # the polls go on: the next reads the renamed experiment
        route.continue_()
    page.wait_for_function(
        "() => document.getElementById('experiment-name').textContent === 'renamed'",
        timeout=20000,
    )
    route, old = held[0]
    route.fulfill(response=old)  # the older answer lands last
    page.wait_for_timeout(1500)  # five polls (every 0.3 s): nothing else changes
    shown = page.locator("#experiment-name").text_content()
    assert shown == "renamed", f"the heading went back to {shown!r} and stays so"
