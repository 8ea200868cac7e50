"""Reading an import document: each reader checks one JSON value and names its path on error."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from app.core.problems import Loc, Problem
from app.core.space import SearchSpace, SpaceError

E = TypeVar("E", bound=StrEnum)
MAX_ID = 2**63 - 1
FORMAT = "hyperzoom-experiment"
VERSION = 1  # the document format's version this code reads and writes


class DocumentError(Problem):
    """An import document is invalid; `loc` is the JSON path of the offending value."""

    def text(self) -> str:
        """`searches[1].space: why`."""
        return f"{json_path(self.loc)}: {self.problem}" if self.loc else self.problem


def json_path(loc: Sequence[str | int]) -> str:
    """`("searches", 1, "space")` as `searches[1].space`."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    return text.lstrip(".")


def read_object(value: Any, loc: Loc) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DocumentError(loc, "must be a JSON object")
    return value


def read_list(value: Any, loc: Loc) -> list[Any]:
    if not isinstance(value, list):
        raise DocumentError(loc, "must be a JSON array")
    return value


def check_keys(item: Mapping[str, Any], loc: Loc, expected: set[str]) -> None:
    for key in item:
        if key not in expected:
            raise DocumentError((*loc, key), f"is not a field of a version {VERSION} document")
    for key in sorted(expected):
        if key not in item:
            raise DocumentError((*loc, key), "is missing")


def read_text(value: Any, loc: Loc, max_length: int | None, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not (optional or value):
        raise DocumentError(loc, "must be a non-empty string")
    if max_length is not None and len(value) > max_length:
        raise DocumentError(loc, f"must be at most {max_length} characters")
    return value


def read_int(value: Any, loc: Loc, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DocumentError(loc, "must be an integer")
    if not low <= value <= high:
        raise DocumentError(loc, f"must be between {low} and {high}")
    return value


def read_number(value: Any, loc: Loc) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocumentError(loc, "must be a number or null")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise DocumentError(loc, "must be finite (NaN and infinities are stored as null)")
    return number


def read_choice(kind: type[E], value: Any, loc: Loc) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise DocumentError(loc, f"must be one of: {allowed}") from None


def read_time(value: Any, loc: Loc, optional: bool = True) -> datetime | None:
    if value is None and optional:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise DocumentError(loc, "must be an ISO 8601 date and time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_space(value: Any, loc: Loc) -> SearchSpace:
    try:
        return SearchSpace.from_dict(value)
    except SpaceError as exc:
        raise DocumentError((*loc, *exc.loc), exc.problem) from exc


def read_json_object(value: Any, loc: Loc) -> dict[str, Any] | None:
    if value is None:
        return None
    check_finite(read_object(value, loc), loc)
    return value


def check_finite(value: Any, loc: Loc) -> None:
    """Refuse NaN and infinities anywhere inside: no database keeps them in JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        raise DocumentError(loc, "NaN and infinite numbers are not allowed")
    if isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_finite(item, (*loc, i))


# --- CSV ---------------------------------------------------------------------------------------
