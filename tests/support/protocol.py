"""Driving the worker protocol over HTTP as a notebook would."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.bodies import body


def create(client: TestClient, **search: object) -> dict:
    """An experiment on `bowl` with a small search."""
    payload = body(search={"n_trials": 2, "seed": 1, **search})
    return client.post("/api/experiments", json=payload).json()


def ask(client: TestClient) -> dict | None:
    """Ask as a notebook would."""
    response = client.post("/api/trials/ask", json={"worker": "nb", "objectives": ["bowl"]})
    return None if response.status_code == 204 else response.json()


def nested(depth: int) -> list:
    """A list nested `depth` deep."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value
