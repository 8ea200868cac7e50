"""Dry-run refines create nothing; an Idempotency-Key makes a refine happen once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.store.models import RefineKey, Search
from tests.support.bodies import announce_own, own_body


@pytest.fixture
def root(client: TestClient) -> dict[str, Any]:
    """The root search of a fresh experiment over MIXED (an int and a category among them)."""
    announce_own(client)
    created = client.post("/api/experiments", json=own_body()).json()
    return created["searches"][0]


def searches(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Search)) or 0


def test_a_dry_run_answers_the_canonical_region_and_creates_no_row(
    client: TestClient, root: dict, session: Session
) -> None:
    before = searches(session)
    response = client.post(
        f"/api/searches/{root['id']}/refine",
        json={"region": {"layers": [1.2, 2.9], "solver": ["adam"]}, "dry_run": True},
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["region"] == {"layers": [2, 2], "solver": ["adam"]}
    assert preview["problems"] == []
    assert preview["inside"]["count"] == 0 and preview["outside"]["count"] == 0
    assert set(preview["ranges"]) == {"learning_rate", "x", "layers", "solver"}
    assert searches(session) == before
    assert session.scalar(select(func.count()).select_from(RefineKey)) == 0


def test_a_dry_run_reports_problems_with_their_location_and_still_answers_200(
    client: TestClient, root: dict
) -> None:
    response = client.post(
        f"/api/searches/{root['id']}/refine",
        json={"region": {"x": [0.5, 2.0]}, "dry_run": True},
    )
    assert response.status_code == 200
    [problem] = response.json()["problems"]
    assert problem["loc"] == ["body", "region", "x"]
    assert "outside the parent's range" in problem["msg"]


def test_refining_the_whole_space_is_refused_with_a_pointer_to_a_root_search(
    client: TestClient, root: dict
) -> None:
    response = client.post(
        f"/api/searches/{root['id']}/refine", json={"region": {"x": [0.0, 1.0]}}
    )
    assert response.status_code == 422
    assert "whole space" in response.text and "new root search" in response.text


def test_the_same_idempotency_key_creates_one_search_and_returns_the_same_body(
    client: TestClient, root: dict, session: Session
) -> None:
    url = f"/api/searches/{root['id']}/refine"
    payload = {"region": {"x": [0.1, 0.2]}, "n_trials": 5}
    first = client.post(url, json=payload, headers={"Idempotency-Key": "k-1"})
    second = client.post(url, json=payload, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert searches(session) == 2  # the root and one child
    other = client.post(url, json=payload, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_a_key_reused_for_another_refine_is_refused(client: TestClient, root: dict) -> None:
    url = f"/api/searches/{root['id']}/refine"
    headers = {"Idempotency-Key": "k-1"}
    assert client.post(url, json={"region": {"x": [0.1, 0.2]}}, headers=headers).status_code == 201
    response = client.post(url, json={"region": {"x": [0.1, 0.3]}}, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_refused_refine_does_not_use_up_its_key(client: TestClient, root: dict) -> None:
    url = f"/api/searches/{root['id']}/refine"
    headers = {"Idempotency-Key": "k-1"}
    bad = client.post(url, json={"region": {"x": [0.5, 2.0]}}, headers=headers)
    assert bad.status_code == 422
    good = client.post(url, json={"region": {"x": [0.5, 2.0]}}, headers=headers)
    assert good.status_code == 422  # the same refusal again, not a stored answer
