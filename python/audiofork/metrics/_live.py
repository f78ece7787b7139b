"""The live streams of this process and their counters, read for the metrics' exporters.

Nothing here runs per frame. An :class:`~audiofork.AudioStream` registers when entered and
folds its final counters into the process totals when closed; a checkpoint reports its
turnaround when it resolves. A timer on each event loop that serves streams (no task) wakes
every ``interval_s``: how late it wakes is the loop's lag, and it reads the counters of that
loop's streams there, on their own thread. Exporters (:mod:`audiofork.metrics`) read the
last reading, from any thread: values are at most ``interval_s`` old, except what a
stream's close folded in, which is exact.

All of it is a no-op until :func:`audiofork.metrics.enable`.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["LIVE", "Counts", "LiveStreams", "ObservedStream", "Snapshot"]


class ObservedSession(Protocol):
    """What is read of a :class:`~audiofork.session.StreamSession`."""

    frame_ms: int

    @property
    def stats(self) -> Mapping[str, float]: ...

    @property
    def playable_ms(self) -> float: ...

    def heard_ms(self) -> float: ...


class ObservedStream(Protocol):
    """What is read of an :class:`~audiofork.AudioStream`."""

    @property
    def session(self) -> ObservedSession: ...

    @property
    def refused_by_kind(self) -> Mapping[str, int]: ...


@dataclass
class Counts:
    """Counters of one stream, or summed over streams."""

    media_received: int = 0  # media messages from the platform
    frames_sent: int = 0  # playAudio frames sent
    sent_ms: float = 0.0  # app audio sent (whole frames)
    heard_ms: float = 0.0  # of it, heard by the caller (the session's estimate)
    cleared_ms: float = 0.0  # app audio dropped by a clear before it played
    refused: dict[str, int] = field(default_factory=dict)  # platform messages, by kind

    def add(self, other: Counts) -> None:
        self.media_received += other.media_received
        self.frames_sent += other.frames_sent
        self.sent_ms += other.sent_ms
        self.heard_ms += other.heard_ms
        self.cleared_ms += other.cleared_ms
        for kind, count in other.refused.items():
            self.refused[kind] = self.refused.get(kind, 0) + count


@dataclass(frozen=True)
class Snapshot:
    """The process's streams as last read: every counter summed over the streams ever
    registered; ``ahead_ms`` is each live stream's audio sent and not yet heard."""

    opened: int
    live: int
    totals: Counts
    ahead_ms: tuple[float, ...]


@dataclass
class _Entry:
    loop: asyncio.AbstractEventLoop
    counts: Counts
    ahead_ms: float = 0.0


def read(stream: ObservedStream, before: Counts) -> tuple[Counts, float]:
    """``stream``'s counters now (heard never behind ``before``), and its audio ahead."""
    session = stream.session
    stats = session.stats
    frames = int(stats["frames"])
    heard = max(session.heard_ms(), before.heard_ms)
    counts = Counts(
        media_received=int(stats["media"]),
        frames_sent=frames,
        sent_ms=frames * session.frame_ms,
        heard_ms=heard,
        cleared_ms=stats["cleared_ms"],
        refused=dict(stream.refused_by_kind),
    )
    return counts, max(session.playable_ms - heard, 0.0)


class LiveStreams:
    """The registry (one per process: :data:`LIVE`); see the module doc."""

    def __init__(self) -> None:
        self.enabled = False
        self.interval_s = 1.0
        #: Called with (outcome, seconds) when a checkpoint resolves.
        self.on_checkpoint: list[Callable[[str, float], None]] = []
        #: Called with the seconds an event loop's timer woke late.
        self.on_lag: list[Callable[[float], None]] = []
        self._lock = threading.RLock()
        self._streams: dict[weakref.ref[ObservedStream], _Entry] = {}
        self._timers: dict[asyncio.AbstractEventLoop, asyncio.TimerHandle] = {}
        self._ended = Counts()
        self._opened = 0
        # Streams the collector freed unclosed: their weak references, queued by the
        # collector (which may run on any thread, in the middle of a scrape) and removed
        # under the lock by _reap().
        self._dead: list[weakref.ref[ObservedStream]] = []

    # --- from the streams (their event loop's thread) ----------------------------------

    def opened(self, stream: ObservedStream) -> None:
        """``stream`` was entered (``async with``)."""
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        with self._lock:
            self._reap()
            self._streams[weakref.ref(stream, self._dead.append)] = _Entry(loop, Counts())
            self._opened += 1
        if loop not in self._timers:
            self._schedule(loop)

    def closed(self, stream: ObservedStream) -> None:
        """``stream`` was closed: its final counters join the totals. Idempotent."""
        with self._lock:
            entry = self._streams.pop(weakref.ref(stream), None)
            if entry is None:
                return
            self._ended.add(read(stream, entry.counts)[0])
            idle = not any(e.loop is entry.loop for e in self._streams.values())
        if idle and (timer := self._timers.pop(entry.loop, None)) is not None:
            timer.cancel()

    def checkpoint_resolved(self, outcome: str, seconds: float) -> None:
        """A checkpoint resolved ``outcome`` ``seconds`` after it was placed."""
        for observe in self.on_checkpoint:
            observe(outcome, seconds)

    def _reap(self) -> None:
        """Under the lock: streams dropped without being closed, and those of event loops
        that closed, leave the registry (so no closed loop is kept alive); their last
        readings join the totals."""
        dead, streams = self._dead, self._streams
        gone = [dead.pop() for _ in range(len(dead))]
        gone += [ref for ref, entry in list(streams.items()) if entry.loop.is_closed()]
        for ref in gone:
            entry = streams.pop(ref, None)
            if entry is not None:
                self._ended.add(entry.counts)
        for loop in [loop for loop in self._timers if loop.is_closed()]:
            del self._timers[loop]

    # --- the timer on each loop ----------------------------------------------------------

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        due = loop.time() + self.interval_s
        self._timers[loop] = loop.call_at(due, self._sample, loop, due)

    def _sample(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        lag = max(loop.time() - due, 0.0)
        for observe in self.on_lag:
            observe(lag)
        with self._lock:
            self._reap()
            mine = [(ref, e) for ref, e in self._streams.items() if e.loop is loop]
            for ref, entry in mine:
                stream = ref()
                if stream is not None:
                    entry.counts, entry.ahead_ms = read(stream, entry.counts)
        if mine and self.enabled:
            self._schedule(loop)
        else:
            self._timers.pop(loop, None)

    # --- for the exporters (any thread) --------------------------------------------------

    def snapshot(self) -> Snapshot:
        with self._lock:
            self._reap()
            totals = Counts()
            totals.add(self._ended)
            for entry in self._streams.values():
                totals.add(entry.counts)
            ahead = tuple(entry.ahead_ms for entry in self._streams.values())
            return Snapshot(self._opened, len(self._streams), totals, ahead)

    def reset(self) -> None:
        """Forget every stream and total (:func:`audiofork.metrics.disable`)."""
        with self._lock:
            self.enabled = False
            self.on_checkpoint.clear()
            self.on_lag.clear()
            self._streams.clear()
            self._dead.clear()
            self._ended = Counts()
            self._opened = 0
            timers, self._timers = self._timers, {}
        for timer in timers.values():
            timer.cancel()


#: The process's registry.
LIVE = LiveStreams()
