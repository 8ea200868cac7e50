"""Every stored row is readable (issue 14, item 12): rows stored before the limits of
app.core.values (metrics nested 300 deep, text with a lone surrogate, a registered space nested
300 deep) made every read of their experiment a 500 and its export invalid JSON. Reads now send
them mended: text escaped, what is nested too deep replaced by a note."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.core.values import TOO_DEEP, check_json
from app.store.db import session_scope
from app.store.models import Direction, RegisteredObjective, Trial, utcnow
from tests.support.protocol import ask, create, nested

BAD_METRICS = {"deep": nested(300), "text": "data-\udcff.csv", "\ud800name": 1.0, "ok": 0.5}
MENDED_TEXT = {"text": "data-\\xff.csv", "\ufffdname": 1.0, "ok": 0.5}


def stored_badly(client: TestClient, factory: sessionmaker[Session]) -> dict[str, Any]:
    """An experiment with one complete trial whose metrics were stored as an older version
    stored them (straight into the database, past every check of today)."""
    experiment = create(client)
    claim = ask(client)
    url = f"/api/trials/{claim['trial_id']}"
    told = client.post(
        f"{url}/tell", json={"ticket": claim["ticket"], "state": "complete", "value": 0.5}
    )
    assert told.status_code == 204
    with session_scope(factory) as s:
        s.execute(update(Trial).where(Trial.id == claim["trial_id"]).values(metrics=BAD_METRICS))
    return {**experiment, "trial_id": claim["trial_id"]}


def assert_mended(metrics: dict[str, Any]) -> None:
    """The metrics as a read sends them: valid, within the limits, saying what was cut."""
    check_json(metrics)
    assert {k: v for k, v in metrics.items() if k != "deep"} == MENDED_TEXT
    assert TOO_DEEP in json.dumps(metrics)


def test_every_read_of_a_badly_stored_trial_works(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = stored_badly(client, factory)
    e, s, t = experiment["id"], experiment["root_search_id"], experiment["trial_id"]
    [listed] = client.get(f"/api/experiments/{e}/trials").json()
    assert_mended(listed["metrics"])
    [in_search] = client.get(f"/api/searches/{s}/trials").json()
    assert in_search["metrics"] == listed["metrics"]
    assert client.get(f"/api/trials/{t}").json()["metrics"] == listed["metrics"]
    columns = client.get(f"/api/experiments/{e}/trials/columns").json()
    assert columns["metrics"]["text"] == ["data-\\xff.csv"]
    assert columns["metrics"]["\ufffdname"] == [1.0]
    assert TOO_DEEP in json.dumps(columns["metrics"]["deep"])


def test_a_badly_stored_trial_exports_as_valid_json_that_imports(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = stored_badly(client, factory)
    exported = client.get(f"/api/experiments/{experiment['id']}/export")
    assert exported.status_code == 200
    document = json.loads(exported.content.decode("utf-8"))
    assert_mended(document["trials"][0]["metrics"])
    imported = client.post("/api/experiments/import", json=document)
    assert imported.status_code == 201, imported.text[:300]
    table = client.get(f"/api/experiments/{experiment['id']}/trials.csv")
    assert table.status_code == 200
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8"))))
    assert rows[0]["metric.text"] == "data-\\xff.csv" and rows[0]["metric.\ufffdname"] == "1.0"


def test_a_badly_stored_objective_space_is_listed(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    deep = {"x": {"type": "categorical", "choices": [nested(300)]}, "t": "\udcff"}
    with session_scope(factory) as s:
        s.add(
            RegisteredObjective(
                name="deep",
                direction=Direction.MAXIMIZE,
                description="",
                space=deep,
                worker="old",
                updated_at=utcnow(),
            )
        )
    listed = client.get("/api/objectives")
    assert listed.status_code == 200
    [mine] = [o for o in listed.json() if o["name"] == "deep"]
    check_json(mine["space"])
    assert mine["space"]["t"] == "\\xff"


def test_results_over_the_limits_stored_by_an_older_version_export_into_an_import(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    """Issue 14, item 13: an 11 MB metric (or an error text over 100,000 characters) stored by
    a database worker made an export that import refused. The export now carries the error cut
    in the middle and, for metrics over the limit, a note saying why they were left out."""
    experiment = stored_badly(client, factory)
    error = "Traceback" + "x" * 300_000 + "THE END"
    with session_scope(factory) as s:
        s.execute(
            update(Trial)
            .where(Trial.id == experiment["trial_id"])
            .values(metrics={"blob": "y" * 1_500_000, "ok": 0.5}, error=error)
        )
    exported = client.get(f"/api/experiments/{experiment['id']}/export")
    document = json.loads(exported.content.decode("utf-8"))
    [trial] = document["trials"]
    assert trial["error"].startswith("Traceback") and trial["error"].endswith("THE END")
    assert "characters cut" in trial["error"] and len(trial["error"]) <= 100_000
    assert list(trial["metrics"]) == ["not_exported"]
    assert "more than 1,000,000 bytes" in trial["metrics"]["not_exported"]
    imported = client.post("/api/experiments/import", json=document)
    assert imported.status_code == 201, imported.text[:300]
