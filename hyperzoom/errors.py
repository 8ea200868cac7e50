"""The one exception the Python API raises for what the server or database refused."""

from __future__ import annotations

from typing import Any

# Where a field sat in the REST request, which the Python call does not have: create_search
# takes the search's fields as keyword arguments, not under "search".
_REQUEST_PARTS = ("body", "path", "query", "header")
_NESTED = ("search",)


class HyperzoomError(ValueError):
    """A call was refused: a bad space, region or option, an unknown search, a wrong token.

    The message names the argument at fault (`space.lr.low: ...`), as the REST API's
    `detail` does; `status` is the HTTP status it maps to and `detail` the API's own list of
    `{"loc", "msg", "type"}` problems. A ValueError, so `except ValueError` catches bad input.
    """

    def __init__(
        self, message: str, status: int | None = None, detail: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.detail = status, detail or []


def argument(loc: list[Any]) -> str:
    """A REST `loc` as the Python argument it came from: ["body", "search", "n_trials"] is
    `n_trials`, ["body", "space", "lr", "low"] is `space.lr.low`."""
    parts = list(loc)
    if parts and parts[0] in _REQUEST_PARTS:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _NESTED:
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


def refused(message: str, status: int | None, detail: list[dict[str, Any]]) -> HyperzoomError:
    """The error for an API refusal: one `argument: problem` per item, else the message."""
    items = [
        f"{argument(d.get('loc') or [])}: {d.get('msg')}".lstrip(": ")
        for d in detail
        if d.get("msg")
    ]
    return HyperzoomError("; ".join(items) or message, status, detail)
