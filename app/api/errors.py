"""One error model for the API: `{"message": ..., "detail": [{"loc", "msg", "type"}]}`.

Pages get the same errors rendered as HTML.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.problems import Problem
from app.store.errors import Conflict, NotFound


class FieldError(Exception):
    """A request field is invalid in a way only the domain can tell (e.g. a region)."""

    def __init__(self, loc: Sequence[str | int], msg: str, status: int = 422) -> None:
        self.loc, self.msg, self.status = list(loc), msg, status
        super().__init__(msg)


_DESCRIPTIONS = {
    401: "An API token is configured and the request did not carry it",
    404: "No such experiment, search or trial",
    409: "The stored state does not allow it (e.g. a result for a superseded attempt)",
    422: "A field is invalid; `detail` says which and why",
}


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error codes, all in the one error model."""
    from app.api.schemas import ErrorResponse

    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in codes}


# The `responses` most routes document: those of a read, and those of a write.
ERRORS = documented(404, 422)
WRITE_ERRORS = documented(401, 404, 409, 422)


@contextmanager
def located(*prefix: str | int) -> Iterator[None]:
    """A Problem raised inside is about the request field at `prefix` (its loc continues it);
    without this, a Problem escaping a route is about the request body."""
    try:
        yield
    except Problem as exc:
        exc.under(*prefix)
        raise


def _body(items: list[dict[str, Any]]) -> dict[str, Any]:
    message = "; ".join(
        f"{'.'.join(str(p) for p in item['loc'][_skip(item['loc']) :])}: {item['msg']}".lstrip(
            ": "
        )
        for item in items
    )
    return {"message": message, "detail": items}


def _skip(loc: list[Any]) -> int:
    """Leave out where a field came from (body, path, query) when naming it for people."""
    return 1 if loc and loc[0] in ("body", "path", "query") else 0


def error_response(request: Request, status: int, items: list[dict[str, Any]]) -> Response:
    """JSON under /api, an HTML error page elsewhere."""
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(_body(items), status_code=status, headers=headers)
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": _body(items)["message"]}, status
    )


async def _validation(request: Request, exc: RequestValidationError) -> Response:
    # Keep loc, msg and type: echoing `input` back could return megabytes of the request.
    items = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return error_response(request, 422, items)


async def _field(request: Request, exc: FieldError) -> Response:
    return error_response(
        request, exc.status, [{"loc": exc.loc, "msg": exc.msg, "type": "value_error"}]
    )


_SOURCES = ("body", "path", "query", "header")


async def _problem(request: Request, exc: Problem) -> Response:
    loc = list(exc.loc) if exc.loc and exc.loc[0] in _SOURCES else ["body", *exc.loc]
    return error_response(request, 422, [{"loc": loc, "msg": exc.problem, "type": "value_error"}])


async def _not_found(request: Request, exc: NotFound) -> Response:
    loc = ["path", f"{exc.kind}_id"]
    return error_response(request, 404, [{"loc": loc, "msg": str(exc), "type": "not_found"}])


async def _conflict(request: Request, exc: Conflict) -> Response:
    return error_response(request, 409, [{"loc": [], "msg": str(exc), "type": "conflict"}])


async def _database(request: Request, exc: DBAPIError) -> Response:
    # The database is down, locked past the busy timeout, or its disk is full: say so, and
    # that trying again later makes sense, instead of a bare 500.
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
    item = {"loc": [], "msg": f"the database is unavailable: {reason}", "type": "unavailable"}
    response = error_response(request, 503, [item])
    response.headers["Retry-After"] = "5"
    return response


async def _http(request: Request, exc: StarletteHTTPException) -> Response:
    item = {"loc": [], "msg": str(exc.detail), "type": f"http_{exc.status_code}"}
    return error_response(request, exc.status_code, [item])


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(FieldError, _field)  # type: ignore[arg-type]
    app.add_exception_handler(Problem, _problem)  # type: ignore[arg-type]
    app.add_exception_handler(NotFound, _not_found)  # type: ignore[arg-type]
    app.add_exception_handler(Conflict, _conflict)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _database)  # type: ignore[arg-type]
    app.add_exception_handler(InterfaceError, _database)  # type: ignore[arg-type]
