"""The PostgreSQL fixture gives a real server, and each test database is its own copy."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from app.store.db import make_engine
from app.store.migrate import head_revision


def _scalar(url: str, *statements: str) -> object:
    """Run the statements in one transaction; the last one's first value."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            results = [conn.execute(text(sql)) for sql in statements]
            return results[-1].scalar()
    finally:
        engine.dispose()


def test_the_server_is_postgresql_and_the_database_is_migrated(postgresql_db_url: str) -> None:
    assert str(_scalar(postgresql_db_url, "SELECT version()")).startswith("PostgreSQL ")
    revision = _scalar(postgresql_db_url, "SELECT version_num FROM alembic_version")
    assert revision == head_revision(postgresql_db_url)


def test_two_fresh_databases_are_independent(pg_database: Callable[[], str]) -> None:
    first, second = pg_database(), pg_database()
    assert first != second
    count = _scalar(
        first,
        "CREATE TABLE scratch (x int)",
        "INSERT INTO scratch VALUES (1)",
        "SELECT count(*) FROM scratch",
    )
    assert count == 1
    assert _scalar(second, "SELECT to_regclass('scratch')") is None
    assert _scalar(pg_database(), "SELECT to_regclass('scratch')") is None
    assert _scalar(second, "SELECT count(*) FROM experiments") == 0
