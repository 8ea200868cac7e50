"""Notes on the pages in Chromium: written on the experiment page (the experiment's, a
search's, the refine's "why this box") and on a trial's page, kept after a reload, always shown
as the literal text typed (markup in a note never runs), and a trial's note reaching an open
page live without adding or losing a trial.

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.browser import shot
from tests.support.dashboard import experiment, open_dashboard, play, table_ids

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Markup that would run if any part of the page put a note in as HTML: an image whose error
# handler sets a flag, and the end of a textarea and of a script followed by a script.
XSS = (
    '<img src=x onerror="window.__xss = 1">'
    "</textarea></script><script>window.__xss = 2</script>"
    " & \"quoted\" 'line one'\nline two"
)


def no_script_ran(page: Any) -> None:
    """Nothing the notes hold became an element or ran."""
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img").count() == 0
    assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0


def save(page: Any, editor: str, text: str) -> None:
    """Type `text` into the note editor `editor` and save it."""
    page.fill(f"{editor} textarea", text)
    assert page.locator(f"{editor} .note-status").inner_text() == "Not saved yet."
    page.click(f"{editor} .note-save")
    page.wait_for_selector(f"{editor} .note-status:text-is('Saved.')")


def test_notes_are_written_on_the_pages_kept_and_shown_as_text(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 12)
    play(factory, 12)
    eid, root = created["id"], created["root_search_id"]
    url = f"{live_server}/experiments/{eid}"
    open_dashboard(page, url, 10)
    assert page.locator("#experiment-note-text").input_value() == ""

    save(page, "#experiment-note", "experiment: " + XSS)
    assert api.get(f"/api/experiments/{eid}").json()["note"] == "experiment: " + XSS

    # A search's note, from its row in the tree.
    page.click(f"#searches tr[data-search-id='{root}'] button.note-edit")
    assert page.locator("#search-note-name").inner_text() == f"search {root} (coarse)"
    save(page, "#search-note", "search: " + XSS)
    cell = f"#searches tr[data-search-id='{root}'] .note-text"
    page.wait_for_selector(cell)
    assert page.locator(cell).text_content() == "search: " + XSS
    assert api.get(f"/api/searches/{root}").json()["note"] == "search: " + XSS

    # Refine with a note: why this box, kept on the child.
    page.click("#suggest-button")
    page.wait_for_selector("#region-details:not([hidden])")
    page.fill("#refine-note", "box: " + XSS)
    page.click("#refine-button")
    page.wait_for_selector("#refine-message:has-text('Created search')")
    assert page.locator("#refine-note").input_value() == ""
    child = api.get(f"/api/experiments/{eid}").json()["searches"][1]
    assert child["parent_id"] == root and child["note"] == "box: " + XSS
    page.wait_for_selector(f"#searches tr[data-search-id='{child['id']}'] .note-text")
    no_script_ran(page)
    shot(page, "notes-1-experiment-page")

    # A trial's note, set elsewhere while the page is open, reaches it with the next poll:
    # the trial is replaced in the table, not added again, and no trial goes missing.
    before = sorted(table_ids(page))
    trials = api.get(f"/api/experiments/{eid}/trials").json()
    noted = next(t for t in trials if t["state"] == "complete")
    put = api.put(f"/api/trials/{noted['id']}/note", json={"note": "trial: " + XSS})
    assert put.status_code == 200, put.text
    row = f"#trials-table tr[data-trial-id='{noted['id']}'] td.note-cell"
    page.wait_for_selector(row)
    assert page.locator(row).text_content() == "trial: " + XSS
    assert sorted(table_ids(page)) == before and len(before) == 12
    page.fill(".table-filter", "LINE TWO")  # the filter reads notes too
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length === 1"
    )
    assert table_ids(page) == [noted["id"]]

    # The trial's own page shows and edits it.
    page.goto(f"{live_server}/trials/{noted['id']}")
    page.wait_for_function(
        "(text) => document.getElementById('trial-note-text').value === text",
        arg="trial: " + XSS,
    )
    save(page, "#trial-note", "trial, again: " + XSS)
    assert api.get(f"/api/trials/{noted['id']}").json()["note"] == "trial, again: " + XSS
    no_script_ran(page)
    page.reload()
    page.wait_for_function(
        "(text) => document.getElementById('trial-note-text').value === text",
        arg="trial, again: " + XSS,
    )
    no_script_ran(page)
    shot(page, "notes-2-trial-page")

    # After a reload every note is there, as text.
    open_dashboard(page, url, 10)
    assert page.locator("#experiment-note-text").input_value() == "experiment: " + XSS
    assert page.locator(cell).text_content() == "search: " + XSS
    child_cell = f"#searches tr[data-search-id='{child['id']}'] .note-text"
    assert page.locator(child_cell).text_content() == "box: " + XSS
    assert page.locator(row).text_content() == "trial, again: " + XSS
    no_script_ran(page)

    # Cleared on the page: blank text, saved, is no note.
    page.fill("#experiment-note textarea", "   ")
    page.click("#experiment-note .note-save")
    page.wait_for_selector("#experiment-note .note-status:text-is('Note cleared.')")
    assert api.get(f"/api/experiments/{eid}").json()["note"] is None
    page.reload()
    page.wait_for_selector("#trials-table tbody tr")
    assert page.locator("#experiment-note-text").input_value() == ""


def test_a_note_being_typed_survives_live_updates_and_a_refused_save_says_why(
    live_server: str, factory: sessionmaker[Session], page: Any, api: httpx.Client
) -> None:
    created = experiment(api, 4)
    play(factory, 2)
    eid = created["id"]
    open_dashboard(page, f"{live_server}/experiments/{eid}", 2)
    page.fill("#experiment-note-text", "half a thought")
    api.put(f"/api/experiments/{eid}/note", json={"note": "from someone else"})
    play(factory, 2)  # the page polls, and redraws what changed
    page.wait_for_function(
        "() => document.querySelectorAll('#trials-table tbody tr').length === 4"
    )
    assert page.locator("#experiment-note-text").input_value() == "half a thought"

    # Over the limit (pasted past the textarea's own): the server's 422 is shown, nothing saved.
    page.evaluate("() => { document.getElementById('experiment-note-text').maxLength = 20000; }")
    page.fill("#experiment-note-text", "x" * 10_001)
    page.click("#experiment-note .note-save")
    status = page.locator("#experiment-note .note-status")
    page.wait_for_selector("#experiment-note .note-status.error")
    assert "at most 10000 characters" in status.inner_text()
    assert api.get(f"/api/experiments/{eid}").json()["note"] == "from someone else"
