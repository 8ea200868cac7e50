"""With a token configured, every mutating route needs it; reads stay open."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.api.test_experiments import body

TOKEN = "s3cret-token"


@pytest.fixture
def secured(settings: Settings) -> Iterator[TestClient]:
    """A client of an app that requires TOKEN."""
    secured_settings = Settings(database_url=settings.database_url, token=TOKEN)
    with TestClient(create_app(secured_settings)) as c:
        yield c


def mutating_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every non-GET operation in the OpenAPI schema, so a new route cannot slip through."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), re.sub(r"\{\w+\}", "1", path))
        for path, ops in paths.items()
        for method in ops
        if method not in ("get", "head", "options")
    ]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_mutations_without_the_right_token_are_refused(
    secured: TestClient, header: str | None
) -> None:
    routes = mutating_routes(secured)
    assert ("POST", "/api/experiments") in routes
    headers = {"Authorization": header} if header else {}
    for method, path in routes:
        response = secured.request(method, path, json={}, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
    assert secured.get("/api/experiments").json() == []


def test_the_right_token_is_accepted(secured: TestClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    created = secured.post("/api/experiments", json=body(), headers=headers)
    assert created.status_code == 201
    root = created.json()["root_search_id"]
    refined = secured.post(
        f"/api/searches/{root}/refine", json={"region": {"x": [0.1, 0.2]}}, headers=headers
    )
    assert refined.status_code == 201
    assert secured.get("/api/experiments").status_code == 200


def test_reads_can_be_protected_too(settings: Settings) -> None:
    protected = Settings(database_url=settings.database_url, token=TOKEN, protect_reads=True)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(protected)) as c:
        c.post("/api/experiments", json=body(name="secret-name"), headers=headers)
        paths = c.get("/openapi.json").json()["paths"]
        for path, ops in paths.items():
            if "get" in ops:
                url = re.sub(r"\{\w+\}", "1", path)
                assert c.get(url).status_code == 401, path
        assert c.get("/api/experiments", headers=headers).json()[0]["name"] == "secret-name"
        assert "secret-name" not in c.get("/").text
        assert "secret-name" not in c.get("/experiments/1").text
