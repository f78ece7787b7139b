"""``Reader``: feeds the platform's messages to the session and the inbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from audiofork.adapters import Transport
from audiofork.aio._inbox import Inbox
from audiofork.aio._sender import Sender
from audiofork.errors import AudioforkError, StreamStateError
from audiofork.session import StreamSession

__all__ = ["Reader"]

logger = logging.getLogger("audiofork.aio")

# Longest part of a refused message's reason that goes into a log line.
_LOGGED_REASON_CHARS = 200


class Reader:
    """Reads the socket while the stream is open; one coroutine at a time awaits it.

    A task of the stream's own reads whenever no consumer does, so checkpoints resolve
    whether or not the app iterates. A consumer with nothing left to take (``async for``, an
    ``audio()`` iterator) reads the next message itself when nobody else is reading and the
    transport's ``close()`` ends a pending read (:attr:`Transport.close_ends_receive`): an
    echo loop then runs in one task, without a hand-over between tasks per frame. Otherwise
    it waits for what the stream's task reads. The stream's task steps aside while a
    consumer reads, and takes over as soon as none does.

    Each message goes to :meth:`StreamSession.receive`, its events to the inbox; anything the
    session then has to send (audio released from a hold) goes to the sender without waiting.
    A malformed message is refused, counted in :attr:`protocol_errors` and logged (a flood
    logs one line per doubling of the count); it does not end the stream. The socket closing
    or failing does, through ``on_lost``.
    """

    def __init__(
        self,
        transport: Transport,
        session: StreamSession,
        inbox: Inbox,
        sender: Sender,
        on_lost: Callable[[], None],
    ) -> None:
        self._transport = transport
        self._session = session
        self._inbox = inbox
        self._sender = sender
        self._on_lost = on_lost
        self._consumers_read = transport.close_ends_receive
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop it started on
        self._reading = False  # a coroutine is in transport.receive()
        self._waiting = 0  # consumers waiting for what another reads
        self._parked: asyncio.Future[None] | None = None  # the stream's task, stepping aside
        #: Platform messages refused as malformed, in all and by the error's kind.
        self.protocol_errors = 0
        self.refused_by_kind: dict[str, int] = {}

    def start(self) -> None:
        """Start reading (``async with`` entered)."""
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run())

    async def stop(self) -> None:
        """Stop the stream's reading task and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def require_running(self) -> None:
        """Nothing reads the socket before ``async with``: a wait then would never end."""
        if self._task is None and not self._inbox.ended:
            raise StreamStateError(
                "the stream is not running: use `async with AudioStream(ws) as stream:`"
            )

    async def wait(self) -> None:
        """For a consumer with nothing left to take: read a message, or wait for one."""
        if self._task is None:
            self.require_running()
        try:
            if self._consumers_read and not self._reading:
                await self._read_one()
            else:
                self._waiting += 1
                try:
                    await self._inbox.arrived.wait()
                finally:
                    self._waiting -= 1
        finally:
            if self._parked is not None:  # it takes over unless this consumer reads again
                # (the loop it was parked on: asking asyncio for it costs a getpid() call)
                assert self._loop is not None
                self._loop.call_soon(self._unpark)

    def _unpark(self) -> None:
        if not self._reading and self._parked is not None and not self._parked.done():
            self._parked.set_result(None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        step_aside = False
        try:
            while not self._session.closed:
                if self._reading or step_aside:
                    step_aside = False
                    self._parked = loop.create_future()
                    try:
                        await self._parked
                    finally:
                        self._parked = None
                    continue
                if not await self._read_one():
                    break
                # A consumer woken by this message reads the next one itself.
                step_aside = self._consumers_read and self._waiting > 0
        finally:
            self._on_lost()

    async def _read_one(self) -> bool:
        """Read and take one message; ``False`` once the socket is gone."""
        self._reading = True
        try:
            message = await self._transport.receive()
        except Exception:
            logger.warning("the WebSocket failed; ending the stream", exc_info=True)
            message = None
        finally:
            self._reading = False
        if message is None:
            self._on_lost()
            return False
        session = self._session
        try:
            events = session.receive(message)
        except AudioforkError as exc:
            self._refused(exc)
            self._inbox.arrived.fire()  # whoever waits for this message looks again
            return True
        self._inbox.deliver(events, len(message))
        if session.has_data_to_send:  # most messages leave nothing to send
            self._sender.send_soon()
        return True

    def _refused(self, exc: AudioforkError) -> None:
        self.protocol_errors += 1
        self.refused_by_kind[exc.kind] = self.refused_by_kind.get(exc.kind, 0) + 1
        count = self.protocol_errors
        if count & (count - 1) == 0:  # 1, 2, 4, 8, ...
            reason = str(exc)
            if len(reason) > _LOGGED_REASON_CHARS:
                reason = reason[:_LOGGED_REASON_CHARS] + "..."
            logger.warning("refused a platform message (%d so far): %s", count, reason)
