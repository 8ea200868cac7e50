"""Alembic, driven from code: the one way the schema is made and upgraded."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from app.paths import resource
from app.store.db import make_engine

# Any constant: the PostgreSQL advisory lock that lets one `db upgrade` run at a time.
_PG_LOCK = 0x687A6D67


class SchemaOutOfDate(RuntimeError):
    """The database is not at the migrations' head."""


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and `url`."""
    config = Config()
    config.set_main_option("script_location", str(resource("migrations")))
    # ConfigParser treats % as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema of the database at `url`, one upgrader at a time (a second
    one waits, then finds nothing left to do); refuse a schema from a newer version."""
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with _upgrade_lock(url), engine.connect() as conn:
            with _pg_lock(conn):
                _refuse_unknown(config, MigrationContext.configure(conn).get_current_revision())
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def _upgrade_lock(url: str) -> Iterator[None]:
    """For a SQLite file: an exclusive lock on a file beside it (SQLite's own locks are per
    statement during migrations, so two upgraders could interleave their DDL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        yield
        return
    if not Path(parsed.database).parent.is_dir():  # connecting fails next, with its own message
        yield
        return
    with Path(f"{parsed.database}.upgrade-lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _pg_lock(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, a session advisory lock held for the whole upgrade."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
        conn.commit()


def _refuse_unknown(config: Config, current: str | None) -> None:
    """A revision the code does not know was written by a newer version: say so."""
    if current is None:
        return
    try:
        known = ScriptDirectory.from_config(config).get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise SchemaOutOfDate(
            f"the database is at revision {current}, which this version does not know: it was "
            f"made by a newer version of Hyperzoom; upgrade Hyperzoom to use it"
        )


def head_revision(url: str) -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is at head (so nothing runs on a stale schema)."""
    head = head_revision(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    _refuse_unknown(alembic_config(engine.url.render_as_string(hide_password=False)), current)
    if current != head:
        found = "has no schema" if current is None else f"is at revision {current}"
        raise SchemaOutOfDate(
            f"the database {found}, this version needs {head}: run `hyperzoom db upgrade`"
        )
