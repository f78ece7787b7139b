"""One virtual clock per emulator: pacing, playout, checkpoints and billing all read it.

Virtual time runs ``speed`` times faster than its time source, from the moment the clock is
made. Waits take absolute deadlines (:meth:`VirtualClock.sleep_until`), so a loop that
schedules "frame *k* at ``t0 + k * 20 ms``" never drifts, however late a single wake-up is.

The time source is the monotonic clock unless one is given: a :class:`ManualTime` stands
still until :meth:`ManualTime.advance` moves it, so a test can step a stream frame by frame
and check what happened at each virtual instant without sleeping in real time.
"""

from __future__ import annotations

import asyncio
import datetime
import heapq
import itertools
import math
import time
from typing import Protocol

__all__ = ["ManualTime", "MonotonicTime", "TimeSource", "VirtualClock"]


class TimeSource(Protocol):
    """Where a :class:`VirtualClock` reads the time and waits."""

    def now(self) -> float:
        """Seconds on this source (any origin; never goes back)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once ``seconds`` have passed on this source."""
        ...


class MonotonicTime:
    """The monotonic clock, waited on with :func:`asyncio.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualTime:
    """Time that moves only when :meth:`advance` says so; sleepers wake when it reaches them.

    Sleeps are woken in deadline order; a cancelled sleep is simply forgotten.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    @property
    def next_deadline(self) -> float | None:
        """The earliest time a sleeper waits for (``None`` when none waits)."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), waiter))
        await waiter

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (>= 0) and wake every sleeper now due."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, waiter = heapq.heappop(self._sleepers)
            if not waiter.done():
                waiter.set_result(None)


class VirtualClock:
    """Virtual seconds since the clock was made, ``speed`` times its time source.

    ``speed`` is positive and finite: ``20`` runs twenty virtual seconds per real second.
    ``time_source`` defaults to the monotonic clock; ``wall_origin`` (the virtual wall time
    at virtual time 0) defaults to now, in UTC.
    """

    def __init__(
        self,
        speed: float = 1.0,
        *,
        time_source: TimeSource | None = None,
        wall_origin: datetime.datetime | None = None,
    ) -> None:
        if isinstance(speed, bool) or not isinstance(speed, (int, float)):
            raise TypeError(f"speed must be a number, got {speed!r}")
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a finite number > 0, got {speed!r}")
        if wall_origin is not None and wall_origin.tzinfo is None:
            raise ValueError(f"wall_origin must be timezone-aware, got {wall_origin!r}")
        self.speed = float(speed)
        self._source: TimeSource = time_source if time_source is not None else MonotonicTime()
        self._origin = self._source.now()
        self._origin_wall = wall_origin or datetime.datetime.now(datetime.timezone.utc)

    def now(self) -> float:
        """Virtual seconds since the origin (monotonic, never goes back)."""
        return (self._source.now() - self._origin) * self.speed

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
            await self._source.sleep(remaining / self.speed)
            remaining = t - self.now()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time."""
        await self.sleep_until(self.now() + seconds)
