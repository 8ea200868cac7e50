"""Reading the binary columns (app/api/columns_binary.py) back into what the JSON answer says,
with numpy and nothing from the app: the format as a client would read it."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

MEDIA_TYPE = "application/vnd.hyperzoom.columns"


def decode(data: bytes) -> dict[str, Any]:
    """The binary answer as the JSON answer's dict (NaN in a float column read as null)."""
    assert data[:4] == b"HZC1"
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + length])
    start = (8 + length + 7) // 8 * 8
    assert header["n"] == 0 or start % 8 == 0
    n = header["n"]

    def column(spec: dict[str, Any]) -> list[Any]:
        assert spec["offset"] % 8 == 0
        dtype = np.dtype(spec["dtype"]).newbyteorder("<")
        cells = np.frombuffer(data, dtype, n, start + spec["offset"]).tolist()
        if "values" in spec:
            return [None if code == -1 else spec["values"][code] for code in cells]
        return [None if isinstance(c, float) and math.isnan(c) else c for c in cells]

    fixed = {name: column(spec) for name, spec in header["columns"].items()}
    return {  # in the JSON answer's order
        "cursor": header["cursor"],
        **{name: fixed[name] for name in ("id", "search_id", "number", "state", "value")},
        "params": {name: column(spec) for name, spec in header["params"].items()},
        "metrics": {name: column(spec) for name, spec in header["metrics"].items()},
        "metrics_omitted": header["metrics_omitted"],
        "duration": fixed["duration"],
        "notes": header["notes"],
    }
