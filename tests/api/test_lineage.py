"""GET /api/experiments/{id}/lineage and GET /api/searches/compare on a real SQLite file, with
trials put in through the API and the worker protocol: a child's gain over its parent's best
inside its region, worked out by hand (tests/support/lineage.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.support.bodies import body
from tests.support.lineage import (
    CHILD_BEST,
    GAIN,
    PARENT_BEST_IN_REGION,
    TRIALS_TO_BEAT,
    Lineage,
    make_lineage,
    record,
)


@pytest.fixture
def made(client: TestClient, factory: sessionmaker[Session]) -> Lineage:
    return make_lineage(client, factory)


def test_lineage_has_each_searchs_progress_edf_and_the_childs_gain_in_its_region(
    client: TestClient, made: Lineage
) -> None:
    response = client.get(f"/api/experiments/{made.experiment_id}/lineage")
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["direction"] == "minimize" and found["experiment_id"] == made.experiment_id
    root, child = found["searches"]
    assert (root["id"], root["parent_id"], child["id"], child["parent_id"]) == (
        made.root_id,
        None,
        made.child_id,
        made.root_id,
    )
    assert (root["trials"], root["complete"], root["best"]) == (5, 4, 0.2)
    assert root["best_so_far"] == [[1, 0.2], [5, 0.2]]
    assert root["edf"] == {
        "values": [0.2, 0.5, 0.8, 1.0],
        "fractions": [0.25, 0.5, 0.75, 1.0],
        "n": 4,
        "exact": True,
    }
    assert (root["start"], root["gain"]) == (0, None)
    # The child was made after the root's five trials had finished: its line starts there.
    assert (child["start"], child["at_creation"]) == (5, 5)
    assert child["best_so_far"] == [[1, 1.5], [2, 0.9], [3, 0.7], [5, 0.6]]
    gain = child["gain"]
    assert gain["gain"] == pytest.approx(GAIN)
    assert {k: v for k, v in gain.items() if k != "gain"} == {
        "baseline_search_id": made.root_id,
        "search_id": made.child_id,
        "basis": "region",
        "baseline": PARENT_BEST_IN_REGION,  # not the root's 0.2, which lies outside the box
        "best": CHILD_BEST,
        "trials_to_beat": TRIALS_TO_BEAT,
    }


def compare(client: TestClient, a: int, b: int) -> dict[str, Any]:
    response = client.get("/api/searches/compare", params={"a": a, "b": b})
    assert response.status_code == 200, response.text
    return response.json()


def test_compare_a_parent_and_its_child_either_way_round(
    client: TestClient, made: Lineage
) -> None:
    down = compare(client, made.root_id, made.child_id)
    up = compare(client, made.child_id, made.root_id)
    assert (down["relation"], up["relation"]) == ("ancestor", "descendant")
    assert down["gain"] == up["gain"]
    assert down["gain"]["baseline"] == PARENT_BEST_IN_REGION
    assert down["gain"]["trials_to_beat"] == TRIALS_TO_BEAT
    assert (down["a"]["id"], down["b"]["id"]) == (made.root_id, made.child_id)
    assert (down["a"]["trials"], down["b"]["trials"]) == (5, 5)
    assert down["b"]["edf"]["values"] == [0.6, 0.7, 0.9, 1.5]
    same = compare(client, made.child_id, made.child_id)
    assert same["relation"] == "same" and same["gain"]["gain"] == 0


def test_compare_unrelated_searches_by_their_bests(
    client: TestClient, factory: sessionmaker[Session], made: Lineage
) -> None:
    other = client.post(f"/api/experiments/{made.experiment_id}/searches", json={"n_trials": 3})
    assert other.status_code == 201, other.text
    for x, value in [(0.7, 0.4), (0.6, 0.3), (0.2, 0.1)]:
        record(client, factory, other.json()["id"], x, value)
    found = compare(client, made.root_id, other.json()["id"])
    assert found["relation"] == "unrelated"
    gain = found["gain"]
    assert (gain["basis"], gain["baseline"], gain["best"]) == ("best", 0.2, 0.1)
    assert gain["gain"] == pytest.approx(0.1) and gain["trials_to_beat"] == 3
    # The lineage lists the second root with no gain, starting at 0.
    searches = client.get(f"/api/experiments/{made.experiment_id}/lineage").json()["searches"]
    assert [(s["start"], s["gain"] is None) for s in searches] == [
        (0, True),
        (5, False),
        (0, True),
    ]


def test_compare_refuses_searches_of_two_experiments_and_unknown_ids(
    client: TestClient, made: Lineage
) -> None:
    elsewhere = client.post("/api/experiments", json=body()).json()["root_search_id"]
    refused = client.get("/api/searches/compare", params={"a": made.root_id, "b": elsewhere})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "b"]
    assert "one experiment" in refused.json()["message"]
    missing = client.get("/api/searches/compare", params={"a": made.root_id, "b": 999})
    assert missing.status_code == 404
    assert client.get("/api/searches/compare", params={"a": 1}).status_code == 422
    assert client.get("/api/experiments/999/lineage").status_code == 404
    # /api/searches/{id} is still a search.
    assert client.get(f"/api/searches/{made.child_id}").json()["id"] == made.child_id


def test_an_experiment_without_trials_has_empty_lines(client: TestClient) -> None:
    created = client.post("/api/experiments", json=body()).json()
    searches = client.get(f"/api/experiments/{created['id']}/lineage").json()["searches"]
    assert searches == [
        {
            "id": created["root_search_id"],
            "parent_id": None,
            "trials": 0,
            "complete": 0,
            "best": None,
            "best_so_far": [],
            "edf": {"values": [], "fractions": [], "n": 0, "exact": True},
            "start": 0,
            "at_creation": 0,
            "gain": None,
        }
    ]


def test_the_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    lineage = paths["/api/experiments/{experiment_id}/lineage"]["get"]
    compared = paths["/api/searches/compare"]["get"]
    assert "zooming pay off" in lineage["description"]
    assert {"200", "404", "422"} <= set(compared["responses"])
    assert [p["name"] for p in compared["parameters"]] == ["a", "b"]
