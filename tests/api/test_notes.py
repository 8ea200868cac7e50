"""Notes on an experiment, a search and a trial through the API: set, read back, cleared,
bounded with a 422 naming the field, behind the admin token; a trial's note is a change the
live reads (`since`) see once, with no trial lost or repeated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.core.values import MAX_NOTE_CHARS
from app.main import create_app
from app.settings import Settings
from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import tell
from tests.support.bodies import body

NASTY = "<img src=x onerror=alert(1)></script>\n\"quoted\" & 'so on'"
TOKEN = "note-s3cret"


def created(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/experiments", json=body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def run_trials(factory: sessionmaker[Session], count: int) -> list[int]:
    """Claim and finish `count` trials as a worker would; their ids."""
    ids = []
    for i in range(count):
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="w")
            assert claim is not None
            tell(s, claim.trial_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=float(i))
            ids.append(claim.trial_id)
    return ids


def test_notes_are_set_read_back_everywhere_and_cleared(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = created(client)
    eid, root = experiment["id"], experiment["root_search_id"]
    assert experiment["note"] is None and experiment["searches"][0]["note"] is None
    [trial_id] = run_trials(factory, 1)

    put = client.put(f"/api/experiments/{eid}/note", json={"note": NASTY})
    assert put.status_code == 200, put.text
    assert put.json()["note"] == NASTY  # stored and sent back as it was typed
    assert client.get(f"/api/experiments/{eid}").json()["note"] == NASTY

    put = client.put(f"/api/searches/{root}/note", json={"note": "whole space, to see"})
    assert put.status_code == 200 and put.json()["note"] == "whole space, to see"
    assert client.get(f"/api/searches/{root}").json()["note"] == "whole space, to see"
    assert client.get(f"/api/experiments/{eid}").json()["searches"][0]["note"] == (
        "whole space, to see"
    )
    [node] = client.get(f"/api/experiments/{eid}/tree").json()
    assert node["search"]["note"] == "whole space, to see"

    put = client.put(f"/api/trials/{trial_id}/note", json={"note": "ran on the old GPU"})
    assert put.status_code == 200 and put.json()["note"] == "ran on the old GPU"
    assert client.get(f"/api/trials/{trial_id}").json()["note"] == "ran on the old GPU"
    [listed] = client.get(f"/api/searches/{root}/trials").json()
    assert listed["note"] == "ran on the old GPU"
    assert client.get(f"/api/experiments/{eid}/trials").json()[0]["note"] == "ran on the old GPU"

    # Replaced, then cleared by null and by blank text alike.
    assert client.put(f"/api/trials/{trial_id}/note", json={"note": "v2"}).json()["note"] == "v2"
    for cleared in (None, "", "  \n\t"):
        for path in (f"experiments/{eid}", f"searches/{root}", f"trials/{trial_id}"):
            client.put(f"/api/{path}/note", json={"note": "something"})
            put = client.put(f"/api/{path}/note", json={"note": cleared})
            assert put.status_code == 200 and put.json()["note"] is None, (path, cleared)
            assert client.get(f"/api/{path}").json()["note"] is None


def test_notes_can_be_given_when_searches_and_experiments_are_made(client: TestClient) -> None:
    search = {"n_trials": 4, "seed": 5, "note": "coarse first"}
    experiment = created(client, note="is adam better?", search=search)
    assert experiment["note"] == "is adam better?"
    assert experiment["searches"][0]["note"] == "coarse first"
    root = experiment["root_search_id"]
    refined = client.post(
        f"/api/searches/{root}/refine",
        json={"region": {"x": [0.1, 0.3]}, "n_trials": 3, "note": "why this box: x < 0.3 wins"},
    )
    assert refined.status_code == 201, refined.text
    assert refined.json()["note"] == "why this box: x < 0.3 wins"
    assert client.get(f"/api/searches/{refined.json()['id']}").json()["note"] == (
        "why this box: x < 0.3 wins"
    )
    plain = client.post(f"/api/searches/{root}/refine", json={"region": {"x": [0.1, 0.3]}})
    assert plain.status_code == 201 and plain.json()["note"] is None
    again = client.post(
        f"/api/experiments/{experiment['id']}/searches", json={"n_trials": 2, "note": "again"}
    )
    assert again.status_code == 201 and again.json()["note"] == "again"
    # A dry run takes a note (the page sends the same body) and creates nothing.
    dry = client.post(
        f"/api/searches/{root}/refine",
        json={"region": {"x": [0.1, 0.3]}, "dry_run": True, "note": "just looking"},
    )
    assert dry.status_code == 200
    assert len(client.get(f"/api/experiments/{experiment['id']}").json()["searches"]) == 4


def field_of(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    return item["loc"]


def test_a_note_too_long_or_unstorable_is_a_422_naming_the_field(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = created(client)
    eid, root = experiment["id"], experiment["root_search_id"]
    [trial_id] = run_trials(factory, 1)
    longest = "é" * MAX_NOTE_CHARS  # characters, not bytes
    too_long = "x" * (MAX_NOTE_CHARS + 1)
    for path in (f"experiments/{eid}", f"searches/{root}", f"trials/{trial_id}"):
        assert client.put(f"/api/{path}/note", json={"note": longest}).json()["note"] == longest
        refused = client.put(f"/api/{path}/note", json={"note": too_long})
        assert field_of(refused) == ["body", "note"]
        assert (
            "note" in refused.json()["message"]
            and f"{MAX_NOTE_CHARS}" in (refused.json()["message"])
        )
        assert field_of(client.put(f"/api/{path}/note", json={"note": "a\u0000b"})) == [
            "body",
            "note",
        ]
        assert field_of(client.put(f"/api/{path}/note", json={"note": 5})) == ["body", "note"]
        assert field_of(client.put(f"/api/{path}/note", json={})) == ["body", "note"]
        assert client.get(f"/api/{path}").json()["note"] == longest  # nothing changed
    refine = {"region": {"x": [0.1, 0.3]}, "note": too_long}
    assert field_of(client.post(f"/api/searches/{root}/refine", json=refine)) == ["body", "note"]
    assert field_of(client.post("/api/experiments", json=body(note=too_long))) == [
        "body",
        "note",
    ]
    nested = body(search={"n_trials": 2, "note": too_long})
    assert field_of(client.post("/api/experiments", json=nested)) == ["body", "search", "note"]
    assert len(client.get("/api/experiments").json()) == 1
    assert len(client.get(f"/api/experiments/{eid}").json()["searches"]) == 1


def test_notes_of_what_does_not_exist_are_404s(client: TestClient) -> None:
    for kind, path in (("experiment", "experiments"), ("search", "searches"), ("trial", "trials")):
        missing = client.put(f"/api/{path}/999/note", json={"note": "x"})
        assert missing.status_code == 404, missing.text
        assert missing.json()["detail"][0]["loc"] == ["path", f"{kind}_id"]


@pytest.fixture
def secured(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=settings.database_url, token=TOKEN))) as c:
        yield c


def test_notes_need_the_token_when_one_is_configured(
    secured: TestClient, factory: sessionmaker[Session]
) -> None:
    admin = {"Authorization": f"Bearer {TOKEN}"}
    experiment = secured.post("/api/experiments", json=body(), headers=admin).json()
    [trial_id] = run_trials(factory, 1)
    paths = [
        f"/api/experiments/{experiment['id']}/note",
        f"/api/searches/{experiment['root_search_id']}/note",
        f"/api/trials/{trial_id}/note",
    ]
    for path in paths:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            refused = secured.put(path, json={"note": "sneaky"}, headers=headers)
            assert refused.status_code == 401, (path, refused.text)
        allowed = secured.put(path, json={"note": "mine"}, headers=admin)
        assert allowed.status_code == 200 and allowed.json()["note"] == "mine"
        assert secured.get(path.removesuffix("/note")).json()["note"] == "mine"  # reads open


def test_a_trial_note_is_one_change_for_live_reads_nothing_lost_or_repeated(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = created(client, search={"n_trials": 5, "seed": 1})
    eid = experiment["id"]
    ids = run_trials(factory, 4)
    columns = f"/api/experiments/{eid}/trials/columns"
    first = client.get(columns).json()
    assert first["id"] == ids and first["notes"] == {}
    cursor = first["cursor"]

    noted = client.put(f"/api/trials/{ids[1]}/note", json={"note": NASTY}).json()
    assert noted["seq"] > cursor
    assert noted["state"] == "complete" and noted["value"] == 1.0  # nothing else changed
    update = client.get(columns, params={"since": cursor}).json()
    assert update["id"] == [ids[1]] and update["notes"] == {str(ids[1]): NASTY}
    assert update["cursor"] == noted["seq"]
    assert client.get(columns, params={"since": update["cursor"]}).json()["id"] == []

    # A page merging updates by id holds every trial once, with its note.
    page: dict[int, str | None] = {}
    for answer in (first, update):
        for trial_id in answer["id"]:
            page[trial_id] = answer["notes"].get(str(trial_id))
    assert sorted(page) == sorted(ids) and page[ids[1]] == NASTY
    everything = client.get(columns).json()
    assert sorted(everything["id"]) == sorted(ids) and len(everything["id"]) == len(ids)
    assert everything["notes"] == {str(ids[1]): NASTY}

    # Paging /trials by `since` meets each trial once; the noted one last (its latest change).
    seen: list[int] = []
    since = 0
    while batch := client.get(
        f"/api/experiments/{eid}/trials", params={"since": since, "limit": 2}
    ).json():
        seen += [t["id"] for t in batch]
        since = batch[-1]["seq"]
    assert seen == [ids[0], ids[2], ids[3], ids[1]]

    # Cleared: one more change, and the trial is in it without a note.
    cleared = client.put(f"/api/trials/{ids[1]}/note", json={"note": None}).json()
    update = client.get(columns, params={"since": noted["seq"]}).json()
    assert update["id"] == [ids[1]] and update["notes"] == {}
    assert update["cursor"] == cleared["seq"]


def test_a_note_on_a_running_trial_leaves_its_worker_alone(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    created(client)
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="w")
    assert claim is not None
    noted = client.put(f"/api/trials/{claim.trial_id}/note", json={"note": "watch this one"})
    assert noted.status_code == 200 and noted.json()["state"] == "running"
    with session_scope(factory) as s:
        tell(s, claim.trial_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=0.25)
    trial = client.get(f"/api/trials/{claim.trial_id}").json()
    assert (trial["state"], trial["value"], trial["note"]) == ("complete", 0.25, "watch this one")


def test_the_note_routes_are_one_shape_documented_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    answers = {
        "/api/experiments/{experiment_id}/note": "ExperimentRead",
        "/api/searches/{search_id}/note": "SearchRead",
        "/api/trials/{trial_id}/note": "TrialRead",
    }
    for path, read in answers.items():
        put = paths[path]["put"]
        body = put["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/NoteWrite"}
        examples = body["examples"]
        assert examples["clear"]["value"] == {"note": ""}
        assert examples["set"]["value"]["note"]
        assert put["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{read}"
        }
        assert {"401", "404", "422"} <= set(put["responses"])
    schemas = spec["components"]["schemas"]
    assert schemas["NoteWrite"]["required"] == ["note"]
    for name in ("ExperimentRead", "SearchRead", "TrialRead"):
        assert "note" in schemas[name]["properties"], name
    refine = schemas["RefineRequest"]
    assert refine["properties"]["note"]["anyOf"][0]["maxLength"] == MAX_NOTE_CHARS
    assert refine["examples"][0]["note"]


def test_a_trusted_origin_may_put_a_note(settings: Settings) -> None:
    """PUT is among the methods CORS lets a listed origin send (a notebook's page, say)."""
    friend = "https://notebook.example"
    trusted = Settings(database_url=settings.database_url, cors_origins=[friend])
    with TestClient(create_app(trusted)) as c:
        eid = c.post("/api/experiments", json=body()).json()["id"]
        preflight = c.options(
            f"/api/experiments/{eid}/note",
            headers={
                "Origin": friend,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert "PUT" in preflight.headers["access-control-allow-methods"]
        headers = {"Origin": friend, "Sec-Fetch-Site": "cross-site"}
        put = c.put(f"/api/experiments/{eid}/note", json={"note": "hi"}, headers=headers)
        assert put.status_code == 200 and put.headers["access-control-allow-origin"] == friend
