"""Engine and session scope. SQLite is tuned here for many processes writing one file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite writer waits for another one before giving up, in seconds. Writes are a few
# milliseconds each, so reaching this means something is badly wrong, not merely busy.
SQLITE_BUSY_TIMEOUT = 30.0


def make_engine(url: str, *, pre_ping: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite, turn on WAL, a busy timeout and foreign keys.

    Elsewhere each checkout pings the server first (`pre_ping`), so a restarted database costs
    no failed request. A worker turns that off: it retries any failed step anyway (the first
    one after a restart fails and discards the pool), and on PostgreSQL the ping was a tenth of
    a no-op trial's time.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=pre_ping, **kwargs)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web page) run while a worker writes; NORMAL sync is durable against
    # a crashed process, which is the failure we care about here.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def redact(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)
