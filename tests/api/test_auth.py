"""With a token configured, every mutating route needs it; reads stay open; a token file that
cannot be read closes the doors (503), it never opens them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.support.bodies import body
from tests.support.processes import free_port, running_server

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


def _break_by_emptying(path: Path) -> None:
    path.write_text("")


def _break_by_deleting(path: Path) -> None:
    path.unlink()


def _break_by_a_directory(path: Path) -> None:
    """Unreadable even for root (who reads a chmod 000 file anyway)."""
    path.unlink()
    path.mkdir()


def _mend(path: Path, token: str) -> None:
    if path.is_dir():
        path.rmdir()
    path.write_text(token + "\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    "breakage", [_break_by_emptying, _break_by_deleting, _break_by_a_directory]
)
def test_a_broken_token_file_refuses_mutations_with_a_503_not_open_doors(
    db_url: str, tmp_path: Path, breakage: Callable[[Path], None]
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first-secret\n")
    log = tmp_path / "server.log"
    server = running_server(db_url, log, HYPERZOOM_TOKEN_FILE=str(token_file))
    with server as url, httpx.Client(base_url=url, timeout=10) as api:
        assert api.post("/api/experiments", json=body(name="none")).status_code == 401
        first = {"Authorization": "Bearer first-secret"}
        assert api.post("/api/experiments", json=body(name="ok"), headers=first).status_code == 201
        breakage(token_file)
        for headers in ({}, first, {"Authorization": "Bearer"}):
            refused = api.post("/api/experiments", json=body(name="leak"), headers=headers)
            assert refused.status_code == 503, refused.text
            error = refused.json()
            assert "token file" in error["message"] and str(token_file) not in error["message"]
            assert error["detail"][0]["type"] == "token_unavailable"
        assert [e["name"] for e in api.get("/api/experiments").json()] == ["ok"]
        _mend(token_file, "second-secret")  # the rotation finished
        assert api.post("/api/experiments", json=body(name="x"), headers=first).status_code == 401
        second = {"Authorization": "Bearer second-secret"}
        assert api.post("/api/experiments", json=body(name="b"), headers=second).status_code == 201
    assert "token file" in log.read_text() and str(token_file) in log.read_text()


def test_a_broken_token_file_protects_reads_too(db_url: str, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    settings = Settings(database_url=db_url, token_file=token_file, protect_reads=True)
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/experiments").status_code == 401
        token_file.write_text("  \n")
        assert c.get("/api/experiments").status_code == 503
        assert (
            c.get("/api/experiments", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 503
        )


@pytest.mark.slow
@pytest.mark.parametrize("content", [None, "", " \n"], ids=["missing", "empty", "blank"])
def test_serve_refuses_to_start_on_a_token_file_it_cannot_use(
    db_url: str, tmp_path: Path, content: str | None
) -> None:
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)
    env = {**os.environ, "HYPERZOOM_TOKEN_FILE": str(token_file)}
    command = [sys.executable, "-m", "app", "serve", "--db", db_url, "--port", str(free_port())]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started on a token file it cannot use")
    assert done.returncode == 1
    assert "token file" in done.stderr and "Traceback" not in done.stderr


def test_an_empty_token_variable_does_not_hide_the_token_file(db_url: str, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    settings = Settings(database_url=db_url, token=" ", token_file=token_file)
    with TestClient(create_app(settings)) as c:
        assert c.post("/api/experiments", json=body()).status_code == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert c.post("/api/experiments", json=body(), headers=headers).status_code == 201
