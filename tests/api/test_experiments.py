"""The REST API on a temp SQLite file: create, read, list, and clear 422s for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import tell
from tests.support.bodies import SPACE, body


def test_create_then_read_an_experiment(client: TestClient) -> None:
    response = client.post("/api/experiments", json=body())
    assert response.status_code == 201
    created = response.json()
    assert created["root_search_id"] is not None
    assert created["space"] == SPACE
    got = client.get(f"/api/experiments/{created['id']}").json()
    assert got == created
    [search] = got["searches"]
    assert search["id"] == created["root_search_id"]
    assert search["parent_id"] is None
    assert search["n_trials"] == 4 and search["seed"] == 5 and search["status"] == "queued"
    assert search["counts"] == {
        "waiting": 0,
        "running": 0,
        "complete": 0,
        "failed": 0,
        "pruned": 0,
    }
    listed = client.get("/api/experiments").json()
    assert [e["id"] for e in listed] == [created["id"]]
    assert client.get(f"/api/searches/{search['id']}").json() == search


def test_defaults_come_from_the_objective(client: TestClient) -> None:
    created = client.post("/api/experiments", json={"name": "d", "objective": "mlp-digits"})
    assert created.status_code == 201
    data = created.json()
    assert data["direction"] == "maximize"
    assert data["space"]["learning_rate_init"] == {
        "type": "float",
        "low": 1e-5,
        "high": 1.0,
        "log": True,
    }


def test_trials_are_listed_per_search_and_per_experiment(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    created = client.post("/api/experiments", json=body()).json()
    root = created["root_search_id"]
    child = client.post(
        f"/api/searches/{root}/refine", json={"region": {"x": [0.1, 0.2]}, "n_trials": 2}
    ).json()
    with session_scope(factory) as s:
        for value in (0.5, 0.25, 0.75):
            claim = ask(s, objectives=None, worker="t")
            tell(s, claim.trial_id, state=TrialState.COMPLETE, value=value)
    child_trials = client.get(f"/api/searches/{child['id']}/trials").json()
    root_trials = client.get(f"/api/searches/{root}/trials").json()
    everything = client.get(f"/api/experiments/{created['id']}/trials").json()
    assert [t["number"] for t in child_trials] == [0, 1]
    assert [t["number"] for t in root_trials] == [0]
    assert sorted(t["id"] for t in everything) == sorted(
        t["id"] for t in child_trials + root_trials
    )
    trial = child_trials[0]
    assert set(trial) >= {"id", "search_id", "number", "state", "params", "value"}
    assert trial["state"] == "complete" and 0.1 <= trial["params"]["x"] <= 0.2
    got = client.get(f"/api/searches/{child['id']}").json()
    assert got["counts"]["complete"] == 2 and got["status"] == "done"
    assert got["best_value"] == 0.25


def test_columns_and_since_cursor(client: TestClient, factory: sessionmaker[Session]) -> None:
    created = client.post("/api/experiments", json=body()).json()
    url = f"/api/experiments/{created['id']}/trials/columns"
    empty = client.get(url).json()
    assert empty["id"] == [] and empty["cursor"] == 0
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="t")
    running = client.get(url).json()
    assert running["state"] == ["running"] and running["value"] == [None]
    assert set(running["params"]) == set(SPACE)
    assert client.get(url, params={"since": running["cursor"]}).json()["id"] == []
    with session_scope(factory) as s:
        tell(s, claim.trial_id, state=TrialState.COMPLETE, value=0.125)
    changed = client.get(url, params={"since": running["cursor"]}).json()
    assert changed["id"] == [claim.trial_id] and changed["value"] == [0.125]
    assert changed["cursor"] > running["cursor"]


@pytest.mark.parametrize(
    ("overrides", "loc", "fragment"),
    [
        ({"objective": "rm -rf /"}, ["body", "objective"], "not a registered objective"),
        ({"direction": "up"}, ["body", "direction"], "minimize"),
        ({"name": ""}, ["body", "name"], "at least 1"),
        ({"space": {}}, ["body", "space"], "at least 1"),
        (
            {"space": {"lr": {"type": "float", "low": 1.0, "high": 0.1}}},
            ["body", "space", "lr", "low"],
            "less than high",
        ),
        (
            {"space": {"lr": {"type": "float", "low": 0, "high": 1, "log": True}}},
            ["body", "space", "lr", "low"],
            "positive",
        ),
        (
            {"space": {"lr": {"type": "float", "low": "a", "high": 1}}},
            ["body", "space", "lr", "low"],
            "valid number",
        ),
        (
            {"space": {"s": {"type": "categorical", "choices": ["a", "a"]}}},
            ["body", "space", "s", "choices"],
            "twice",
        ),
        (
            {"space": {"lr": {"type": "float", "low": 0, "high": 1, "scale": "log"}}},
            ["body", "space", "lr", "scale"],
            "Extra inputs",
        ),
        ({"search": {"sampler": "magic"}}, ["body", "search", "sampler"], "unknown sampler"),
        ({"search": {"n_trials": 0}}, ["body", "search", "n_trials"], "greater than or equal"),
        ({"search": {"seed": -1}}, ["body", "search", "seed"], "greater than or equal"),
    ],
)
def test_bad_experiments_get_a_422_naming_the_field(
    client: TestClient, overrides: dict, loc: list, fragment: str
) -> None:
    got_loc, msg = _first_problem(client.post("/api/experiments", json=body(**overrides)))
    assert got_loc == loc
    assert fragment in msg
    assert client.get("/api/experiments").json() == []


def _first_problem(response: Any) -> tuple[list, str]:
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["message"]
    item = data["detail"][0]
    return item["loc"], item["msg"]


def test_unknown_ids_are_404_with_the_same_error_shape(client: TestClient) -> None:
    for url in ("/api/experiments/9", "/api/searches/9", "/api/searches/9/trials"):
        response = client.get(url)
        assert response.status_code == 404
        assert "not found" in response.json()["message"]


def test_malformed_json_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.post(
        "/api/experiments", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_objectives_are_listed(client: TestClient) -> None:
    names = {o["name"]: o for o in client.get("/api/objectives").json()}
    assert names["mlp-digits"]["direction"] == "maximize"
    assert "learning_rate_init" in names["mlp-digits"]["space"]


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in (
        "/api/experiments",
        "/api/experiments/{experiment_id}",
        "/api/experiments/{experiment_id}/trials",
        "/api/searches/{search_id}",
        "/api/searches/{search_id}/trials",
        "/api/searches/{search_id}/refine",
    ):
        assert path in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_every_request_body_has_an_example(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if "requestBody" not in op:
                continue
            content = op["requestBody"]["content"]["application/json"]
            body_schema = content["schema"]
            if "$ref" in body_schema:
                body_schema = components[body_schema["$ref"].split("/")[-1]]
            documented = content.get("example") or content.get("examples")
            assert documented or body_schema.get("examples"), (method, path)
