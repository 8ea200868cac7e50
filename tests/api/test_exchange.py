"""Export, CSV and import over the REST API: documents move between databases; bad ones 422."""

from __future__ import annotations

import csv
import gc
import http.client
import io
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings
from app.store import exporting as store_exchange
from app.store.db import session_scope
from tests.support.bodies import OWN, announce_own
from tests.support.exchange import CHILD_NOTE, EXPERIMENT_NOTE, populate, without_ids
from tests.support.processes import free_port

TOKEN = "s3cret-token"


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """A client of an app with the export routes, on this test's database."""
    with _client(settings) as c:
        yield c


@pytest.fixture
def other(tmp_path: Path, migrated_template: Path) -> Iterator[TestClient]:
    """A client of an app on a second database, which needs TOKEN for writes."""
    path = tmp_path / "other.db"
    shutil.copy(migrated_template, path)
    with _client(Settings(database_url=f"sqlite:///{path}", token=TOKEN)) as c:
        yield c


@pytest.fixture
def experiment_id(factory: sessionmaker[Session]) -> int:
    """An experiment with a tree of searches and trials in every state."""
    with session_scope(factory) as session:
        return populate(session)


def test_export_then_import_on_another_server(
    api: TestClient, other: TestClient, experiment_id: int
) -> None:
    document = api.get(f"/api/experiments/{experiment_id}/export").json()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert other.post("/api/experiments/import", json=document).status_code == 401
    response = other.post("/api/experiments/import", json=document, headers=auth)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "sweep" and created["n_searches"] == 3
    assert created["note"] == EXPERIMENT_NOTE
    assert [s["note"] for s in created["searches"]] == [None, CHILD_NOTE, None]
    assert created["counts"] == {
        "waiting": 2,  # the enqueued one and the one that was running
        "running": 0,
        "complete": 2,
        "failed": 1,
        "pruned": 1,
    }
    assert other.get(f"/api/experiments/{created['id']}").json() == created
    again = other.get(f"/api/experiments/{created['id']}/export").json()
    running = [t["state"] for t in document["trials"]].index("running")
    assert again["trials"][running]["state"] == "waiting"
    document["trials"][running] = again["trials"][running] | {
        "search_id": document["trials"][running]["search_id"]
    }
    assert without_ids(again) == without_ids(document)


def test_trials_as_a_csv_download(api: TestClient, experiment_id: int) -> None:
    response = api.get(f"/api/experiments/{experiment_id}/trials.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="experiment-{experiment_id}-trials.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 6 and "param.learning_rate" in rows[0] and "metric.acc" in rows[0]


@pytest.mark.parametrize("suffix", ["export", "trials.csv"])
def test_an_unknown_experiment_is_a_404(api: TestClient, suffix: str) -> None:
    response = api.get(f"/api/experiments/99/{suffix}")
    assert response.status_code == 404
    assert response.json()["detail"][0]["loc"] == ["path", "experiment_id"]


def test_a_bad_document_is_a_422_naming_the_field(api: TestClient, experiment_id: int) -> None:
    document = api.get(f"/api/experiments/{experiment_id}/export").json()
    document["searches"][1]["parent_id"] = 12345
    response = api.post("/api/experiments/import", json=document)
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "searches", 1, "parent_id"]
    assert "not the id of a search listed before" in item["msg"]
    assert response.json()["message"].startswith("searches.1.parent_id: ")
    assert len(api.get("/api/experiments").json()) == 1  # nothing was written
    assert api.post("/api/experiments/import", json=[1]).status_code == 422


def test_the_routes_are_documented_with_examples(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    post = paths["/api/experiments/import"]["post"]
    assert "export" in post["requestBody"]["content"]["application/json"]["examples"]
    csv_get = paths["/api/experiments/{experiment_id}/trials.csv"]["get"]
    assert "example" in csv_get["responses"]["200"]["content"]["text/csv"]
    assert post["tags"] == ["export"]


def test_the_export_streams_batches_that_join_into_one_document(
    api: TestClient, experiment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"/api/experiments/{experiment_id}/export"
    whole = api.get(url)
    monkeypatch.setattr(store_exchange, "EXPORT_BATCH", 2)  # 6 trials: 3 batches
    response = api.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == whole.json()
    document = response.json()
    assert len(document["trials"]) == 6
    # Curves belong to their own trials across batch boundaries: the first trial's two steps.
    curves = [t["intermediate_values"] for t in document["trials"]]
    assert curves[0] == [[0, 0.9], [1, 0.5]] and curves[2] == [[0, 2.0]]
    # One trial per line, between the head and the closing lines.
    lines = response.text.splitlines()
    start = lines.index('  "trials": [')
    assert lines[-2:] == ["  ]", "}"]
    assert len(lines[start + 1 : -2]) == 6
    assert all(line.startswith('{"search_id": ') for line in lines[start + 1 : -2])
    # An unknown experiment is a 404 before anything is streamed.
    missing = api.get("/api/experiments/999/export")
    assert missing.status_code == 404 and "999" in missing.json()["message"]


def test_the_csv_streams_batches_with_every_column_from_the_first_row(
    api: TestClient, experiment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"/api/experiments/{experiment_id}/trials.csv"
    whole = api.get(url).text
    monkeypatch.setattr(store_exchange, "EXPORT_BATCH", 2)
    assert api.get(url).text == whole
    # "acc" is reported only by the first trial and by one in the last batch; every row has it.
    rows = list(csv.DictReader(io.StringIO(whole)))
    assert [r["metric.acc"] for r in rows].count("") == 4
    empty = api.post(
        "/api/experiments",
        json={
            "name": "empty",
            "objective": "bowl",
            "space": {"x": {"type": "float", "low": 0, "high": 1}},
        },
    ).json()
    text = api.get(f"/api/experiments/{empty['id']}/trials.csv").text
    assert text == "id,search_id,number,state,value,param.x,note,error,started_at,finished_at\n"


def test_a_client_leaving_mid_export_gives_its_connection_back(
    settings: Settings, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real server: clients that read a few bytes of a slow export and hang up. The cycle
    # collector is off, so only an explicit close can give the connections back.
    with session_scope(factory) as s:
        experiment_id = populate(s)
    monkeypatch.setattr(store_exchange, "EXPORT_BATCH", 1)
    curves = store_exchange._curves

    def slow_curves(session: Session, ids: Any) -> Any:
        time.sleep(0.05)
        return curves(session, ids)

    monkeypatch.setattr(store_exchange, "_curves", slow_curves)
    app = create_app(settings)
    pool = app.state.sessionmaker.kw["bind"].pool
    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    gc.disable()
    try:
        thread.start()
        while not server.started:
            time.sleep(0.02)
        port = server.config.port
        for _ in range(16):  # more than the pool holds (5, and 10 more on demand)
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", f"/api/experiments/{experiment_id}/export")
            conn.getresponse().read(10)
            conn.close()
        deadline = time.monotonic() + 5
        while pool.checkedout() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.checkedout() == 0
        listed = httpx.get(f"http://127.0.0.1:{port}/api/experiments", timeout=5)
        assert listed.status_code == 200
    finally:
        gc.enable()
        server.should_exit = True
        thread.join(5)


def _wide_document(api: TestClient, n_choices: int, n_trials: int) -> dict[str, Any]:
    """An export of one search over a categorical of `n_choices`, with `n_trials` trials that
    take its last choices (where a scan of the list would look longest)."""
    choices = [f"v{i}" for i in range(n_choices)]
    space = {"c": {"type": "categorical", "choices": choices}}
    announce_own(api)  # an objective that takes `c`
    created = api.post(
        "/api/experiments",
        json={"name": "wide", "objective": OWN, "space": space, "search": {"n_trials": 10**6}},
    ).json()
    document = api.get(f"/api/experiments/{created['id']}/export").json()
    search_id = document["searches"][0]["id"]
    document["trials"] = [
        {
            "search_id": search_id,
            "number": i,
            "state": "failed",
            "params": {"c": choices[-1 - i % min(n_choices, 100)]},
            "value": None,
            "metrics": {"acc": 0.5, "note": "fine"},
            "error": "boom",
            "worker": "w",
            "attempt": 0,
            "lost": 0,
            "started_at": None,
            "finished_at": None,
            "intermediate_values": [[0, 0.5], [1, 0.25]],
        }
        for i in range(n_trials)
    ]
    return document


@pytest.mark.slow
def test_an_import_costs_the_same_per_trial_whatever_the_number_of_choices(
    api: TestClient,
) -> None:
    """Issue 14, item 8: 400,000 choices held a server thread for 10 minutes. The core refuses
    that many (tests/api/test_bounded_categoricals.py); within its limit, each trial of an
    import costs what it costs with two choices (10,000 trials each time)."""
    seconds = {}
    for n_choices in (2, 10_000):
        document = _wide_document(api, n_choices, 10_000)
        started = time.perf_counter()
        response = api.post("/api/experiments/import", json=document)
        seconds[n_choices] = time.perf_counter() - started
        assert response.status_code == 201, response.text[:300]
    assert seconds[10_000] < 2 * seconds[2] + 1.0, seconds


def test_an_import_keeps_the_limits_of_every_other_way_in(
    api: TestClient, experiment_id: int
) -> None:
    """Issue 14, item 12: an import took metrics nested 900 deep (201), and every read of the
    new experiment was then a 500. The limits of a tell (app.core.values) hold here too."""
    document = api.get(f"/api/experiments/{experiment_id}/export").json()
    deep: list[Any] = []
    for _ in range(899):
        deep = [deep]
    for field, value, loc, problem in [
        ("metrics", {"m": deep}, ["metrics", "m", *[0] * 31], "nested more than 32"),
        ("metrics", {"m": "x" * 1_000_001}, ["metrics"], "more than 1,000,000 bytes"),
        ("error", "x" * 100_001, ["error"], "at most 100000 characters"),
    ]:
        bad = {**document, "trials": [{**document["trials"][0], field: value}]}
        bad["trials"][0]["state"] = "failed"
        response = api.post("/api/experiments/import", json=bad)
        assert response.status_code == 422, response.text[:300]
        [item] = response.json()["detail"]
        assert item["loc"] == ["body", "trials", 0, *loc] and problem in item["msg"]
    assert len(api.get("/api/experiments").json()) == 1  # nothing was written


def test_the_import_has_a_body_limit_of_its_own(
    db_url: str, tmp_path: Path, migrated_template: Path, experiment_id: int
) -> None:
    """Issue 18: an export past the 10 MB body limit could not be imported at all. The import
    reads its body as a stream, with its own limit; every other route keeps the small one."""
    with _client(Settings(database_url=db_url)) as api:
        document = api.get(f"/api/experiments/{experiment_id}/export").content
    path = tmp_path / "small.db"
    shutil.copy(migrated_template, path)
    url = f"sqlite:///{path}"
    # A body limit past the head and any one line (all the import holds), short of the whole.
    limit = document.index(b'\n  "trials": [') + 1000
    assert len(document) > limit
    with _client(Settings(database_url=url, max_body_bytes=limit)) as small:
        json_body = {"Content-Type": "application/json"}
        created = small.post("/api/experiments/import", content=document, headers=json_body)
        assert created.status_code == 201, created.text
        assert small.post("/api/experiments", content=b" " * (limit + 1)).status_code == 413
        # Another shape is read whole: within that limit only.
        indented = json.dumps(json.loads(document), indent=2).encode()
        whole = small.post("/api/experiments/import", content=indented, headers=json_body)
        assert whole.status_code == 422 and f"more than {limit} bytes" in whole.text
    limit = len(document) - 1
    with _client(Settings(database_url=url, max_import_bytes=limit)) as tight:
        refused = tight.post("/api/experiments/import", content=document, headers=json_body)
        assert refused.status_code == 413
        assert f"larger than {limit} bytes" in refused.json()["message"]
        chunked = tight.post("/api/experiments/import", content=iter([document]))
        assert chunked.status_code == 413  # no declared length: counted as it arrives
        assert len(tight.get("/api/experiments").json()) == 1  # the first one alone
