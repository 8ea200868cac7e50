"""Renaming, deleting, new root searches, stop/resume, the tree, paging, limits and CORS."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings
from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import tell
from tests.support.bodies import body


def finish(factory: sessionmaker[Session], n: int) -> None:
    """Run `n` trials with value = x."""
    with session_scope(factory) as s:
        for _ in range(n):
            claim = ask(s, objectives=None, worker="t")
            tell(s, claim.trial_id, state=TrialState.COMPLETE, value=claim.params["x"])


def test_rename_and_delete_with_confirmation(client: TestClient) -> None:
    created = client.post("/api/experiments", json=body(name="old")).json()
    url = f"/api/experiments/{created['id']}"
    assert client.patch(url, json={"name": "new"}).json()["name"] == "new"
    assert client.patch(url, json={"name": ""}).status_code == 422
    refused = client.delete(url)
    assert refused.status_code == 409 and "repeat its name" in refused.json()["message"]
    assert client.delete(url, params={"confirm": "old"}).status_code == 409
    assert client.delete(url, params={"confirm": "new"}).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(f"/api/searches/{created['root_search_id']}").status_code == 404


def test_new_root_searches_and_the_tree(client: TestClient) -> None:
    created = client.post("/api/experiments", json=body()).json()
    root = created["root_search_id"]
    child = client.post(f"/api/searches/{root}/refine", json={"region": {"x": [0, 0.5]}}).json()
    grandchild = client.post(
        f"/api/searches/{child['id']}/refine", json={"region": {"x": [0.1, 0.2]}}
    ).json()
    second = client.post(
        f"/api/experiments/{created['id']}/searches",
        json={
            "sampler": "sobol",
            "n_trials": 8,
            "space": {"x": {"type": "float", "low": 0, "high": 1}},
        },
    )
    assert second.status_code == 201, second.text
    assert second.json()["parent_id"] is None and list(second.json()["space"]) == ["x"]
    tree = client.get(f"/api/experiments/{created['id']}/tree").json()
    assert [n["search"]["id"] for n in tree] == [root, second.json()["id"]]
    assert tree[0]["children"][0]["search"]["id"] == child["id"]
    assert tree[0]["children"][0]["children"][0]["search"]["id"] == grandchild["id"]
    bad = client.post(
        f"/api/experiments/{created['id']}/searches", json={"sampler": "grid", "n_trials": 10**6}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "n_trials"]


def test_a_stopped_search_hands_out_nothing_until_resumed(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    created = client.post("/api/experiments", json=body()).json()
    root = created["root_search_id"]
    assert client.post(f"/api/searches/{root}/stop").json()["status"] == "stopped"
    with session_scope(factory) as s:
        assert ask(s, objectives=None, worker="t") is None
    assert client.post(f"/api/searches/{root}/resume").json()["status"] == "queued"
    assert client.post(f"/api/searches/{root}/resume").status_code == 409
    finish(factory, 4)
    assert client.post(f"/api/searches/{root}/stop").status_code == 409  # done already


def test_filters_and_pages(client: TestClient, factory: sessionmaker[Session]) -> None:
    created = client.post("/api/experiments", json=body(search={"n_trials": 4, "seed": 2})).json()
    finish(factory, 4)
    url = f"/api/experiments/{created['id']}/trials"
    everything = client.get(url).json()
    values = sorted(t["value"] for t in everything)
    middle = client.get(url, params={"value_min": values[1], "value_max": values[2]}).json()
    assert sorted(t["value"] for t in middle) == values[1:3]
    assert client.get(url, params={"state": "failed"}).json() == []
    pages, next_url = [], f"{url}?limit=3"
    while next_url:
        response = client.get(next_url)
        pages.append([t["id"] for t in response.json()])
        next_url = response.links.get("next", {}).get("url")
    assert [len(p) for p in pages] == [3, 1]
    assert sum(pages, []) == [t["id"] for t in everything]
    assert client.get(url, params={"limit": 0}).status_code == 422


def test_large_answers_are_gzipped(client: TestClient, factory: sessionmaker[Session]) -> None:
    created = client.post("/api/experiments", json=body(search={"n_trials": 40})).json()
    finish(factory, 40)
    response = client.get(
        f"/api/experiments/{created['id']}/trials", headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip" and len(response.json()) == 40


def test_bodies_over_the_limit_are_refused(db_url: str) -> None:
    with TestClient(create_app(Settings(database_url=db_url, max_body_bytes=2000))) as small:
        response = small.post("/api/experiments", json=body(name="x" * 3000))
        assert response.status_code == 413
        assert "larger than 2000 bytes" in response.json()["message"]
        assert small.get("/api/experiments").json() == []


def test_cors_is_off_unless_configured(client: TestClient, db_url: str) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    assert (
        "access-control-allow-origin" not in client.get("/api/experiments", headers=origin).headers
    )
    allowed = Settings(database_url=db_url, cors_origins=["https://elsewhere.example"])
    with TestClient(create_app(allowed)) as c:
        headers = c.get("/api/experiments", headers=origin).headers
        assert headers["access-control-allow-origin"] == "https://elsewhere.example"


def test_the_token_can_come_from_a_file(db_url: str, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-a-file\n")
    with TestClient(create_app(Settings(database_url=db_url, token_file=token_file))) as c:
        assert c.post("/api/experiments", json=body()).status_code == 401
        ok = c.post(
            "/api/experiments", json=body(), headers={"Authorization": "Bearer from-a-file"}
        )
        assert ok.status_code == 201
