"""``AudioStream``: a :class:`~audiofork.session.StreamSession` driven over an asyncio WebSocket.

::

    async with AudioStream(websocket) as stream:
        async for event in stream:
            if isinstance(event, Media):
                await stream.play(event.pcm, 16000)

One reader task feeds every platform message to the session while the stream is open, so
checkpoints resolve whether or not the app iterates. Nothing outlives the ``async with``:
leaving it (or :meth:`AudioStream.aclose`) closes the socket, resolves every pending
checkpoint as ``closed`` and ends every iterator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Coroutine
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from audiofork._checks import check_int
from audiofork._core import Ring
from audiofork.adapters import TransportClosed, transport_for
from audiofork.codec import l16_decode
from audiofork.errors import ArgumentError, AudioforkError, StreamStateError
from audiofork.events import Media
from audiofork.session import (
    CheckpointOutcome,
    CheckpointResolved,
    Pcm,
    SessionEvent,
    StreamSession,
)

__all__ = ["AudioChunks", "AudioStream"]

logger = logging.getLogger(__name__)

#: Events kept for ``async for`` when the app does not keep up (the oldest are dropped).
DEFAULT_MAX_EVENTS = 1000
# play() hands the session at most this much audio per step, so the loop stays responsive.
_STEP_MS = 1000
_PACED_STEP_MS = 100
# Messages sent between yields to the event loop.
_SENDS_PER_YIELD = 50
# The tracks ``Media`` can carry.
_TRACKS = ("inbound", "outbound")


async def _resolved(outcome: CheckpointOutcome) -> CheckpointOutcome:
    return outcome


class _Signal:
    """Wakes every current waiter once; waiters check their condition again."""

    def __init__(self) -> None:
        # Made by the first waiter, so a fire with nobody waiting (each media frame read
        # while the app is busy) costs no Event.
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float | None = None) -> None:
        if self._event is None:
            self._event = asyncio.Event()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


class AudioStream:
    """One platform stream over ``ws``: iterate events, play, checkpoint, clear, stop.

    Args:
        ws: a websockets connection, a Starlette/FastAPI ``WebSocket`` (accepted if it is
            not yet), a prepared aiohttp ``WebSocketResponse``, or any object with
            ``async send_text(str)`` and ``async receive_text()``.
        pace_ms: keep at most this much audio (``playable_ms``) ahead of the estimated
            playout, so a long reply can be cut cleanly; ``None`` sends audio as fast as it
            comes.
        max_events: events kept for ``async for`` before the oldest are dropped (counted
            in :attr:`dropped_events`).
        **session_options: passed to :class:`~audiofork.session.StreamSession`.

    Malformed platform messages are logged and counted in :attr:`protocol_errors`; they
    do not end the stream.
    """

    def __init__(
        self,
        ws: Any,
        *,
        pace_ms: int | None = None,
        max_events: int = DEFAULT_MAX_EVENTS,
        **session_options: Any,
    ) -> None:
        self.session = StreamSession(**session_options)
        if pace_ms is not None:
            check_int("pace_ms", pace_ms, 1)
        check_int("max_events", max_events, 1)
        self.pace_ms = pace_ms
        self._max_events = max_events
        self._transport = transport_for(ws)
        self._events: deque[SessionEvent] = deque()
        self._sinks: dict[str, list[AudioChunks]] = {}
        self._waiters: dict[str, asyncio.Future[CheckpointOutcome]] = {}
        self._signal = _Signal()
        self._send_lock = asyncio.Lock()
        # Bumped by clear() and by the end of the stream: a play() in progress stops.
        self._generation = 0
        self._reader: asyncio.Task[None] | None = None
        self._release_timer: asyncio.Task[None] | None = None
        #: Events dropped because nobody consumed them.
        self.dropped_events = 0
        #: Platform messages refused as malformed.
        self.protocol_errors = 0

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> AudioStream:
        await self._transport.open()
        self._reader = asyncio.create_task(self._read_loop())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session and the socket; wait for the stream's own tasks to end."""
        self._dispatch(self.session.close())
        tasks = [t for t in (self._reader, self._release_timer) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._reader = self._release_timer = None
        with contextlib.suppress(TransportClosed):
            await self._transport.close()

    @property
    def closed(self) -> bool:
        """The stream ended (socket lost, stop, or closed by the app)."""
        return self.session.closed

    def _require_running(self) -> None:
        """Nothing reads the socket before ``async with``: a wait then would never end."""
        if self._reader is None and not self.session.closed:
            raise StreamStateError(
                "the stream is not running: use `async with AudioStream(ws) as stream:`"
            )

    async def _read_loop(self) -> None:
        try:
            while not self.session.closed:
                message = await self._transport.receive()
                if message is None:
                    break
                try:
                    events = self.session.receive(message)
                except AudioforkError as exc:
                    self.protocol_errors += 1
                    logger.warning("refused a platform message: %s", exc)
                    continue
                self._dispatch(events)
                if self.session.has_data_to_send:  # most media frames leave nothing to send
                    await self._send_outbox()
        except Exception:
            logger.warning("the WebSocket failed; ending the stream", exc_info=True)
        finally:
            self._dispatch(self.session.connection_lost())

    # --- events ----------------------------------------------------------------------------

    def _dispatch(self, events: list[SessionEvent]) -> None:
        if not events:
            return
        for event in events:
            if isinstance(event, CheckpointResolved):
                waiter = self._waiters.pop(event.name, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(event.outcome)
            if isinstance(event, Media) and event.pcm is not None and event.track in self._sinks:
                for sink in self._sinks[event.track]:
                    sink._write(event.pcm)
                continue
            if len(self._events) >= self._max_events:
                self._events.popleft()
                self.dropped_events += 1
            self._events.append(event)
        if self.session.closed:
            self._generation += 1
        self._signal.fire()

    def __aiter__(self) -> AudioStream:
        return self

    async def __anext__(self) -> SessionEvent:
        while not self._events:
            if self.closed:
                raise StopAsyncIteration
            self._require_running()
            await self._signal.wait()
        return self._events.popleft()

    def audio(
        self, chunk_ms: int = 100, *, track: str = "inbound", buffer_ms: int = 10_000
    ) -> AudioChunks:
        """Inbound PCM of ``track`` in chunks of ``chunk_ms``, as int16 at the app rate.

        Ring-backed and bounded: at most ``buffer_ms`` waits; beyond that the oldest audio
        is dropped (see :attr:`AudioChunks.dropped_ms`). While it is open, ``Media`` events
        of that track go to it instead of ``async for``. The final chunk may be shorter.
        """
        return AudioChunks(self, chunk_ms, track, buffer_ms)

    # --- outbound --------------------------------------------------------------------------

    async def play(self, pcm: Pcm, sample_rate: int) -> None:
        """Queue audio of any rate and length for the caller.

        Returns once it is sent (with ``pace_ms``: once the last of it is within
        ``pace_ms`` of the playout). If :meth:`clear` runs or the stream ends meanwhile,
        the rest is dropped and it returns. On a stream that already ended it does nothing:
        events read after a hang-up can still be answered without a race.
        """
        check_int("sample_rate", sample_rate, 1)
        if self.closed:
            return
        samples = pcm if isinstance(pcm, np.ndarray) else l16_decode(pcm)
        generation = self._generation
        step_ms = _STEP_MS if self.pace_ms is None else min(_PACED_STEP_MS, self.pace_ms)
        step = max(sample_rate * step_ms // 1000, 1)
        for offset in range(0, max(len(samples), 1), step):
            if offset:
                await asyncio.sleep(0)  # let the loop run between steps of a long reply
            if generation != self._generation:
                return
            if self.pace_ms is not None and not await self._room_for(step_ms, generation):
                return
            self.session.play(samples[offset : offset + step], sample_rate)
            await self._send_outbox()

    async def _room_for(self, step_ms: int, generation: int) -> bool:
        assert self.pace_ms is not None
        limit = self.pace_ms - step_ms
        while generation == self._generation:
            ahead = self.session.playable_ms - self.session.heard_ms()
            if ahead <= limit:
                return True
            await self._signal.wait((ahead - limit) / 1000.0)
        return False

    def checkpoint(self, name: str | None = None) -> Coroutine[Any, Any, CheckpointOutcome]:
        """Mark the end of what is queued now; await it for ``played``, ``cleared`` or ``closed``.

        The mark is placed when this is called, so ``asyncio.create_task(stream.checkpoint())``
        goes on at once without the mark drifting behind later audio. On a stream that
        already ended it resolves ``closed`` at once.
        """
        self._require_running()
        if self.closed:
            return _resolved(CheckpointOutcome.CLOSED)
        name = self.session.checkpoint(name)
        waiter: asyncio.Future[CheckpointOutcome] = asyncio.get_running_loop().create_future()
        self._waiters[name] = waiter
        return self._resolution(name, waiter)

    async def _resolution(
        self, name: str, waiter: asyncio.Future[CheckpointOutcome]
    ) -> CheckpointOutcome:
        await self._send_outbox()
        try:
            return await waiter
        finally:
            if self._waiters.get(name) is waiter:
                del self._waiters[name]

    async def drain(self) -> CheckpointOutcome:
        """Wait until everything queued so far played, was cleared, or the stream ended.

        The true "bot stopped speaking": flushes (the end of an utterance, see
        :meth:`~audiofork.session.StreamSession.flush`), sends a checkpoint and waits for it.
        """
        self._require_running()
        if not self.closed:
            self.session.flush()
        return await self.checkpoint()

    async def clear(self) -> None:
        """Barge-in: drop all queued audio; pending checkpoints resolve ``cleared``."""
        events = self.session.clear()
        self._generation += 1
        self._dispatch(events)
        self._signal.fire()
        await self._send_outbox()

    async def stop(self) -> None:
        """Ask the platform to end the stream; the session closes."""
        self._dispatch(self.session.stop())
        await self._send_outbox()

    def heard_ms(self) -> float:
        """What the caller heard so far, in ms (see :meth:`StreamSession.heard_ms`)."""
        return self.session.heard_ms()

    async def _send_outbox(self) -> None:
        async with self._send_lock:
            while texts := self.session.data_to_send():
                for count, text in enumerate(texts, 1):
                    try:
                        await self._transport.send(text)
                    except TransportClosed:
                        self._dispatch(self.session.connection_lost())
                        return
                    if count % _SENDS_PER_YIELD == 0:
                        await asyncio.sleep(0)
        if self.session.hold_deadline is not None and self._release_timer is None:
            self._release_timer = asyncio.create_task(self._release_when_due())

    async def _release_when_due(self) -> None:
        try:
            while (deadline := self.session.hold_deadline) is not None:
                await asyncio.sleep(max(deadline - self.session.clock(), 0.001))
                await self._send_outbox()
        finally:
            self._release_timer = None


class AudioChunks:
    """Async iterator of fixed-size inbound PCM chunks; see :meth:`AudioStream.audio`."""

    def __init__(self, stream: AudioStream, chunk_ms: int, track: str, buffer_ms: int) -> None:
        rate = stream.session.app_rate
        check_int("chunk_ms", chunk_ms, 1)
        check_int("buffer_ms", buffer_ms, chunk_ms)
        if not isinstance(track, str):
            raise TypeError(f"track must be a str, got {track!r}")
        if track not in _TRACKS:
            raise ArgumentError(f"track must be 'inbound' or 'outbound', got {track!r}")
        self._stream = stream
        self._track = track
        self._rate = rate
        self._chunk = rate * chunk_ms // 1000
        self._ring = Ring(rate * buffer_ms // 1000, "drop_oldest")
        self._dropped = 0
        self._closed = False
        stream._sinks.setdefault(track, []).append(self)

    @property
    def dropped_ms(self) -> float:
        """Audio dropped because the consumer fell more than ``buffer_ms`` behind."""
        return self._dropped * 1000.0 / self._rate

    def _write(self, pcm: npt.NDArray[Any]) -> None:
        dropped, _ = self._ring.write(pcm)
        self._dropped += dropped

    def close(self) -> None:
        """Stop receiving audio and end the iteration; ``Media`` goes back to ``async for``."""
        self._closed = True
        self._stream._signal.fire()
        sinks = self._stream._sinks.get(self._track, [])
        if self in sinks:
            sinks.remove(self)
            if not sinks:
                del self._stream._sinks[self._track]

    def __aiter__(self) -> AsyncIterator[npt.NDArray[np.int16]]:
        return self

    async def __anext__(self) -> npt.NDArray[np.int16]:
        while not self._closed:
            chunk = self._ring.read(self._chunk)
            if chunk is not None:
                return chunk[0]
            if self._stream.closed:
                rest = self._ring.read(len(self._ring))
                if rest is not None and len(rest[0]):
                    return rest[0]
                break
            self._stream._require_running()
            await self._stream._signal.wait()
        self.close()
        raise StopAsyncIteration
