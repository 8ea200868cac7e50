"""Alembic, driven from code: the one way the schema is made and upgraded."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.paths import resource


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
    """Create or upgrade the schema of the database at `url`."""
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is at head (so nothing runs on a stale schema)."""
    head = head_revision(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        found = "has no schema" if current is None else f"is at revision {current}"
        raise SchemaOutOfDate(
            f"the database {found}, this version needs {head}: run `hyperzoom db upgrade`"
        )
