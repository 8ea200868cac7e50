"""POST /api/searches/{id}/refine: the child's space is the parent's narrowed to the region."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_experiments import SPACE, body


@pytest.fixture
def root(client: TestClient) -> dict[str, Any]:
    """The root search of a fresh experiment."""
    created = client.post("/api/experiments", json=body()).json()
    return created["searches"][0]


def test_refine_creates_a_child_over_the_region(client: TestClient, root: dict) -> None:
    response = client.post(
        f"/api/searches/{root['id']}/refine",
        json={
            "region": {"learning_rate": [1e-4, 1e-2], "layers": [1.5, 3], "solver": ["adam"]},
            "n_trials": 7,
            "seed": 9,
        },
    )
    assert response.status_code == 201, response.text
    child = response.json()
    assert child["parent_id"] == root["id"]
    assert child["n_trials"] == 7 and child["seed"] == 9 and child["sampler"] == "random"
    assert child["space"] == {
        "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "x": SPACE["x"],
        "layers": {"type": "int", "low": 2, "high": 3},
        "solver": {"type": "categorical", "choices": ["adam"]},
    }
    assert child["region"] == {
        "learning_rate": [1e-4, 1e-2],
        "layers": [2, 3],
        "solver": ["adam"],
    }
    experiment = client.get(f"/api/experiments/{root['experiment_id']}").json()
    assert [s["id"] for s in experiment["searches"]] == [root["id"], child["id"]]


def test_refining_a_child_narrows_further(client: TestClient, root: dict) -> None:
    url = "/api/searches/{}/refine"
    fine = client.post(url.format(root["id"]), json={"region": {"x": [0.2, 0.6]}}).json()
    finer = client.post(url.format(fine["id"]), json={"region": {"x": [0.3, 0.4]}})
    assert finer.status_code == 201
    assert finer.json()["space"]["x"] == {"type": "float", "low": 0.3, "high": 0.4}
    outside = client.post(url.format(fine["id"]), json={"region": {"x": [0.1, 0.4]}})
    assert outside.status_code == 422
    assert "outside the parent's range [0.2, 0.6]" in outside.json()["message"]


@pytest.mark.parametrize(
    ("payload", "loc", "fragment"),
    [
        (
            {"region": {"learning_rate": [1e-2, 1e-4]}},
            ["body", "region", "learning_rate"],
            "less than high",
        ),
        (
            {"region": {"learning_rate": [1e-8, 1e-4]}},
            ["body", "region", "learning_rate"],
            "outside",
        ),
        (
            {"region": {"learning_rate": [-1, 1e-4]}},
            ["body", "region", "learning_rate"],
            "positive",
        ),
        (
            {"region": {"learning_rate": [0, 1e-4]}},
            ["body", "region", "learning_rate"],
            "positive",
        ),
        ({"region": {"x": [0.5]}}, ["body", "region", "x"], "pair"),
        ({"region": {"nope": [0, 1]}}, ["body", "region", "nope"], "not a parameter"),
        ({"region": {"solver": ["rmsprop"]}}, ["body", "region", "solver"], "not one of"),
        ({"region": {}}, ["body", "region"], "at least 1"),
        ({"region": {"x": [0.1, 0.2]}, "n_trials": 0}, ["body", "n_trials"], "greater than"),
        ({"region": {"x": [0.1, 0.2]}, "sampler": "magic"}, ["body", "sampler"], "unknown"),
        ({"n_trials": 3}, ["body", "region"], "Field required"),
    ],
)
def test_bad_regions_get_a_422_and_create_nothing(
    client: TestClient, root: dict, payload: dict, loc: list, fragment: str
) -> None:
    response = client.post(f"/api/searches/{root['id']}/refine", json=payload)
    assert response.status_code == 422, response.text
    item = response.json()["detail"][0]
    assert item["loc"] == loc
    assert fragment in item["msg"]
    experiment = client.get(f"/api/experiments/{root['experiment_id']}").json()
    assert len(experiment["searches"]) == 1


def test_refining_an_unknown_search_is_404(client: TestClient) -> None:
    response = client.post("/api/searches/42/refine", json={"region": {"x": [0.1, 0.2]}})
    assert response.status_code == 404
