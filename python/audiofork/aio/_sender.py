"""``Sender``: sends what the session queues, in order, whatever happens to the tasks that
asked for it."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from audiofork.adapters import Transport, TransportClosed
from audiofork.aio._eager import run_eagerly
from audiofork.session import StreamSession

__all__ = ["Sender"]

logger = logging.getLogger("audiofork.aio")

# Messages sent in a row before the event loop gets a turn.
_SENDS_PER_YIELD = 50


class Sender:
    """Moves the session's outbox to the transport.

    Messages taken from the session wait in one queue, in order, and leave it only once the
    transport has taken them. One pump sends the queue: it starts in the task that queued
    something and, if the transport makes it wait, goes on in a task of its own
    (:func:`~audiofork.aio._eager.run_eagerly`). So cancelling a task that is sending (a
    barge-in that cancels the speaking task) never loses a message, another task's checkpoint
    included; the other messages still go out, in order. A send that raises
    :class:`~audiofork.adapters.TransportClosed` (or anything else) ends the stream through
    ``on_lost``.

    It also releases audio held after a clear when the hold's deadline passes
    (:attr:`StreamSession.hold_deadline`), with no traffic needed to trigger it.
    """

    def __init__(
        self, session: StreamSession, transport: Transport, on_lost: Callable[[], None]
    ) -> None:
        self._session = session
        self._transport = transport
        self._on_lost = on_lost
        self._queue: deque[str] = deque()
        self._queued = 0  # messages ever taken from the session
        self._sent = 0  # messages ever handed to the transport (or dropped with the socket)
        # Callers waiting until the message count reaches theirs, in queueing order.
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._pump: asyncio.Task[None] | None = None  # the pump, once it had to wait
        self._release: asyncio.Task[None] | None = None

    def send_soon(self) -> None:
        """Take what the session has queued and start sending it; returns at once."""
        session = self._session
        if session.has_data_to_send:
            texts = session.data_to_send()
            self._queue += texts
            self._queued += len(texts)
            if session.hold_deadline is not None and self._release is None:
                self._release = asyncio.get_running_loop().create_task(self._release_when_due())
        if self._queue and self._pump is None:
            self._pump = run_eagerly(self._drain())

    async def flush(self) -> None:
        """Send what the session has queued; return once the transport has taken it (or the
        socket is gone)."""
        self.send_soon()
        if self._pump is not None and self._sent < self._queued:  # the transport made it wait
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((self._queued, waiter))
            await waiter

    async def close(self) -> None:
        """Stop sending (the stream is over); wait for the sender's own tasks to end."""
        tasks = [t for t in (self._pump, self._release) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _drain(self) -> None:
        queue, send = self._queue, self._transport.send
        in_a_row = 0
        completed = False
        try:
            while queue:
                if in_a_row == _SENDS_PER_YIELD:
                    in_a_row = 0
                    await asyncio.sleep(0)
                    continue
                await send(queue[0])
                queue.popleft()
                self._sent += 1
                in_a_row += 1
                if self._waiters:
                    self._wake_waiters()
            completed = True
        except TransportClosed:
            pass
        except Exception:
            logger.warning("sending failed; ending the stream", exc_info=True)
        finally:
            self._pump = None
            if not completed:  # the socket is gone, or the stream closed under the pump
                queue.clear()
                self._sent = self._queued
            if self._waiters:
                self._wake_waiters()
        if not completed:
            self._on_lost()

    def _wake_waiters(self) -> None:
        waiters, sent = self._waiters, self._sent
        while waiters and waiters[0][0] <= sent:
            _, waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def _release_when_due(self) -> None:
        session = self._session
        try:
            while (deadline := session.hold_deadline) is not None:
                await asyncio.sleep(max(deadline - session.clock(), 0.001))
                self.send_soon()
        finally:
            self._release = None
