"""The database's clock: heartbeats are stamped and judged by it, so a process whose own clock
runs fast (or slow) cannot make another's healthy trial look silent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.store.models import UTCDateTime


class db_now(FunctionElement[datetime]):  # noqa: N801 - reads like the SQL function it is
    """The current time on the database server, with microseconds where it has them."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(db_now, "sqlite")
def _sqlite_now(element: db_now, compiler: Any, **kw: Any) -> str:
    # Milliseconds, padded to the microseconds SQLAlchemy writes, so stamps compare as text.
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


@compiles(db_now, "postgresql")
def _postgresql_now(element: db_now, compiler: Any, **kw: Any) -> str:
    return "clock_timestamp()"  # now() would be the transaction's start


@compiles(db_now)
def _default_now(element: db_now, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"
