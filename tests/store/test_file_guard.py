"""The SQLite file guard holds one descriptor of the file per engine, whatever the threads do:
first checkouts racing on threads (a server's pool, optimize's n_jobs) opened one each and
closed the first twice when the engine went ("Bad file descriptor", or another file's)."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

from sqlalchemy import text

from app.store.db import make_engine


def descriptors_of(path: Path) -> int:
    """How many of this process's open descriptors name `path`."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                count += 1
        except OSError:
            continue
    return count


def test_racing_first_checkouts_leave_no_descriptor_behind(sqlite_db_url: str) -> None:
    path = Path(sqlite_db_url.removeprefix("sqlite:///")).resolve()
    for _ in range(20):  # the race is narrow: give it many chances
        engine = make_engine(sqlite_db_url, pool_size=16)
        start = threading.Barrier(16)

        def first_checkout(engine=engine, start=start) -> None:
            start.wait()
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        threads = [threading.Thread(target=first_checkout) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        engine.dispose()
        del engine, first_checkout
        gc.collect()
        assert descriptors_of(path) == 0
