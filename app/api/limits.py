"""Request body checks before the app sees a body: one larger than the setting is refused with
a 413 before it is read into memory (whether it declares its length or streams), and JSON with
text that is not unicode (a lone surrogate escape such as "\\ud800", which no database or
JSON encoder can store or send back) is refused with a 422."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A high surrogate escape not followed by a low one, or a low one not preceded by a high one.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class BodyTooLarge(Exception):
    """The body passed the limit while being read."""


class BodyLimit:
    """ASGI middleware: `max_bytes` per request body, and no lone surrogates in it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._answer(
                send, 413, f"the request body is larger than {self.max_bytes} bytes"
            )
            return
        try:
            body = await self._read(receive)
        except BodyTooLarge:
            await self._answer(
                send, 413, f"the request body is larger than {self.max_bytes} bytes"
            )
            return
        if _LONE_SURROGATE.search(body):
            await self._answer(
                send, 422, "the body holds text that is not unicode (a lone surrogate)"
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # a disconnect, as the app may wait for one
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes:
        chunks, seen = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _answer(self, send: Send, status: int, message: str) -> None:
        kind = "too_large" if status == 413 else "unicode_error"
        item: dict[str, Any] = {"loc": ["body"], "msg": message, "type": kind}
        body = json.dumps({"message": message, "detail": [item]}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
