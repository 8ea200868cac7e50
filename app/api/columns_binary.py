"""The trials' columns as typed arrays, for the page: what GET .../trials/columns answers as JSON,
packed so that the browser reads it with TypedArray views and no parsing per trial.

A million trials are 96 MB of JSON, which the server spent seconds building (and held whole,
with a million Python lists' cells behind it) and the browser seconds parsing. The answer is
packed from the process's kept columns (app/store/column_cache, `pack_selection`: no Python
object per trial); an experiment not kept is read batch by batch, each batch packed into numpy
arrays at once and let go (`pack`). Either way the arrays are sent as they are.

The answer (MEDIA_TYPE): the bytes `HZC1`, the header's length (uint32, little-endian), the
header (UTF-8 JSON), zero bytes up to a multiple of 8, then the body. The header:

    {"n": trials, "cursor": ..., "metrics_omitted": ..., "notes": {"id": text},
     "columns": {"id": COLUMN, "search_id", "number", "state", "value", "duration"},
     "params": {name: COLUMN}, "metrics": {name: COLUMN}}

and a COLUMN is `{"dtype": "int8" | "int16" | "int32" | "float32" | "float64", "offset": o}`,
`n` little-endian values of that type at byte `o` of the body (a multiple of 8); `cursor` is
the JSON answer's (the experiment's change number as of the read: see TrialColumns). With
`"values": [...]` it is dictionary-encoded: cell i is `values[code]`, code -1 being null (text,
booleans, categories, nested JSON, numbers that would not fit a float exactly). A float column
holds NaN where the JSON answer holds null (which is also where that answer holds NaN or an
infinity: JSON has neither). Integers go in the narrowest integer type that holds them all,
floats in float32 only when every value survives the round trip exactly; otherwise float64.
Names and values are mended as the JSON answer mends them (app.api.views, app.core.values).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
from fastapi.responses import Response, StreamingResponse
from pydantic_core import to_json

from app.core.values import MAX_DEPTH, clean_json
from app.store.column_cache import CODED, FLOAT, INT, STATES, Named, Selection
from app.store.trial_reads import TrialColumns

MEDIA_TYPE = "application/vnd.hyperzoom.columns"
MAGIC = b"HZC1"
_FLOAT_EXACT = 2**53  # integers beyond this are not all floats
_NUMBER = frozenset({int, float, type(None)})
# What OpenAPI says of the binary answer, next to the JSON one.
OPENAPI: dict[str, Any] = {
    "description": "The columns: JSON (TrialColumns), or with `Accept: "
    f"{MEDIA_TYPE}` the same columns as typed arrays (a JSON header, then little-endian "
    "int8/int16/int32/float32/float64 arrays; see app/api/columns_binary.py).",
    "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
}
_INTS = ((np.int8, "int8"), (np.int16, "int16"), (np.int32, "int32"))


def wants_binary(accept: str | None) -> bool:
    """Whether to answer binary columns: the Accept header names them (only a client that
    asks for them by name gets them) with a q above 0 and no lower than JSON's (RFC 9110: the
    most specific range that matches a type gives its q; parameter names in any case)."""
    ranges = [_media_range(item) for item in (accept or "").split(",")]
    binary = max((q for media, q in ranges if media == MEDIA_TYPE), default=0.0)
    return binary > 0 and binary >= _quality(ranges, "application/json")


def _media_range(item: str) -> tuple[str, float]:
    """(media range in lower case, q) of one item of an Accept header; a bad q refuses."""
    media, *params = (part.strip() for part in item.split(";"))
    q = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                q = 0.0
            q = q if 0.0 <= q <= 1.0 else 0.0
    return media.lower(), q


def _quality(ranges: list[tuple[str, float]], media: str) -> float:
    """The q the header gives `media`: from its most specific matching range, else 0."""
    kind = media.split("/")[0] + "/*"
    for candidate in (media, kind, "*/*"):
        found = [q for m, q in ranges if m == candidate]
        if found:
            return max(found)
    return 0.0


@dataclass
class _Column:
    """One column's cells, batch by batch: int64 or float64 arrays while every cell is a
    number, else dictionary codes. `start` cells before the first batch are null."""

    start: int
    pieces: list[tuple[str, np.ndarray]] = field(default_factory=list)
    dictionary: dict[Any, int] = field(default_factory=dict)
    values: list[Any] = field(default_factory=list)

    def add(self, cells: list[Any]) -> None:
        kinds = set(map(type, cells))
        if kinds == {int}:
            ints = _int64(cells)
            if ints is not None and -_FLOAT_EXACT <= ints.min() and ints.max() <= _FLOAT_EXACT:
                self.pieces.append(("i", ints))
                return
        elif kinds <= _NUMBER and (int not in kinds or _exact_ints(cells)):
            floats = np.array(cells, dtype=np.float64)  # None -> NaN
            floats[~np.isfinite(floats)] = np.nan  # JSON has null for NaN and infinities
            self.pieces.append(("f", floats))
            return
        self.pieces.append(("d", self._codes(cells, kinds)))

    def _codes(self, cells: list[Any], kinds: set[type]) -> np.ndarray:
        """Each cell's index in `values` (-1: null), new values appended. Text (and the
        states, a StrEnum) is looked up at C speed, a miss at a time in Python."""
        if len(kinds) == 1 and issubclass(next(iter(kinds)), str):
            codes = list(map(self.dictionary.get, cells))
            if None in codes:
                pairs = zip(cells, codes, strict=True)
                codes = [self._code(c) if code is None else code for c, code in pairs]
            return np.array(codes, dtype=np.int32)
        return np.array(list(map(self._code, cells)), dtype=np.int32)

    def _code(self, cell: Any) -> int:
        if cell is None or (type(cell) is float and not math.isfinite(cell)):
            return -1
        key = cell if isinstance(cell, str) else _key(cell)
        code = self.dictionary.get(key)
        if code is None:
            code = self.dictionary[key] = len(self.values)
            self.values.append(cell.value if isinstance(cell, Enum) else cell)
        return code

    def pack(self) -> tuple[dict[str, Any], np.ndarray]:
        """The column's header entry (without its offset) and its array."""
        if not self.pieces:
            return {"dtype": "int8"}, np.zeros(0, np.int8)  # no trials
        kinds = {kind for kind, _ in self.pieces}
        lead = [("f", np.full(self.start, np.nan))] if self.start else []
        if "d" in kinds:
            parts = [
                p if k == "d" else self._codes(p.tolist(), set()) for k, p in lead + self.pieces
            ]
            codes = np.concatenate(parts) if parts else np.zeros(0, np.int32)
            dtype, name = _narrowest(-1, len(self.values) - 1)
            values = [clean_json(v, MAX_DEPTH - 1) for v in self.values]  # as in a list
            return {"dtype": name, "values": values}, codes.astype(dtype)
        if kinds == {"i"} and not lead:
            ints = np.concatenate([p for _, p in self.pieces])
            low, high = (int(ints.min()), int(ints.max())) if len(ints) else (0, 0)
            dtype, name = _narrowest(low, high)
            if dtype is not None:
                return {"dtype": name}, ints.astype(dtype)
        floats = np.concatenate([p.astype(np.float64) for _, p in lead + self.pieces])
        narrow = floats.astype(np.float32)
        if np.array_equal(narrow.astype(np.float64), floats, equal_nan=True):
            return {"dtype": "float32"}, narrow
        return {"dtype": "float64"}, floats


def _exact_ints(cells: list[Any]) -> bool:
    """Whether every integer cell fits a float exactly."""
    return all(-_FLOAT_EXACT <= c <= _FLOAT_EXACT for c in cells if type(c) is int)


def _int64(cells: list[int]) -> np.ndarray | None:
    try:
        return np.array(cells, dtype=np.int64)
    except OverflowError:
        return None


def _key(value: Any) -> Any:
    """A dictionary key telling apart what == does not (1, 1.0, True; nested values)."""
    if type(value) in (int, float, bool):
        return (type(value), value)
    return ("json", json.dumps(value))


def _narrowest(low: int, high: int) -> tuple[Any, str]:
    for dtype, name in _INTS:
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return dtype, name
    return None, "float64"


@dataclass
class _Named:
    """The columns of params or metrics by name, in the order the names first appear."""

    columns: dict[str, _Column] = field(default_factory=dict)

    def add(self, named: dict[str, list[Any]], done: int, size: int) -> None:
        for name, cells in named.items():
            if name not in self.columns:
                self.columns[name] = _Column(start=done)
            self.columns[name].add(cells)
        for name, column in self.columns.items():
            if name not in named:
                column.add([None] * size)


@dataclass
class Packed:
    """The binary answer: its length, and its bytes in pieces (sent as they are)."""

    size: int
    chunks: list[bytes | memoryview]

    def __iter__(self) -> Iterator[bytes | memoryview]:
        return iter(self.chunks)

    def join(self) -> bytes:
        return b"".join(self.chunks)


FIXED = ("id", "search_id", "number", "state", "value", "duration")


def pack(batches: Iterable[TrialColumns], since: int = 0) -> Packed:
    """The binary answer for the store's batches (trial_reads.trial_column_batches)."""
    fixed = {name: _Column(start=0) for name in FIXED}
    params, metrics = _Named(), _Named()
    cursor, omitted, n = since, 0, 0
    notes: dict[int, str] = {}
    for batch in batches:
        size = len(batch.id)
        for name in FIXED:
            fixed[name].add(getattr(batch, name))
        params.add(batch.params, n, size)
        metrics.add(batch.metrics, n, size)
        notes.update(batch.notes)
        cursor, omitted, n = max(cursor, batch.cursor), batch.metrics_omitted, n + size
    groups = [
        {name: column.pack() for name, column in group.items()}
        for group in (fixed, params.columns, metrics.columns)
    ]
    return _assemble(n, cursor, omitted, notes, groups)


Packs = dict[str, tuple[dict[str, Any], np.ndarray]]  # name -> (header entry, array)


def _assemble(
    n: int, cursor: int, omitted: int, notes: dict[int, str], groups: list[Packs]
) -> Packed:
    """The answer's bytes: the header with each array's offset, then the arrays."""
    arrays: list[np.ndarray] = []

    def place(columns: Packs) -> dict[str, Any]:
        out = {}
        for name, (entry, array) in columns.items():
            entry["offset"] = sum(_aligned(a.nbytes) for a in arrays)
            arrays.append(array)
            out[clean_json(name)] = entry  # mended names, as the JSON answer's
        return out

    fixed, params, metrics = groups
    header = {
        "n": n,
        "cursor": cursor,
        "metrics_omitted": omitted,
        "notes": notes,
        "columns": place(fixed),
        "params": place(params),
        "metrics": place(metrics),
    }
    text = to_json(header, inf_nan_mode="null")
    chunks: list[bytes | memoryview] = [MAGIC, struct.pack("<I", len(text)), text]
    chunks.append(b"\0" * (_aligned(8 + len(text)) - 8 - len(text)))
    for array in arrays:
        data = array.astype(array.dtype.newbyteorder("<"), copy=False)
        chunks.append(memoryview(np.ascontiguousarray(data)).cast("B"))
        chunks.append(b"\0" * (_aligned(data.nbytes) - data.nbytes))
    return Packed(sum(len(c) for c in chunks), [c for c in chunks if len(c)])


def pack_selection(selection: Selection) -> Packed:
    """The binary answer for the kept columns (app/store/column_cache): the same bytes as
    `pack` of a read of those trials in one batch, made from the arrays (no Python object per
    trial). The arrays sent are new ones, never the kept arrays a later read changes."""
    if selection.n == 0:
        empty = {name: ({"dtype": "int8"}, np.zeros(0, np.int8)) for name in FIXED}
        return _assemble(0, selection.cursor, 0, {}, [empty, {}, {}])
    fixed: Packs = {name: _ints(selection.column(name)) for name in FIXED[:3]}
    states = selection.column("state").astype(np.int64)
    fixed["state"] = _coded(states, [state.value for state in STATES])
    fixed["value"] = _floats(selection.column("value"))
    fixed["duration"] = _floats(selection.column("duration"))
    groups = [
        fixed,
        {name: _named(selection, column) for name, column in selection.params.items()},
        {name: _named(selection, column) for name, column in selection.metrics.items()},
    ]
    return _assemble(selection.n, selection.cursor, 0, selection.notes, groups)


def _ints(ints: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Integers in the narrowest type holding them (float64 past int32, as `pack`)."""
    dtype, name = _narrowest(int(ints.min()), int(ints.max()))
    if dtype is None:
        return _floats(ints.astype(np.float64))
    return {"dtype": name}, ints.astype(dtype)


def _floats(floats: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Floats (NaN for null) in float32 when every one survives the round trip."""
    narrow = floats.astype(np.float32)
    if np.array_equal(narrow.astype(np.float64), floats, equal_nan=True):
        return {"dtype": "float32"}, narrow
    return {"dtype": "float64"}, np.array(floats, dtype=np.float64)  # a copy, always


def _named(selection: Selection, column: Named) -> tuple[dict[str, Any], np.ndarray]:
    """A parameter's or metric's column: integers, floats, or a dictionary when any selected
    cell is coded (then numbers are dictionary values too, ints apart from floats)."""
    tags = selection.take(column.tag)
    nums = None if column.num is None else selection.take(column.num)
    if not (tags == CODED).any():
        if nums is None:
            return _floats(np.full(selection.n, np.nan))
        if (tags == INT).all():
            return _ints(nums.astype(np.int64))
        return _floats(nums)
    keys = np.full(selection.n, -1, np.int64)
    if column.code is not None:
        codes = selection.take(column.code)
        keys[tags == CODED] = codes[tags == CODED]
    values: list[Any] = list(column.values)
    if nums is not None:
        finite = np.isfinite(nums)
        for kind, cast in ((INT, int), (FLOAT, float)):
            numbers = (tags == kind) & finite
            if numbers.any():
                unique, inverse = np.unique(nums[numbers], return_inverse=True)
                keys[numbers] = len(values) + inverse.reshape(-1)
                values.extend(map(cast, unique.tolist()))
    return _coded(keys, values)


def _coded(keys: np.ndarray, values: list[Any]) -> tuple[dict[str, Any], np.ndarray]:
    """Dictionary codes numbered in order of first appearance (as `pack` numbers them), with
    only the values the cells use; key -1 is null."""
    valid = keys >= 0
    if len(values) <= 64:
        used = np.flatnonzero(np.bincount(keys[valid], minlength=len(values)))
        first = np.array([int((keys == k).argmax()) for k in used.tolist()], np.int64)
    else:
        used, first = np.unique(keys[valid], return_index=True)
    used = used[np.argsort(first, kind="stable")]
    lookup = np.full(len(values) + 1, -1, np.int64)
    lookup[used] = np.arange(len(used))
    codes = np.where(valid, lookup[keys], -1)
    dtype, name = _narrowest(-1, len(used) - 1)
    entry = {
        "dtype": name,
        "values": [clean_json(values[k], MAX_DEPTH - 1) for k in used.tolist()],
    }
    return entry, codes.astype(dtype)


def _aligned(size: int) -> int:
    return (size + 7) // 8 * 8


# An answer up to this size goes in one piece: a streamed answer takes a hop to a worker thread
# per piece, which cost a poll that brings nothing (a header and no trials) more than the read.
ONE_PIECE = 64 * 1024


def response(packed: Packed) -> Response:
    """The packed columns sent piece by piece (never joined into one more copy), or, when
    small, at once."""
    headers = {"Vary": "Accept"}
    if packed.size <= ONE_PIECE:
        return Response(packed.join(), media_type=MEDIA_TYPE, headers=headers)
    headers["Content-Length"] = str(packed.size)
    return StreamingResponse(iter(packed), media_type=MEDIA_TYPE, headers=headers)
