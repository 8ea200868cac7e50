"""Cheap synthetic objectives with a known optimum, for tests and benchmarks."""

from __future__ import annotations

import math
from typing import Any


def bowl(params: dict[str, Any]) -> float:
    """Minimum 0 at learning_rate=1e-3 and x=0.3; distance measured in decades for the rate."""
    lr = float(params.get("learning_rate", 1e-3))
    x = float(params.get("x", 0.3))
    return (math.log10(lr) + 3.0) ** 2 + (x - 0.3) ** 2
