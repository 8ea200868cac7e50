"""Scoped tokens on a real server: a worker token runs the worker protocol and reads, nothing
else; the admin token (HYPERZOOM_TOKEN) does everything."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.bodies import body
from tests.support.processes import running_server

pytestmark = pytest.mark.slow
ADMIN = "admin-s3cret"
WORKER = "worker-s3cret"
AS_ADMIN = {"Authorization": f"Bearer {ADMIN}"}
AS_WORKER = {"Authorization": f"Bearer {WORKER}"}
PROTOCOL_TAG = "worker protocol"


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    """A client of a real server with an admin and a worker token, reads protected."""
    env = {
        "HYPERZOOM_TOKEN": ADMIN,
        "HYPERZOOM_WORKER_TOKEN": WORKER,
        "HYPERZOOM_PROTECT_READS": "true",
    }
    with (
        running_server(db_url, tmp_path / "server.log", **env) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client


def routes(api: httpx.Client, protocol: bool) -> list[tuple[str, str]]:
    """Every mutating operation of the OpenAPI schema, in or out of the worker protocol."""
    paths = api.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), re.sub(r"\{\w+\}", "1", path))
        for path, ops in paths.items()
        for method, op in ops.items()
        if method not in ("get", "head", "options") and (PROTOCOL_TAG in op["tags"]) == protocol
    ]


def test_a_worker_token_is_refused_everything_but_the_protocol(api: httpx.Client) -> None:
    admin_only = routes(api, protocol=False)
    assert {("POST", "/api/experiments"), ("DELETE", "/api/experiments/1")} <= set(admin_only)
    assert ("POST", "/api/experiments/import") in admin_only and (
        "PATCH",
        "/api/experiments/1",
    ) in admin_only
    for method, path in admin_only:
        refused = api.request(method, path, json={}, headers=AS_WORKER)
        assert refused.status_code == 403, (method, path, refused.text)
        assert "admin token" in refused.json()["message"]
        assert refused.json()["detail"][0]["type"] == "insufficient_scope"
    assert api.get("/api/experiments", headers=AS_ADMIN).json() == []


def test_a_worker_token_runs_the_protocol_and_reads(api: httpx.Client) -> None:
    created = api.post("/api/experiments", json=body(), headers=AS_ADMIN)
    assert created.status_code == 201, created.text
    assert api.get("/api/experiments", headers=AS_WORKER).status_code == 200
    announce = {"worker": "w1", "objectives": [{"name": "mine", "direction": "minimize"}]}
    registered = api.post("/api/objectives/register", json=announce, headers=AS_WORKER)
    assert registered.status_code == 204, registered.text
    asked = api.post(
        "/api/trials/ask", json={"worker": "w1", "objectives": ["bowl"]}, headers=AS_WORKER
    )
    assert asked.status_code == 200, asked.text
    claim = asked.json()
    trial = f"/api/trials/{claim['trial_id']}"
    held = {"ticket": claim["ticket"]}
    report = api.post(f"{trial}/report", json={**held, "step": 1, "value": 0.5}, headers=AS_WORKER)
    assert report.status_code == 200, report.text
    assert api.post(f"{trial}/heartbeat", json=held, headers=AS_WORKER).status_code == 204
    assert api.post(f"{trial}/release", json=held, headers=AS_WORKER).status_code == 204
    again = api.post(
        "/api/trials/ask", json={"worker": "w1", "objectives": ["bowl"]}, headers=AS_WORKER
    )
    claim = again.json()
    told = api.post(
        f"/api/trials/{claim['trial_id']}/tell",
        json={"ticket": claim["ticket"], "state": "complete", "value": 1.0},
        headers=AS_WORKER,
    )
    assert told.status_code == 204, told.text


def test_the_admin_token_does_everything_and_a_wrong_one_nothing(api: httpx.Client) -> None:
    for method, path in routes(api, protocol=True):
        wrong = api.request(method, path, json={}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, (method, path)
        assert api.request(method, path, json={}, headers=AS_ADMIN).status_code == 422
    assert api.get("/api/experiments").status_code == 401
    created = api.post("/api/experiments", json=body(), headers=AS_ADMIN)
    assert created.status_code == 201
    asked = api.post(
        "/api/trials/ask", json={"worker": "w", "objectives": ["bowl"]}, headers=AS_ADMIN
    )
    assert asked.status_code == 200
    url = f"/api/experiments/{created.json()['id']}"
    assert api.delete(url, params={"confirm": "sweep"}, headers=AS_ADMIN).status_code == 204


def test_a_server_with_only_a_worker_token_refuses_admin_calls(
    db_url: str, tmp_path: Path
) -> None:
    with (
        running_server(db_url, tmp_path / "s.log", HYPERZOOM_WORKER_TOKEN=WORKER) as url,
        httpx.Client(base_url=url, timeout=10) as api,
    ):
        for headers in ({}, AS_WORKER, AS_ADMIN):
            refused = api.post("/api/experiments", json=body(), headers=headers)
            assert refused.status_code in (401, 403), refused.text
        assert "HYPERZOOM_TOKEN" in refused.json()["message"]
        ask = {"worker": "w", "objectives": ["bowl"]}
        assert api.post("/api/trials/ask", json=ask).status_code == 401
        assert api.post("/api/trials/ask", json=ask, headers=AS_WORKER).status_code == 204


def test_rotating_the_worker_token_file_does_not_stop_the_admin(
    db_url: str, tmp_path: Path
) -> None:
    worker_file = tmp_path / "worker-token"
    worker_file.write_text(WORKER)
    env = {"HYPERZOOM_TOKEN": ADMIN, "HYPERZOOM_WORKER_TOKEN_FILE": str(worker_file)}
    with (
        running_server(db_url, tmp_path / "s.log", **env) as url,
        httpx.Client(base_url=url, timeout=10) as api,
    ):
        ask = {"worker": "w", "objectives": ["bowl"]}
        assert api.post("/api/trials/ask", json=ask, headers=AS_WORKER).status_code == 204
        worker_file.write_text("")
        unavailable = api.post("/api/trials/ask", json=ask, headers=AS_WORKER)
        assert unavailable.status_code == 503, unavailable.text
        assert api.post("/api/trials/ask", json=ask, headers=AS_ADMIN).status_code == 204
        assert api.post("/api/experiments", json=body(), headers=AS_ADMIN).status_code == 201
