"""Engine and session scope. SQLite is tuned here for many processes writing one file."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
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
    if parsed.database not in (None, "", ":memory:") and "mode=memory" not in str(parsed):
        _guard_file(engine, Path(parsed.database))
    return engine


def _guard_file(engine: Engine, path: Path) -> None:
    """Refuse to use a SQLite file that was deleted, replaced or made read-only while open.

    Open connections keep writing to a deleted file's inode (acknowledged, then gone with the
    last close), and to a file chmod-ed read-only (while new connections cannot): both would
    acknowledge writes that are lost or refused elsewhere. The engine keeps a descriptor of
    the file it first opened (so its inode number cannot be reused by a new file at the path)
    and checks, at each checkout, that the file still has a name and that the path names it.
    """
    held: list[int] = []
    # Checkouts race on threads (a server's pool, optimize's n_jobs): two first checkouts
    # each opened the file and both finalizers closed the first descriptor, so the second
    # close hit "Bad file descriptor", or another file that had taken the number meanwhile.
    opening = threading.Lock()

    def on_checkout(*_: Any) -> None:
        with opening:
            if not held:
                held.append(os.open(path, os.O_RDONLY))
                weakref.finalize(engine, os.close, held[0])
        ours = os.fstat(held[0])
        try:
            named = path.stat()
        except FileNotFoundError:
            named = None
        if (
            ours.st_nlink == 0
            or named is None
            or (named.st_dev, named.st_ino)
            != (
                ours.st_dev,
                ours.st_ino,
            )
        ):
            raise _unusable(f"{path} was deleted or replaced while in use")

    def before_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:6].upper() in _WRITES and not os.access(path, os.W_OK):
            raise _unusable(f"{path} is not writable")

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "before_cursor_execute", before_execute)


_WRITES = {"INSERT", "UPDATE", "DELETE", "REPLAC"}


def _unusable(reason: str) -> OperationalError:
    """An error every layer already treats as "the database is unavailable" (HTTP 503, and a
    worker's retry), naming what to do."""
    message = f"{reason}: restart the server against the right database file"
    return OperationalError(None, None, sqlite3.OperationalError(message))


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
