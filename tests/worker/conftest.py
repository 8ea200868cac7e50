"""Every test here runs on SQLite and on PostgreSQL: the same code serves both."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """This test's fresh, migrated database on each backend in turn."""
    return request.getfixturevalue(f"{request.param}_db_url")
