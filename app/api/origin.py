"""Refuse what a browser sends on another site's behalf, before any route runs.

- A Host header that does not name this server (400): a page on `rebound.example`, whose DNS
  later points at 127.0.0.1 (DNS rebinding), would otherwise read and write as same-origin.
  Allowed: loopback names, the address the connection came in on, HYPERZOOM_ALLOWED_HOSTS.
- A cross-site request that changes state (403): a form or a `no-cors` fetch needs no CORS
  preflight, so without this any page could POST to http://127.0.0.1:8000. As in Go's
  CrossOriginProtection: Sec-Fetch-Site decides when the browser sends it, else Origin must
  match Host; requests with neither (curl, httpx, the CLI, remote workers) are not browsers'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAME_ORIGIN_FETCHES = frozenset({"same-origin", "none"})  # "none": typed in the address bar


class SameOrigin:
    """ASGI middleware: the Host check for every request, the cross-site check for writes."""

    def __init__(
        self, app: ASGIApp, allowed_hosts: Iterable[str], trusted_origins: Iterable[str]
    ) -> None:
        self.app = app
        self.allowed_hosts = [h.lower().rstrip(".") for h in allowed_hosts]
        self.trusted_origins = set(trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host")
        if host is not None and not self.host_allowed(host, scope):
            shown = host if len(host) <= 100 else host[:100] + "…"
            msg = f"the Host header {shown!r} does not name this server: if it is one of its "
            msg += "names, add it to HYPERZOOM_ALLOWED_HOSTS"
            await _refuse(send, 400, ["header", "host"], msg, "host_not_allowed")
        elif scope["method"] not in SAFE_METHODS and self.cross_site(headers):
            msg = "refused a request from a page on another site: it cannot change this server "
            msg += "(list origins you trust in HYPERZOOM_CORS_ORIGINS)"
            await _refuse(send, 403, ["header", "origin"], msg, "cross_site")
        else:
            await self.app(scope, receive, send)

    def host_allowed(self, host: str, scope: Scope) -> bool:
        """Loopback, the address this connection reached, or a name the operator listed."""
        name = host_name(host)
        server = scope.get("server")
        if name in LOOPBACK_NAMES or (server and name == str(server[0]).lower()):
            return True
        return any(_matches(name, pattern) for pattern in self.allowed_hosts)

    def cross_site(self, headers: Headers) -> bool:
        """Whether a browser sent this from a page of another origin that is not trusted."""
        origin = headers.get("origin")
        if origin is not None and (origin in self.trusted_origins or "*" in self.trusted_origins):
            return False
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:  # set by the browser; no page can forge it
            return fetch_site not in SAME_ORIGIN_FETCHES
        if origin is None:  # not a browser, or one too old to send Origin on a POST
            return False
        return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


def host_name(host: str) -> str:
    """The name in a Host header, lower-case, without port or trailing dot: `[::1]:80` → `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _matches(name: str, pattern: str) -> bool:
    """Django's rules: `*` is any name, `.example.com` is it and its subdomains."""
    if pattern == "*":
        return True
    if pattern.startswith("."):
        return name == pattern[1:] or name.endswith(pattern)
    return name == host_name(pattern)


async def _refuse(send: Send, status: int, loc: list[str], msg: str, kind: str) -> None:
    """The API's one error shape, sent before the app (or its error handlers) runs."""
    item = {"loc": loc, "msg": msg, "type": kind}
    body = json.dumps({"message": msg, "detail": [item]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
