"""Request dependencies: a database session per request, settings, the API token check."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from app.objectives import ObjectiveSpec
from app.settings import Settings
from app.store.db import session_scope
from app.store.objectives import registered_objectives


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the route returns normally."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


def get_objectives(
    request: Request, session: Annotated[Session, Depends(get_session, scope="function")]
) -> dict[str, ObjectiveSpec]:
    """The objectives this server accepts experiments for: its own and its workers'."""
    found = {spec.name: spec for spec in registered_objectives(session)}
    return {**found, **request.app.state.objectives}


def require_read_token(request: Request) -> None:
    """Like `require_token`, for reads, when the operator asked to protect them too."""
    if request.app.state.settings.protect_reads:
        require_token(request)


def require_token(request: Request) -> None:
    """Refuse the request unless auth is off or it carries the configured bearer token."""
    expected = request.app.state.settings.token_value
    if expected is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this server needs an API token: send `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )


# scope="function": commit before the response is sent. With the default ("request") FastAPI
# commits after sending, so a client's next request could miss what it was just told exists.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ObjectivesDep = Annotated[dict[str, ObjectiveSpec], Depends(get_objectives)]
Authorized = Depends(require_token)
ReadAuthorized = Depends(require_read_token)
