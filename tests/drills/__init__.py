"""Reliability drills: real processes, injected faults, checked data (docs/reliability.md)."""

from __future__ import annotations

import os
import time
from typing import Any


def remote_only(params: dict[str, Any]) -> float:
    """A quick objective only the drills' remote worker runs: sleeps HZ_TEST_SLOW, returns x."""
    time.sleep(float(os.environ.get("HZ_TEST_SLOW", "0")))
    return float(params["x"])
