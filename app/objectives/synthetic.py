"""Cheap synthetic objectives with a known optimum, for tests and benchmarks.

Each one mimics a trait of real hyperparameter landscapes that a sampler must handle; all are
minimized and reach 0 at the optimum (the noisy one up to its noise).
"""

from __future__ import annotations

import json
import math
import zlib
from typing import Any


def bowl(params: dict[str, Any]) -> float:
    """Minimum 0 at learning_rate=1e-3 and x=0.3; distance measured in decades for the rate."""
    lr = float(params.get("learning_rate", 1e-3))
    x = float(params.get("x", 0.3))
    return (math.log10(lr) + 3.0) ** 2 + (x - 0.3) ** 2


def lr_cliff(params: dict[str, Any]) -> float:
    """A learning rate deep in a log range: 0 at lr=3e-5, dropout=0.2, weight_decay=1e-4.

    Too small a rate plateaus (nothing is learnt), above 1e-2 training diverges (value 1): on a
    linear scale almost every draw of [1e-7, 10] lands on the cliff.
    """
    lr = float(params["lr"])
    if lr > 1e-2:
        return 1.0
    miss = (math.log10(lr) - math.log10(3e-5)) / 0.75
    fit = 1.0 - math.exp(-0.5 * miss**2)
    dropout = (float(params["dropout"]) - 0.2) ** 2
    decay = (math.log10(float(params["weight_decay"])) + 4.0) ** 2 / 25.0
    return 0.8 * fit + 0.1 * dropout + 0.1 * decay


def lr_batch_ridge(params: dict[str, Any]) -> float:
    """Interacting parameters: 0 along a curved valley, at batch_size=128 on its floor.

    The effective rate lr / (1 - momentum) matters, and its best value grows with the square
    root of the batch size; boxes aligned with the axes fit such a valley badly.
    """
    lr, momentum = float(params["lr"]), float(params["momentum"])
    batch = int(params["batch_size"])
    effective = math.log10(lr / (1.0 - momentum))
    target = -2.0 + 0.5 * math.log10(batch / 32)
    if effective > target + 2.0:
        return 5.0  # diverged
    return (effective - target) ** 2 + 0.1 * (math.log10(batch) - math.log10(128)) ** 2


def noisy_solver(params: dict[str, Any]) -> float:
    """Conditional and noisy: adam with lr=1e-3, beta_1=0.9 reaches 0; sgd at best 0.05.

    The noise (sd 0.02) is a fixed function of the configuration, like a fixed data split:
    the same configuration always scores the same.
    """
    lr = float(params["lr"])
    if params["solver"] == "sgd":
        effective = lr / (1.0 - float(params["momentum"]))
        loss = 0.05 + 0.5 * (math.log10(effective) + 1.0) ** 2
    else:
        loss = 0.5 * (math.log10(lr) + 3.0) ** 2 + 2.0 * (float(params["beta_1"]) - 0.9) ** 2
    loss += 0.01 * (math.log10(float(params["alpha"])) + 4.0) ** 2 / 9.0
    return loss + 0.02 * _noise(params)


def _noise(params: dict[str, Any]) -> float:
    """A standard normal number determined by the configuration."""
    key = zlib.crc32(json.dumps(params, sort_keys=True).encode())
    u1, u2 = (key % 65521 + 0.5) / 65521, ((key // 65521) % 65519 + 0.5) / 65519
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
