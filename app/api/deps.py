"""The API's own request dependencies: settings, the objectives, the default reaping policy,
the token checks (an admin token for everything, a worker token for the worker protocol and
reads). The session and ids that pages take too are in app/serving.py."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, NoReturn

from fastapi import Depends, HTTPException, Request, Response, status

from app.api.errors import error_response
from app.objectives import ObjectiveSpec
from app.serving import SessionDep
from app.settings import Settings, TokenUnavailable, read_secret
from app.store.objectives import registered_objectives
from app.store.searches import Reaping

log = logging.getLogger("hyperzoom.auth")
ADMIN, WORKER = "admin", "worker"


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_objectives(request: Request, session: SessionDep) -> dict[str, ObjectiveSpec]:
    """The objectives this server accepts experiments for: its own and its workers'."""
    found = {spec.name: spec for spec in registered_objectives(session)}
    return {**found, **request.app.state.objectives}


class Refused(Exception):
    """The request's token does not allow it, or cannot be checked right now."""

    def __init__(self, status_code: int, kind: str, msg: str) -> None:
        self.status_code, self.kind, self.msg = status_code, kind, msg
        super().__init__(msg)


async def refused_response(request: Request, exc: Refused) -> Response:
    """A refusal in the API's one error shape; a 503 says when to try again."""
    loc = [] if exc.status_code == 503 else ["header", "authorization"]  # 503: not the caller's
    item = {"loc": loc, "msg": exc.msg, "type": exc.kind}
    response = error_response(request, exc.status_code, [item])
    if exc.status_code == 503:
        response.headers["Retry-After"] = "5"
    return response


def require_read_token(request: Request) -> None:
    """Any token may read, when the operator asked to protect reads too."""
    if request.app.state.settings.protect_reads:
        _authorize(request, {ADMIN, WORKER})


def require_worker_token(request: Request) -> None:
    """The worker protocol: the worker token or the admin token."""
    _authorize(request, {ADMIN, WORKER})


def require_token(request: Request) -> None:
    """Everything else that changes state: the admin token only."""
    _authorize(request, {ADMIN})


def _authorize(request: Request, scopes: set[str]) -> None:
    """Let the request through if auth is off or its bearer token is one of `scopes`'.

    Fails closed: a configured token file that is missing or empty refuses (503) instead of
    meaning "no token", and a server with only a worker token refuses admin calls."""
    settings: Settings = request.app.state.settings
    if not settings.auth_enabled:
        return
    sources = {ADMIN: (settings.token, settings.token_file)}
    sources[WORKER] = (settings.worker_token, settings.worker_token_file)
    given = _bearer(request)
    held, broken = set(), []
    for scope, (value, path) in sources.items():
        try:
            secret = read_secret(value, path)
        except TokenUnavailable as exc:
            broken.append((scope, exc))
            continue
        if secret is not None and given is not None and _same(given, secret):
            held.add(scope)
    if held & scopes:
        return
    _refuse(request, scopes, held, broken)


def _refuse(
    request: Request, scopes: set[str], held: set[str], broken: list[tuple[str, TokenUnavailable]]
) -> NoReturn:
    """The most useful refusal: unavailable, not configured, wrong scope, or no token."""
    settings: Settings = request.app.state.settings
    if broken:
        for scope, exc in broken:
            log.error("refusing %s %s: %s token: %s", request.method, request.url.path, scope, exc)
        reasons = "; ".join(
            f"the server's {scope} token file {exc.reason}" for scope, exc in broken
        )
        raise Refused(503, "token_unavailable", f"{reasons}: try again once it holds the token")
    if scopes == {ADMIN} and not settings.admin_token_configured:
        raise Refused(
            403,
            "insufficient_scope",
            "admin calls are off: this server has a worker token but no admin token "
            "(set HYPERZOOM_TOKEN or HYPERZOOM_TOKEN_FILE)",
        )
    if held:
        raise Refused(
            403, "insufficient_scope", "a worker token cannot do this: it needs the admin token"
        )
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "this server needs an API token: send `Authorization: Bearer <token>`",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _bearer(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, if any."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" and given.strip() else None


def _same(given: str, secret: str) -> bool:
    """Constant-time comparison, so timing does not reveal how much of a guess was right."""
    return hmac.compare_digest(given.encode(), secret.encode())


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_default_policy(request: Request) -> Reaping:
    """The reaping policy of a search made here without one: the server's settings."""
    settings = request.app.state.settings
    return Reaping(settings.heartbeat_timeout, settings.max_retries)


DefaultPolicy = Annotated[Reaping, Depends(get_default_policy)]
ObjectivesDep = Annotated[dict[str, ObjectiveSpec], Depends(get_objectives)]
Authorized = Depends(require_token)
WorkerAuthorized = Depends(require_worker_token)
ReadAuthorized = Depends(require_read_token)
