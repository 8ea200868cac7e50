"""Request body checks before the app sees a body: one larger than the setting is refused with
a 413 before it is read into memory (whether it declares its length or streams); bodies being
buffered at once share one budget per process (a 503 with Retry-After beyond it, so stalled
uploads cannot take the server's memory); a body that stops arriving gets a 408; and JSON with
text that is not unicode (a lone surrogate escape such as "\\ud800", which no database or
JSON encoder can store or send back) is refused with a 422, off the event loop when large.

A route that reads its body as a stream (the import: a document of any size, read a trial at
a time) is named in `streamed` with a limit of its own: its body passes through unbuffered,
counted as it goes (a 413 past the limit, a 408 when it stops arriving), and the route checks
the text itself."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_HIGH = rb"u[dD][89abAB][0-9a-fA-F]{2}"
_LOW = rb"u[dD][c-fC-F][0-9a-fA-F]{2}"
_SURROGATE = rb"u[dD][89a-fA-F][0-9a-fA-F]{2}"
# JSON read from the left, a bounded number of tokens per call (so a thread running the check
# lets the event loop have the GIL between calls): every backslash opens an escape, so
# `\\udcff` is a backslash and text. Consumes plain text and every escape except a surrogate
# that is not half of a pair; a match that consumes nothing stops at the lone one.
_TOKENS = re.compile(
    rb"(?:[^\\]{1,256}+|\\(?:" + _HIGH + rb"\\" + _LOW + rb"|(?!" + _SURROGATE + rb")[\s\S]))"
    rb"{0,4096}+"
)
_LONE = re.compile(rb"\\" + _SURROGATE)
_MAYBE = re.compile(rb"\\u[dD][89a-fA-F]")  # 4 bytes: what any surrogate escape starts with
_SLICE = 1024 * 1024  # bytes per search call, for the same reason as the token limit
_INLINE = 64 * 1024  # smaller bodies are checked on the event loop (well under a millisecond)


def lone_surrogate(body: bytes) -> bool:
    """Whether the JSON text `body` holds a surrogate escape that is not half of a pair."""
    if not _maybe_surrogate(body):
        return False
    pos, end = 0, len(body)
    while pos < end:
        after = _TOKENS.match(body, pos).end()  # type: ignore[union-attr]
        if after == pos:  # a backslash that opens no token: a lone surrogate, or the end
            return _LONE.match(body, pos) is not None
        pos = after
    return False


def _maybe_surrogate(body: bytes) -> bool:
    """Whether anything in `body` looks like a surrogate escape (most bodies hold none: then
    there is nothing to read token by token)."""
    for start in range(0, len(body), _SLICE):
        if _MAYBE.search(body, start, start + _SLICE + 3):
            return True
    return False


class BodyRefused(Exception):
    """The body cannot be taken: `status` and why."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


class BodyLimit:
    """ASGI middleware: `max_bytes` per request body, `max_buffered` bytes of bodies held at
    once, `timeout` seconds of silence while a body arrives, no lone surrogates in it; POSTs
    to a path of `streamed` get its limit and reach the route unread."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_buffered: int | None = None,
        timeout: float = 30,
        streamed: Mapping[str, int] | None = None,
    ) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout
        self.streamed = dict(streamed or {})
        # At least one largest body always fits, whatever the setting.
        self.max_buffered = max(max_buffered or max_bytes, max_bytes)
        self.buffered = 0  # bytes reserved by the bodies being read or handled now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.streamed.get(scope["path"]) if scope["method"] == "POST" else None
        if limit is not None:
            await self._stream(scope, receive, send, limit)
            return
        reserved = 0
        try:
            reserved = self._reserve(_declared(scope))
            body, reserved = await self._read(receive, reserved)
            if await _check_off_loop(body):
                raise BodyRefused(
                    422, "the body holds text that is not unicode (a lone surrogate)"
                )
            await self.app(scope, _replay(body, receive), send)
        except BodyRefused as refused:
            await _answer(send, refused.status, refused.message)
        except ClientGone:
            return
        finally:
            self.buffered -= reserved

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Hand the app the body as it arrives, counted against `limit`. A refusal raised
        while the route reads is answered here (the route's transaction rolls back on its
        way out); a client gone mid-body ends the request without an answer."""
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            if _declared(scope) > limit:
                raise BodyRefused(413, f"the request body is larger than {limit} bytes")
            await self.app(scope, self._counted(receive, limit), sending)
        except BodyRefused as refused:
            if started:
                raise
            await _answer(send, refused.status, refused.message)
        except ClientGone:
            return

    def _counted(self, receive: Receive, limit: int) -> Receive:
        """A receive that counts the body's bytes, refusing past `limit` or on silence."""
        seen, done = 0, False

        async def counted() -> Message:
            nonlocal seen, done
            if done:
                return await receive()  # a disconnect, as the app may wait for one
            message = await self._receive(receive)
            if message["type"] == "http.disconnect":
                raise ClientGone()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyRefused(413, f"the request body is larger than {limit} bytes")
            done = not message.get("more_body", False)
            return message

        return counted

    def _reserve(self, size: int) -> int:
        """Take `size` bytes of the shared budget, or refuse the request for now."""
        if size > self.max_bytes:
            raise BodyRefused(413, f"the request body is larger than {self.max_bytes} bytes")
        if size and self.buffered + size > self.max_buffered:
            raise BodyRefused(503, "the server is busy reading other request bodies; retry soon")
        self.buffered += size
        return size

    async def _read(self, receive: Receive, reserved: int) -> tuple[bytes, int]:
        """The whole body, reserving more of the budget if it outgrows what was declared."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await self._receive(receive)
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                raise BodyRefused(413, f"the request body is larger than {self.max_bytes} bytes")
            if seen > reserved:
                reserved += self._reserve(seen - reserved)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), reserved

    async def _receive(self, receive: Receive) -> Message:
        """The next part of the body, or a 408 after `timeout` seconds without one."""
        with anyio.move_on_after(self.timeout):
            return await receive()
        raise BodyRefused(408, f"the request body stopped arriving for {self.timeout:g} s")


def _declared(scope: Scope) -> int:
    """The Content-Length the request declares (0 when it streams or declares nothing)."""
    declared = dict(scope.get("headers", [])).get(b"content-length", b"")
    return int(declared) if declared.isdigit() else 0


async def _check_off_loop(body: bytes) -> bool:
    """`lone_surrogate`, in a thread for a large body: 10 MB of escapes take 0.1-0.2 s."""
    if len(body) <= _INLINE:
        return lone_surrogate(body)
    return await anyio.to_thread.run_sync(lone_surrogate, body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then waits on the client."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # a disconnect, as the app may wait for one
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


_KINDS = {408: "timeout", 413: "too_large", 422: "unicode_error", 503: "unavailable"}


async def _answer(send: Send, status: int, message: str) -> None:
    """The refusal in the API's one error shape; a 503 says when to come back."""
    item: dict[str, Any] = {"loc": ["body"], "msg": message, "type": _KINDS[status]}
    body = json.dumps({"message": message, "detail": [item]}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
