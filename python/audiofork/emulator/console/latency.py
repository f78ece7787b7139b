"""Delay figures of the softphone's paths: the last :data:`LATENCY_WINDOW` measurements."""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["LATENCY_WINDOW", "Latency"]

#: Measurements kept (one per 20 ms frame: ten seconds).
LATENCY_WINDOW = 500


class Latency:
    """One path's delays (recorded in seconds, summarised in ms)."""

    def __init__(self) -> None:
        self._ms: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self.count = 0

    def add(self, seconds: float) -> None:
        """Record one measurement."""
        self._ms.append(seconds * 1000)
        self.count += 1

    def summary(self) -> dict[str, float | int | None]:
        """Median, 95th percentile and maximum of the window (ms), and how many in all."""
        if not self._ms:
            return {"p50": None, "p95": None, "max": None, "frames": self.count}
        values = np.fromiter(self._ms, dtype=np.float64)
        p50, p95 = np.percentile(values, [50, 95])
        return {
            "p50": round(float(p50), 1),
            "p95": round(float(p95), 1),
            "max": round(float(values.max()), 1),
            "frames": self.count,
        }
