"""What the JSON routes (app/api) and the HTML pages (app/web) both take from a request: a
database session, and ids in the path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from app.store.db import session_scope

MAX_ID = 2**63 - 1  # ids are 64-bit in every database we support
ExperimentId = Annotated[int, Path(ge=1, le=MAX_ID)]
SearchId = Annotated[int, Path(ge=1, le=MAX_ID)]
TrialId = Annotated[int, Path(ge=1, le=MAX_ID)]


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the route returns normally."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


# scope="function": commit before the response is sent. With the default ("request") FastAPI
# commits after sending, so a client's next request could miss what it was just told exists.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
