"""Fuzz the whole API from its OpenAPI schema: no input may cause a 5xx, and every response
must match the schema (status code, content type, body)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.settings import Settings
from app.store.migrate import upgrade

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    """The app's own OpenAPI schema, served in-process on a migrated temp database."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "hz.db"
    upgrade(f"sqlite:///{path}")
    return schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(Settings(database_url=f"sqlite:///{path}"))
    )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_input_breaks_the_api(api_schema: schemathesis.BaseSchema) -> None:
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
