"""Where a worker gets trials and sends results: the database itself, or a server over HTTP
for machines that cannot reach the database. Both speak the same ask / report / heartbeat /
tell / release protocol."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import asdict
from typing import Any, Protocol

import httpx
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from app.objectives import ObjectiveSpec
from app.store import claims, recovery, results
from app.store.claims import Claim
from app.store.db import session_scope
from app.store.errors import Conflict, NotFound
from app.store.models import Direction
from app.store.objectives import register_objectives
from app.store.reaper import reap_all
from app.worker.trial import Outcome

log = logging.getLogger("hyperzoom.worker")


class ServerError(RuntimeError):
    """The server refused a call or cannot be reached; `retryable` when the same call may
    succeed later (unreachable, overloaded, down, or the token refused mid-rotation)."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


# Answers after which the same request may succeed: any other 4xx or a 500 refuses what was
# sent, and sending it again would only wait forever.
_RETRY_STATUS = frozenset({401, 403, 408, 425, 429, 502, 503, 504})
# The database is down, restarting, locked past the busy timeout, full, or read-only for now.
_RETRY_ERRORS = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
    ConnectionError,
)


def retryable(exc: BaseException) -> bool:
    """Whether a call that raised `exc` may succeed if made again later (the network, a lock,
    an outage), rather than being refused for what it sends (a result the database or the
    server cannot store)."""
    if isinstance(exc, ServerError):
        return exc.retryable
    return isinstance(exc, _RETRY_ERRORS)


class Backend(Protocol):
    """The worker protocol."""

    def register(self, specs: Iterable[ObjectiveSpec], worker: str) -> None:
        """Tell the server which objectives this worker runs."""

    def ask(self, objectives: Collection[str], worker: str) -> Claim | None:
        """Claim the next trial, or None."""

    def report(self, claim: Claim, step: int, value: float) -> bool:
        """Store an intermediate value; True means prune."""

    def heartbeat(self, claim: Claim) -> bool:
        """Keep the trial alive; False means it was given up."""

    def tell(self, claim: Claim, outcome: Outcome) -> bool:
        """Record the result; False when the attempt was superseded."""

    def release(self, claim: Claim) -> None:
        """Give the trial back unfinished."""

    def reap(self) -> list[int]:
        """Recover trials whose workers stopped heartbeating (by each search's policy)."""

    def close(self) -> None:
        """Release connections."""


class DatabaseBackend:
    """Talks to the database directly, one short transaction per call; with `search_id`, asks
    only for that search's trials."""

    def __init__(self, factory: sessionmaker[Session], *, search_id: int | None = None) -> None:
        self.factory, self.search_id = factory, search_id

    def register(self, specs: Iterable[ObjectiveSpec], worker: str) -> None:
        with session_scope(self.factory) as s:
            register_objectives(s, specs, worker)

    def ask(self, objectives: Collection[str], worker: str) -> Claim | None:
        with session_scope(self.factory) as s:
            return claims.ask(s, objectives=objectives, worker=worker, search_id=self.search_id)

    def report(self, claim: Claim, step: int, value: float) -> bool:
        try:
            with session_scope(self.factory) as s:
                return results.report(s, claim.trial_id, claim.ticket, step, value)
        except Conflict:
            return True  # given up meanwhile: stop working on it

    def heartbeat(self, claim: Claim) -> bool:
        with session_scope(self.factory) as s:
            return results.heartbeat(s, claim.trial_id, claim.ticket)

    def tell(self, claim: Claim, outcome: Outcome) -> bool:
        try:
            with session_scope(self.factory) as s:
                results.tell(s, claim.trial_id, ticket=claim.ticket, **vars(outcome))
        except (Conflict, NotFound) as exc:  # superseded, or its experiment was deleted
            log.warning("result of trial %s dropped: %s", claim.trial_id, exc)
            return False
        return True

    def release(self, claim: Claim) -> None:
        with session_scope(self.factory) as s:
            recovery.release(s, claim.trial_id, claim.ticket)

    def reap(self) -> list[int]:
        return reap_all(self.factory)

    def close(self) -> None:
        self.factory.kw["bind"].dispose()


class HttpBackend:
    """Talks to a Hyperzoom server's /api/trials endpoints (bearer token if it needs one);
    with `search_id`, asks only for that search's trials."""

    def __init__(
        self,
        server: str,
        token: str | None = None,
        timeout: float = 30,
        *,
        search_id: int | None = None,
    ) -> None:
        self.search_id = search_id
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=timeout)

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self.client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise ServerError(f"cannot reach {self.client.base_url}: {exc}") from exc
        if response.status_code >= 400 and response.status_code not in (404, 409):
            try:
                message = response.json().get("message")
            except ValueError:
                message = response.text[:200]
            raise ServerError(
                f"{path}: HTTP {response.status_code}: {message}",
                retryable=response.status_code in _RETRY_STATUS,
            )
        return response

    def register(self, specs: Iterable[ObjectiveSpec], worker: str) -> None:
        body = {"worker": worker, "objectives": [_spec_json(s) for s in specs]}
        self._post("/api/objectives/register", body)

    def ask(self, objectives: Collection[str], worker: str) -> Claim | None:
        body: dict[str, Any] = {"worker": worker, "objectives": list(objectives)}
        if self.search_id is not None:
            body["search_id"] = self.search_id
        response = self._post("/api/trials/ask", body)
        if response.status_code == 204:
            return None
        data = response.json()
        return Claim(**{**data, "direction": Direction(data["direction"])})

    def report(self, claim: Claim, step: int, value: float) -> bool:
        body = {"ticket": claim.ticket, "step": step, "value": value}
        response = self._post(f"/api/trials/{claim.trial_id}/report", body)
        return response.status_code in (404, 409) or bool(response.json()["prune"])

    def heartbeat(self, claim: Claim) -> bool:
        body = {"ticket": claim.ticket}
        return self._post(f"/api/trials/{claim.trial_id}/heartbeat", body).status_code == 204

    def tell(self, claim: Claim, outcome: Outcome) -> bool:
        body = {"ticket": claim.ticket, **asdict(outcome)}
        response = self._post(f"/api/trials/{claim.trial_id}/tell", body)
        if response.status_code in (404, 409):
            log.warning("result of trial %s dropped: %s", claim.trial_id, response.text)
            return False
        return True

    def release(self, claim: Claim) -> None:
        self._post(f"/api/trials/{claim.trial_id}/release", {"ticket": claim.ticket})

    def reap(self) -> list[int]:
        return []  # the server reaps

    def close(self) -> None:
        self.client.close()


def _spec_json(spec: ObjectiveSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "direction": spec.direction,
        "description": spec.description,
        "space": spec.space,
    }
