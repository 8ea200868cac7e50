"""The page's binary columns (Accept: application/vnd.hyperzoom.columns) say exactly what the
JSON answer says, read back by a decoder of the format (tests/support/columns.py); the JSON
answer is unchanged for everyone else."""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.store import trial_reads
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction, Experiment, Trial, TrialState
from app.store.searches import SearchSettings
from app.store.trial_reads import MAX_METRIC_COLUMNS
from tests.support.bodies import body
from tests.support.columns import MEDIA_TYPE, decode
from tests.support.protocol import nested

FIXTURES = Path(__file__).resolve().parent.parent / "js" / "fixtures"
BINARY = {"Accept": MEDIA_TYPE}
SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "units": {"type": "int", "low": 8, "high": 256, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
    "momentum": {"type": "float", "low": 0.0, "high": 1.0, "condition": {"solver": ["sgd"]}},
    "mixed": {"type": "categorical", "choices": [1, "1", True, 2.5]},
}
_START = datetime(2026, 1, 1, tzinfo=UTC)


def _trial(i: int) -> dict[str, Any]:
    """Trial `i` of the rich experiment: every kind of cell the columns can hold, with the
    kinds of some columns changing from trial to trial (and so from batch to batch)."""
    solver = ("sgd", "adam")[i % 2]
    params: dict[str, Any] = {"lr": 10 ** -(1 + i % 5) * 1.2345678901234567, "units": 8 + i}
    params |= {"solver": solver, "mixed": [1, "1", True, 2.5][i % 4]}
    if solver == "sgd":
        params["momentum"] = i / 7  # conditional: absent for adam
    state = [TrialState.COMPLETE, TrialState.FAILED, TrialState.RUNNING, TrialState.PRUNED][i % 4]
    metrics: dict[str, Any] | None = {
        "acc": i / 3 if i % 3 else None,
        "label": f"run {i % 3}",  # text
        "curve": [i, i / 2, {"best": i}],  # nested
        "big": 2**60 + i,  # an integer no float holds exactly
        "flag": i % 2 == 0,
        "later": i if i < 6 else "diverged",  # numbers, then text
        "count": 10**10 if i == 9 else i,  # int32 at first, then not
    }
    if i == 4:
        metrics = None  # no metrics at all
    elif i == 5:
        metrics |= {"\ud800name": 1.0, "text": "data-\udcff.csv", "deep": nested(40)}
    elif i == 7:
        metrics |= {"nan": math.nan, "inf": math.inf, "ninf": -math.inf}
    started = _START + timedelta(seconds=i)
    return {
        "number": i,
        "state": state,
        "params": params,
        "value": None
        if state in (TrialState.FAILED, TrialState.RUNNING)
        else [0.5, math.inf][i % 8 == 0] * i,
        "metrics": metrics,
        "started_at": started,
        "finished_at": None if state == TrialState.RUNNING else started + timedelta(seconds=i / 4),
        "note": f"trial {i}: lr looked \u2713 too high" if i % 5 == 0 else None,
    }


def rich_experiment(factory: sessionmaker[Session], n: int = 12) -> int:
    """An experiment of `n` trials written straight into the database (as an older version or
    an import may have stored them: NaN, infinities, lone surrogates, deep nesting)."""
    with session_scope(factory) as s:
        experiment, search = create_experiment(
            s,
            name="rich",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(SPACE),
            settings=SearchSettings(n_trials=n, seed=1),
        )
        common = {"experiment_id": experiment.id, "search_id": search.id, "attempt": 0, "lost": 0}
        rows = [{**common, **_trial(i), "seq": i + 1} for i in range(n)]
        s.execute(insert(Trial), rows)
        experiment.seq = n
        return experiment.id


def same(a: Any, b: Any) -> bool:
    """Equal as JSON is: 3 and 3.0 alike, but True is not 1, and order counts."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if a != b:
        return False
    return type(a) is type(b) or {type(a), type(b)} == {int, float}


def both(client: TestClient, url: str, **params: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON answer, and the binary one decoded."""
    plain = client.get(url, params=params)
    packed = client.get(url, params=params, headers=BINARY)
    assert plain.headers["content-type"] == "application/json"
    assert packed.headers["content-type"] == MEDIA_TYPE
    return plain.json(), decode(packed.content)


@pytest.mark.parametrize("batch", [trial_reads.BATCH, 1, 5])
def test_binary_columns_say_what_the_json_says(
    client: TestClient, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(trial_reads, "BATCH", batch)  # names and kinds change between batches
    experiment_id = rich_experiment(factory)
    url = f"/api/experiments/{experiment_id}/trials/columns"
    plain, packed = both(client, url)
    assert same(packed, plain), (packed, plain)
    # What the rich experiment holds, as the JSON answer says it.
    assert plain["params"]["momentum"][1] is None and plain["params"]["mixed"][:4] == [
        1,
        "1",
        True,
        2.5,
    ]
    assert plain["metrics"]["nan"][7] is None and plain["metrics"]["inf"][7] is None
    assert plain["value"][8] is None and plain["metrics"]["big"][3] == 2**60 + 3
    assert plain["metrics"]["text"][5] == "data-\\xff.csv" and "\ufffdname" in plain["metrics"]
    assert sorted(plain["notes"].values())[0] == "trial 0: lr looked \u2713 too high"
    assert len(plain["notes"]) == 3
    assert set(plain["state"]) == {"complete", "failed", "running", "pruned"}
    # Changes since a cursor: a later trial changed, and trials after it.
    with session_scope(factory) as s:
        s.execute(update(Trial).where(Trial.number == 2).values(seq=13, note="now noted"))
        s.execute(update(Experiment).where(Experiment.id == experiment_id).values(seq=13))
    plain, packed = both(client, url, since=9)
    assert plain["id"] and plain["notes"]
    assert same(packed, plain), (packed, plain)


def test_the_json_answer_is_what_it_was(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment_id = rich_experiment(factory)
    url = f"/api/experiments/{experiment_id}/trials/columns"
    plain = client.get(url)
    assert plain.headers["vary"] == "Accept-Encoding"  # as before
    for accept in ("application/json", "*/*", f"{MEDIA_TYPE};q=0", "text/html"):
        assert client.get(url, headers={"Accept": accept}).content == plain.content, accept
    packed = client.get(url, headers={"Accept": f"text/html, {MEDIA_TYPE};q=0.9"})
    assert packed.headers["content-type"] == MEDIA_TYPE
    assert packed.headers["vary"] == "Accept"  # never zipped: the encoding does not vary
    gone = client.get("/api/experiments/999/trials/columns", headers=BINARY)
    assert gone.status_code == 404 and gone.json()["message"]


def test_empty_and_limited_metric_columns_match(
    client: TestClient, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = client.post("/api/experiments", json=body(name="empty")).json()
    url = f"/api/experiments/{created['id']}/trials/columns"
    plain, packed = both(client, url)
    assert plain["id"] == [] and same(packed, plain)
    # More metric names than columns, read in batches of one: the same first names kept.
    monkeypatch.setattr(trial_reads, "BATCH", 1)
    experiment_id = rich_experiment(factory, 3)
    with session_scope(factory) as s:
        for trial in s.query(Trial).filter_by(experiment_id=experiment_id):
            trial.metrics = {f"m{trial.number}_{k}": k for k in range(MAX_METRIC_COLUMNS)}
    plain, packed = both(client, f"/api/experiments/{experiment_id}/trials/columns")
    assert plain["metrics_omitted"] == 2 * MAX_METRIC_COLUMNS and same(packed, plain)


def test_openapi_names_both_answers(client: TestClient) -> None:
    path = client.get("/openapi.json").json()["paths"][
        "/api/experiments/{experiment_id}/trials/columns"
    ]
    content = path["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", MEDIA_TYPE}
    assert content["application/json"]["schema"]["$ref"].endswith("/TrialColumns")


def test_the_js_fixture_is_what_the_server_writes(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    """tests/js/columns.test.mjs reads these bytes with the page's reader (static/js/columns.js).
    If the format changed on purpose, write them again: HYPERZOOM_WRITE_FIXTURES=1."""
    experiment_id = rich_experiment(factory)
    url = f"/api/experiments/{experiment_id}/trials/columns"
    packed = client.get(url, headers=BINARY).content
    plain = client.get(url).json()
    # Ids and cursors differ from database to database: the fixture's are its own.
    expected = json.dumps(plain, indent=1, ensure_ascii=True) + "\n"
    if os.environ.get("HYPERZOOM_WRITE_FIXTURES"):
        (FIXTURES / "columns.bin").write_bytes(packed)
        (FIXTURES / "columns.json").write_text(expected)
    assert same(
        decode((FIXTURES / "columns.bin").read_bytes()),
        json.loads((FIXTURES / "columns.json").read_text()),
    )
    assert same(decode(packed), plain)
    assert (FIXTURES / "columns.bin").read_bytes() == packed, "write the fixtures again"


@pytest.mark.parametrize(
    ("accept", "binary"),
    [
        (MEDIA_TYPE, True),
        (f"{MEDIA_TYPE}, */*;q=0.8", True),
        (f"application/json, {MEDIA_TYPE}", True),  # a tie: what it names, ours
        (f"{MEDIA_TYPE};q=0.5", True),  # nothing else accepted
        (None, False),
        ("*/*", False),  # only a client asking by name gets binary
        ("application/json", False),
        # Refused (found by review: three decimals, a Q in capitals) or less preferred.
        (f"{MEDIA_TYPE};q=0", False),
        (f"{MEDIA_TYPE};q=0.000", False),
        (f"{MEDIA_TYPE};Q=0", False),
        (f"{MEDIA_TYPE}; q = 0", False),
        (f"{MEDIA_TYPE};q=zero", False),
        (f"application/json, {MEDIA_TYPE};q=0.1", False),
        (f"{MEDIA_TYPE};q=0.5, */*", False),  # JSON gets q=1 from */*
        (f"{MEDIA_TYPE};q=0.5, application/*;q=0.6", False),
    ],
)
def test_the_accept_header_chooses_by_quality(
    client: TestClient, accept: str | None, binary: bool
) -> None:
    created = client.post("/api/experiments", json=body()).json()
    headers = {} if accept is None else {"Accept": accept}
    answer = client.get(f"/api/experiments/{created['id']}/trials/columns", headers=headers)
    assert answer.status_code == 200
    kind = answer.headers["content-type"]
    assert kind.startswith(MEDIA_TYPE if binary else "application/json"), kind


def test_binary_columns_go_unzipped_and_json_zipped(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    """gzip costs the binary read more than it saves (float64 mantissas barely compress):
    the middleware leaves it alone, and still compresses JSON."""
    experiment_id = rich_experiment(factory, n=200)
    url = f"/api/experiments/{experiment_id}/trials/columns"
    zip_ok = {"Accept-Encoding": "gzip"}
    packed = client.get(url, headers={**BINARY, **zip_ok})
    assert "content-encoding" not in packed.headers
    assert len(packed.content) > 1024  # big enough that gzip would have taken it
    assert decode(packed.content)["id"] == client.get(url).json()["id"]
    plain = client.get(url, headers=zip_ok)
    assert plain.headers["content-encoding"] == "gzip"
