"""One way for every command to fail: one readable line on stderr, exit code 1, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from app.cli.client import ApiError
from app.core.space import SpaceError
from app.settings import Settings
from app.store.db import redact
from app.store.migrate import SchemaOutOfDate
from app.worker.backend import ServerError
from app.worker.registry import ObjectiveError

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)


def friendly(fn: F) -> F:
    """Turn expected failures into one line on stderr and exit code 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (
            SchemaOutOfDate,
            ObjectiveError,
            SpaceError,
            ServerError,
            ApiError,
            ValueError,
        ) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        except SQLAlchemyError as exc:
            url = redact(kwargs.get("db") or Settings().database_url)
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            err.print(
                f"[red]error:[/red] database {escape(url)}: {escape(reason)}",
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(1)

    return wrapper  # type: ignore[return-value]
