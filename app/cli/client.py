"""The CLI's view of the REST API: JSON calls over any httpx client, so a server over HTTP and
the app in-process (app/cli/experiments.py builds that one) give the same answers and errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any

import httpx


class ApiError(RuntimeError):
    """The API refused a call; the message is the server's own, and `status` and `detail`
    (the `[{"loc", "msg", "type"}]` of the one error shape) say what was refused, when known."""

    def __init__(
        self, message: str, status: int | None = None, detail: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.detail = status, detail or []


class Client(AbstractContextManager["Client"]):
    """A thin JSON client; `request` raises ApiError on any 4xx or 5xx."""

    def __init__(self, http: httpx.Client, where: str) -> None:
        self.http, self.where = http, where

    @classmethod
    def to_server(cls, server: str, token: str | None) -> Client:
        """Over HTTP to `server`, sending `token` if there is one."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        http = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=30)
        return cls(http, server)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the API; the response, or ApiError with the server's message."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach {self.where}: {exc}") from exc
        if response.status_code >= 400:
            self._refuse(response)
        return response

    @staticmethod
    def _refuse(response: httpx.Response) -> None:
        detail: list[dict[str, Any]] = []
        try:
            body = response.json()
            message = body.get("message") or response.text
            detail = [d for d in body.get("detail") or [] if isinstance(d, dict)]
        except (ValueError, AttributeError, TypeError):
            message = response.text[:300]
        raise ApiError(f"{message} (HTTP {response.status_code})", response.status_code, detail)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API; the decoded JSON answer, or None for 204."""
        response = self.send(method, path, **kwargs)
        return None if response.status_code == 204 else response.json()

    @contextmanager
    def download(self, path: str) -> Iterator[Iterator[bytes]]:
        """GET an answer as it arrives (an export can be larger than memory): ApiError before
        the first byte if it is refused, or if the connection fails on the way."""
        try:
            with self.http.stream("GET", path) as response:
                if response.status_code >= 400:
                    response.read()
                    self._refuse(response)
                yield response.iter_bytes()
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach {self.where}: {exc}") from exc

    def upload(self, path: str, chunks: Iterator[bytes]) -> Any:
        """POST a JSON body as it is read (chunked: the server reads it as a stream, so its
        size is not bound by memory on either side); the decoded answer. The read timeout
        is long: the server answers only once it has written the last trial."""
        timeout = httpx.Timeout(30.0, read=600.0)
        headers = {"Content-Type": "application/json"}
        return self.request("POST", path, content=chunks, headers=headers, timeout=timeout)

    def get(self, path: str, **params: Any) -> Any:
        """GET with query parameters."""
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body."""
        return self.request("POST", path, json=body)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if hasattr(self.http, "__exit__"):
            self.http.__exit__(kind, exc, tb)
        else:
            self.http.close()
