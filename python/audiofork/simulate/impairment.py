"""Seeded network impairment of the platform → app leg (a TCP connection).

Over TCP nothing is reordered and nothing arrives damaged, so a bad line shows up as:

- **loss**: media frames the platform never sends (``loss``, a probability per frame);
- **jitter**: late delivery with order kept (``jitter_ms``: each frame is handed to the
  socket up to that much after its boundary, never before the frame ahead of it);
- **bursts**: stalls followed by catch-up (``burst``: ``(stall_ms, every_s)``, a stall of
  ``stall_ms`` starting on average once every ``every_s`` seconds; the frames held by it
  leave together when it ends).

Every decision is drawn from one :class:`random.Random` per call, seeded with the run's
seed and the call's number, three draws per media frame whatever the settings, so the same
seed gives the same decisions on every run (and on every machine).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from audiofork.errors import ArgumentError

__all__ = ["Decision", "Impairer", "Impairment", "parse_burst"]

FRAME_MS = 20.0


@dataclass(frozen=True)
class Impairment:
    """What the line does to the platform's messages; the default is a clean line."""

    loss: float = 0.0
    jitter_ms: float = 0.0
    burst: tuple[float, float] | None = None  # (stall_ms, every_s)

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss < 1.0:
            raise ArgumentError(f"loss must be a probability in [0, 1), got {self.loss!r}")
        if not 0.0 <= self.jitter_ms <= 10_000:
            raise ArgumentError(f"jitter_ms must be in [0, 10000], got {self.jitter_ms!r}")
        if self.burst is not None:
            stall_ms, every_s = self.burst
            if not (0 < stall_ms <= 60_000 and 0 < every_s <= 86_400):
                raise ArgumentError(
                    f"burst must be (stall_ms in (0, 60000], every_s in (0, 86400]), "
                    f"got {self.burst!r}"
                )

    @property
    def clean(self) -> bool:
        return self.loss == 0 and self.jitter_ms == 0 and self.burst is None

    def to_json(self) -> dict[str, object]:
        burst = (
            None if self.burst is None else {"stall_ms": self.burst[0], "every_s": self.burst[1]}
        )
        return {"loss": self.loss, "jitter_ms": self.jitter_ms, "burst": burst}


def parse_burst(text: str) -> tuple[float, float]:
    """``"STALL_MS:EVERY_S"`` (e.g. ``"400:5"``) as ``(stall_ms, every_s)``."""
    stall, sep, every = text.partition(":")
    try:
        burst = (float(stall), float(every) if sep else math.nan)
    except ValueError:
        burst = (math.nan, math.nan)
    if not all(math.isfinite(v) for v in burst):
        raise ArgumentError(f"burst must be STALL_MS:EVERY_S, e.g. 400:5, got {text!r}")
    Impairment(burst=burst)  # range check
    return burst


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one media frame: ``lost``, or handed to the socket at
    ``deliver_ms`` of call time."""

    lost: bool
    deliver_ms: float


class Impairer:
    """The decisions for one call's media frames, in order (see the module doc)."""

    def __init__(self, impairment: Impairment, seed: int, call: int) -> None:
        self.impairment = impairment
        self._random = random.Random(f"audiofork-simulate:{seed}:{call}")
        self._stall_until = -math.inf
        self._last_ms = -math.inf

    def media(self, due_ms: float) -> Decision:
        """The next media frame, due at ``due_ms`` (its frame boundary)."""
        imp = self.impairment
        loss_draw, jitter_draw, burst_draw = (self._random.random() for _ in range(3))
        if imp.burst is not None and due_ms >= self._stall_until:
            stall_ms, every_s = imp.burst
            if burst_draw < FRAME_MS / (every_s * 1000):
                self._stall_until = due_ms + stall_ms
        at = max(due_ms + jitter_draw * imp.jitter_ms, self._last_ms)
        if due_ms < self._stall_until:
            at = max(at, self._stall_until)
        if loss_draw < imp.loss:
            return Decision(True, at)
        self._last_ms = at
        return Decision(False, at)

    def other(self, now_ms: float) -> float:
        """When a non-media message queued at ``now_ms`` leaves: not before what is ahead
        of it (TCP keeps order)."""
        at = max(now_ms, self._last_ms)
        if now_ms < self._stall_until:
            at = max(at, self._stall_until)
        self._last_ms = at
        return at
