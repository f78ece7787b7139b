"""One virtual clock per emulator: pacing, playout, checkpoints and billing all read it.

Virtual time runs ``speed`` times faster than the monotonic clock, from the moment the
clock is made. Waits take absolute deadlines (:meth:`VirtualClock.sleep_until`), so a
loop that schedules "frame *k* at ``t0 + k * 20 ms``" never drifts, however late a single
wake-up is.
"""

from __future__ import annotations

import asyncio
import datetime
import math
import time

__all__ = ["VirtualClock"]


class VirtualClock:
    """Virtual seconds since the clock was made, ``speed`` times real time.

    ``speed`` is positive and finite: ``20`` runs twenty virtual seconds per real second.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if isinstance(speed, bool) or not isinstance(speed, (int, float)):
            raise TypeError(f"speed must be a number, got {speed!r}")
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a finite number > 0, got {speed!r}")
        self.speed = float(speed)
        self._origin = time.monotonic()
        self._origin_wall = datetime.datetime.now(datetime.timezone.utc)

    def now(self) -> float:
        """Virtual seconds since the origin (monotonic, never goes back)."""
        return (time.monotonic() - self._origin) * self.speed

    def wall(self) -> datetime.datetime:
        """Virtual UTC wall time: the origin's wall time plus :meth:`now`."""
        return self.wall_at(self.now())

    def wall_at(self, t: float) -> datetime.datetime:
        """Virtual UTC wall time at virtual time ``t``."""
        return self._origin_wall + datetime.timedelta(seconds=t)

    def wall_ms(self, t: float) -> int:
        """Milliseconds since the Unix epoch at virtual time ``t`` (frame timestamps)."""
        return round(self._origin_wall.timestamp() * 1000 + t * 1000)

    async def sleep_until(self, t: float) -> None:
        """Return once virtual time ``t`` has come, never before.

        A deadline already passed still yields to the event loop once, so a loop that has
        fallen behind catches up without starving the other tasks.
        """
        remaining = t - self.now()
        if remaining <= 0:
            await asyncio.sleep(0)
        while remaining > 0:
            await asyncio.sleep(remaining / self.speed)
            remaining = t - self.now()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time."""
        await self.sleep_until(self.now() + seconds)
