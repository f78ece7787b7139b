"""``ManualClock``: time a test sets by hand, for the ``clock`` a session or stream takes."""

from __future__ import annotations


class ManualClock:
    """Monotonic seconds that move only when the test moves ``now``."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
