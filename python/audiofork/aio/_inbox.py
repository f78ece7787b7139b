"""``Inbox``: what the platform sent that the app has not taken yet, and who waits for what."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy.typing as npt

from audiofork.aio._wakeup import Wakeup
from audiofork.events import Media
from audiofork.session import (
    CheckpointOutcome,
    CheckpointResolved,
    SessionEvent,
    StreamClosed,
    UtteranceResolved,
)

__all__ = ["DEFAULT_MAX_EVENTS", "DEFAULT_MAX_EVENT_BYTES", "AudioSink", "Inbox"]

#: Events kept for ``async for`` when the app does not keep up (the oldest are dropped).
DEFAULT_MAX_EVENTS = 1000
#: Bytes those events may keep alive, 4 MiB: about 40 s of 16 kHz ``Media`` in typical frames.
DEFAULT_MAX_EVENT_BYTES = 4 << 20

#: Takes the samples of one ``Media`` event of its track (an ``AudioChunks`` ring).
AudioSink = Callable[[npt.NDArray[Any]], None]


class Inbox:
    """One stream's events for ``async for``, its audio sinks, its checkpoint futures and its
    wake-ups.

    Events not taken yet are bounded in count (``max_events``) and in bytes (``max_bytes``):
    each is charged the samples it holds and the text of the message it keeps alive. Past
    either bound the oldest are dropped, and counted in :attr:`dropped_events` and
    :attr:`dropped_bytes`; an event larger than ``max_bytes`` on its own is dropped at once.
    While a sink is open for a track, that track's ``Media`` goes to it instead.
    """

    def __init__(self, max_events: int, max_bytes: int) -> None:
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._events: deque[tuple[SessionEvent, int]] = deque()
        self._bytes = 0
        self._sinks: dict[str, list[AudioSink]] = {}
        self._checkpoints: dict[str, asyncio.Future[CheckpointOutcome]] = {}
        #: Fired when events or audio arrive, and when the stream ends.
        self.arrived = Wakeup()
        #: Fired when playback moves other than by the clock: a checkpoint resolved, a
        #: clear, the end of the stream.
        self.progress = Wakeup()
        #: The stream ended (its last event, ``StreamClosed``, came in).
        self.ended = False
        #: Events dropped because nobody took them in time.
        self.dropped_events = 0
        #: Bytes those dropped events held.
        self.dropped_bytes = 0
        #: Called with each ``UtteranceResolved`` as it comes in (the stream's speaker).
        self.on_utterance: Callable[[UtteranceResolved], None] | None = None
        #: Called with each ``CheckpointResolved`` as it comes in (the stream's metrics).
        self.on_checkpoint: Callable[[CheckpointResolved], None] | None = None

    @property
    def held_bytes(self) -> int:
        """Bytes charged to the events kept now (at most ``max_bytes``)."""
        return self._bytes

    # --- events ----------------------------------------------------------------------------

    def deliver(self, events: list[SessionEvent], message_bytes: int = 0) -> None:
        """Take the events the session returned for one message of ``message_bytes``.

        Resolves the futures of resolved checkpoints and hands them to
        :attr:`on_checkpoint`, hands resolved utterances to :attr:`on_utterance`, feeds
        audio sinks, keeps the rest, and wakes whoever waits.
        """
        charge = message_bytes  # the message is kept alive by its first event
        moved = False
        for event in events:
            if type(event) is Media:
                pcm = event.pcm
                if pcm is not None:
                    sinks = self._sinks.get(event.track)
                    if sinks:
                        for sink in sinks:
                            sink(pcm)
                        charge = 0
                        continue
                    charge += pcm.nbytes
                if event is not events[0]:  # media kept from before start: its own message
                    charge += len(event.payload)
            elif type(event) is CheckpointResolved:
                self._resolve(event)
                if self.on_checkpoint is not None:
                    self.on_checkpoint(event)
                moved = True
            elif type(event) is UtteranceResolved:
                if self.on_utterance is not None:
                    self.on_utterance(event)
                moved = True
            elif type(event) is StreamClosed:
                self._end()
                moved = True
            self._keep(event, charge)
            charge = 0
        if moved:
            self.progress.fire()
        self.arrived.fire()

    def next_event(self) -> SessionEvent | None:
        """The oldest event kept, or ``None``."""
        if not self._events:
            return None
        event, size = self._events.popleft()
        self._bytes -= size
        return event

    def _keep(self, event: SessionEvent, size: int) -> None:
        events = self._events
        events.append((event, size))
        self._bytes += size
        while len(events) > self._max_events or self._bytes > self._max_bytes:
            _, dropped = events.popleft()
            self._bytes -= dropped
            self.dropped_events += 1
            self.dropped_bytes += dropped

    # --- audio sinks -----------------------------------------------------------------------

    def add_sink(self, track: str, sink: AudioSink) -> None:
        """Send ``track``'s samples to ``sink`` instead of ``async for``."""
        self._sinks.setdefault(track, []).append(sink)

    def remove_sink(self, track: str, sink: AudioSink) -> None:
        """Stop feeding ``sink``; with no sink left, the track's ``Media`` is kept as events."""
        sinks = self._sinks.get(track, [])
        if sink in sinks:
            sinks.remove(sink)
            if not sinks:
                del self._sinks[track]

    # --- checkpoints -----------------------------------------------------------------------

    def watch(self, name: str) -> asyncio.Future[CheckpointOutcome]:
        """A future for the outcome of the checkpoint ``name`` (resolved ``closed`` at the end
        of the stream at the latest)."""
        future: asyncio.Future[CheckpointOutcome] = asyncio.get_running_loop().create_future()
        if self.ended:
            future.set_result(CheckpointOutcome.CLOSED)
        else:
            self._checkpoints[name] = future
        return future

    def forget(self, name: str, future: asyncio.Future[CheckpointOutcome]) -> None:
        """Nobody waits for ``future`` any more."""
        if self._checkpoints.get(name) is future:
            del self._checkpoints[name]

    def _resolve(self, event: CheckpointResolved) -> None:
        future = self._checkpoints.pop(event.name, None)
        if future is not None and not future.done():
            future.set_result(event.outcome)

    def _end(self) -> None:
        self.ended = True
        # The session resolves every checkpoint before it closes; this only makes sure.
        futures, self._checkpoints = self._checkpoints, {}
        for future in futures.values():
            if not future.done():
                future.set_result(CheckpointOutcome.CLOSED)
