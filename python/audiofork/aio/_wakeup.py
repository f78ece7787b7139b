"""``Wakeup``: tells the coroutines waiting on a stream that something changed."""

from __future__ import annotations

import asyncio

__all__ = ["Wakeup"]


class Wakeup:
    """Wakes every current waiter once; each then checks its own condition again.

    A wait costs one future: no ``asyncio.Event``, no ``wait_for``. A timeout costs one
    ``loop.call_later``, only when one is asked for. Firing with nobody waiting costs a check.
    """

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        # An ordered set: a waiter that times out or is cancelled takes itself out.
        self._waiters: dict[asyncio.Future[None], None] = {}

    def fire(self) -> None:
        """Wake everyone waiting now."""
        if self._waiters:
            waiters, self._waiters = self._waiters, {}
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def wait(self, timeout: float | None = None) -> None:
        """Return at the next :meth:`fire`, or after ``timeout`` seconds if one is given."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters[waiter] = None
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            if timer is not None:
                timer.cancel()
            self._waiters.pop(waiter, None)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
