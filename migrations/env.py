"""Alembic environment: the URL comes from the caller's config or from Settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import Connection

from app.settings import Settings
from app.store.db import make_engine
from app.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    # render_as_batch: SQLite cannot ALTER most things, so changes are made by copying tables.
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )


def run_offline() -> None:
    """Emit SQL without a database."""
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, migrate with foreign keys off, as SQLite's own table-rebuild recipe says:
    batch mode copies a table and drops the old one, and with them on the drop cascaded (a
    downgrade past 0006 deleted every learning-curve value). Checked before they go back on."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows without their parents: {broken[:5]}")
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def run_online() -> None:
    """Migrate a live database; reuse the caller's connection when it passes one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with _foreign_keys_off(connection), context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with _foreign_keys_off(conn), context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
