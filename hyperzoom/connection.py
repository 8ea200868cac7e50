"""Where searches live: a database, reached through the app run in this process (as the CLI's
`--db`), or a server over HTTP. Either way every call goes through the REST API's routes, so
validation and errors are the server's own, and trials through the worker protocol."""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.client import ApiError, Client
from hyperzoom.errors import HyperzoomError, refused

if TYPE_CHECKING:
    from app.worker.backend import Backend


class Connection:
    """The REST API of one database or server, and worker backends on it. Shared by every
    search opened on the same place (one in-process app, one reaper) until the process ends."""

    def __init__(
        self,
        api: Client,
        *,
        database_url: str | None = None,
        server: str | None = None,
        token: str | None = None,
    ) -> None:
        self.api, self.database_url = api, database_url
        self.server = server.rstrip("/") if server else None
        self.token = token

    @property
    def where(self) -> str:
        """The server's URL, or the database's (password hidden), for messages."""
        if self.server:
            return self.server
        from app.store.db import redact

        return redact(self.database_url or "")

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API; its JSON answer, or HyperzoomError naming the argument at fault."""
        try:
            return self.api.request(method, path, **kwargs)
        except ApiError as exc:
            if exc.status is None:  # never answered: the server is away
                raise HyperzoomError(str(exc)) from None
            raise refused(str(exc), exc.status, exc.detail) from None

    def get(self, path: str, **params: Any) -> Any:
        """GET with query parameters (None ones left out)."""
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body."""
        return self.request("POST", path, json=body)

    def backend(self, search_id: int) -> Backend:
        """A new worker backend that asks only for `search_id`'s trials: the database itself
        (as `hyperzoom worker --db`) or the server's /api/trials (as `--server`)."""
        from app.worker.backend import DatabaseBackend, HttpBackend

        if self.server:
            return HttpBackend(self.server, self.token, search_id=search_id)
        from app.store.db import make_engine, make_sessionmaker

        assert self.database_url is not None
        engine = make_engine(self.database_url, pre_ping=False)  # a worker retries anyway
        return DatabaseBackend(make_sessionmaker(engine), search_id=search_id)

    def page(self, experiment_id: int, search_id: int) -> str | None:
        """The experiment's page with this search selected, when a server is known."""
        if not self.server:
            return None
        return f"{self.server}/experiments/{experiment_id}?search={search_id}"

    def close(self) -> None:
        """Stop the in-process app (its reaper) or the HTTP client."""
        self.api.__exit__(None, None, None)


_OPEN: dict[tuple[str, ...], Connection] = {}
_LOCK = threading.Lock()


def connect(
    db: str | None = None, server: str | None = None, token: str | None = None
) -> Connection:
    """The connection for `db` or `server` (opened once per process).

    Neither given: HYPERZOOM_SERVER if set, else HYPERZOOM_DATABASE_URL, else `hyperzoom.db` in
    the working directory, as the `hyperzoom` command chooses. A database is migrated on first
    use. `token` defaults to HYPERZOOM_TOKEN.
    """
    if db and server:
        raise HyperzoomError("pass db= or server=, not both")
    if not db:
        server = server or os.environ.get("HYPERZOOM_SERVER") or None
    if server:
        token = token or os.environ.get("HYPERZOOM_TOKEN") or None
        key: tuple[str, ...] = ("server", server.rstrip("/"), token or "")
    else:
        from app.settings import Settings

        db = _absolute(db or Settings().database_url)
        key = ("db", db)
    with _LOCK:
        if key not in _OPEN:
            _OPEN[key] = _open_server(server, token) if server else _open_database(db or "")
        return _OPEN[key]


def _absolute(url: str) -> str:
    """A SQLite file named relative to the working directory, named absolutely: the
    connection outlives a change of directory (`os.chdir`, a notebook's `%cd`)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:  # _open_database says what is wrong with it
        return url
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return url
    if "mode" in parsed.query or Path(path).is_absolute():
        return url
    return parsed.set(database=str(Path(path).resolve())).render_as_string(hide_password=False)


def _in_memory(url: str) -> bool:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return False
    memory = parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    return parsed.get_backend_name() == "sqlite" and memory


def _open_server(server: str, token: str | None) -> Connection:
    return Connection(Client.to_server(server, token), server=server, token=token)


def _open_database(url: str) -> Connection:
    """Migrate (nothing to do at head), then run the app in this process on the database."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from app.cli.experiments import in_process
    from app.settings import Settings
    from app.store.db import redact
    from app.store.migrate import SchemaOutOfDate, upgrade

    settings = Settings(database_url=url)
    if _in_memory(url):
        raise HyperzoomError(
            "db: an in-memory SQLite database is private to one connection, and the API and "
            "the worker use two: name a file (sqlite:///runs.db)"
        )
    try:
        upgrade(settings.database_url)
    except ArgumentError as exc:  # not a URL (not shown: it may hold a password)
        raise HyperzoomError(f"db: {exc}") from exc
    except SchemaOutOfDate as exc:
        raise HyperzoomError(f"database {redact(url)}: {exc}") from exc
    except SQLAlchemyError as exc:  # cannot be opened: say why in one line
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise HyperzoomError(f"database {redact(url)}: {reason}") from exc
    return Connection(in_process(settings), database_url=settings.database_url)


@atexit.register
def close_all() -> None:
    """Close every connection this process opened (the in-process apps stop their reapers)."""
    with _LOCK:
        while _OPEN:
            _OPEN.popitem()[1].close()
