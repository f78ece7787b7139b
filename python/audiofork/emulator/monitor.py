"""What the console sees of each stream as it happens: levels, a waveform envelope, an event
timeline, the app's replies (utterances) and the playout queue.

A :class:`StreamMonitor` is fed by its stream (the :class:`StreamRunner` passes every frame
and every notice of the :class:`~audiofork.platform.PlatformStream`, the keys pressed; the
:class:`Fork` its status-callback notices) and by the callback sender (each delivery's
result). It keeps bounded history only: :data:`WAVE_FRAMES` frames of envelope,
:data:`MAX_EVENTS` events and :data:`MAX_UTTERANCES` utterances, trimmed further when the
stream ends. Listeners (the softphone) see every frame and notice of the stream.

A stream nobody looks at costs one attribute check a frame: the runner hands a frame over
only while :attr:`StreamMonitor.wants_frames`, that is while a page watches the stream
(:meth:`~StreamMonitor.watch`; only then is the waveform kept), a listener listens, or a
reply of the app is playing (its figures need the frames). Events, counts and replies are
kept whether or not anyone watches.

Everything a peer wrote (a checkpoint name, an error) is kept clipped and as text; the
console shows it as text, never as markup. Service URLs in errors arrive redacted.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from audiofork.emulator.logs import clip
from audiofork.emulator.stream_spec import StreamNotice
from audiofork.platform import (
    AudioCleared,
    AudioQueued,
    BadInput,
    CheckpointAnswered,
    CheckpointReceived,
    ClearAnswered,
    Degraded,
    Frame,
    Notice,
    StopReceived,
)
from audiofork.vobiz import redact_urls

__all__ = [
    "MAX_CALLBACK_TRIES",
    "MAX_EVENTS",
    "MAX_UTTERANCES",
    "UTTERANCE_GAP_FRAMES",
    "WAVE_FRAMES",
    "CallbackTry",
    "Event",
    "Monitors",
    "StreamListener",
    "StreamMonitor",
    "Utterance",
]

#: Frames of waveform envelope kept per live stream (10 s).
WAVE_FRAMES = 500
#: Timeline events kept per live stream; once it has ended, the last :data:`ENDED_EVENTS`.
MAX_EVENTS = 300
ENDED_EVENTS = 100
#: Utterances kept per stream.
MAX_UTTERANCES = 100
#: Status-callback tries kept per stream (the latest).
MAX_CALLBACK_TRIES = 1000
#: Frames of an empty playout queue that end an utterance (200 ms): audio queued after a
#: shorter gap continues the same reply.
UTTERANCE_GAP_FRAMES = 10


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the timeline: ``t`` seconds (virtual) after the stream was created."""

    seq: int
    t: float
    kind: str  # start, checkpoint, acknowledged, clear, cleared, dtmf, callback, error, stop
    text: str


@dataclass(frozen=True, slots=True)
class CallbackTry:
    """One try of a status callback: its ``event``, its ``outcome`` (``HTTP 200``, a
    connection error; URLs redacted), whether it was ``delivered``, and which try it was
    (from 1)."""

    event: str
    outcome: str
    delivered: bool
    attempt: int


@dataclass(slots=True)
class Utterance:
    """One reply of the app: audio queued without a gap of :data:`UTTERANCE_GAP_FRAMES`,
    how much of it the caller heard, and how it ended (``playing``, ``played``,
    ``cleared``, or ``cut`` by the stream's end)."""

    seq: int
    start: float
    queued_ms: float = 0.0
    played_ms: float = 0.0
    cleared_ms: float = 0.0
    end: float | None = None
    outcome: str = "playing"


class StreamListener(Protocol):
    """Sees every frame and notice of one stream, as they happen (the softphone)."""

    def on_frame(self, monitor: StreamMonitor, frame: Frame, queued_ms: float) -> None: ...

    def on_notices(self, monitor: StreamMonitor, notices: Sequence[Notice]) -> None: ...


def _peak(pcm: np.ndarray) -> int:
    """The frame's peak magnitude, 0 to 32768."""
    if pcm.size == 0:
        return 0
    return max(int(pcm.max()), -int(pcm.min()))


class StreamMonitor:
    """One stream as the console shows it (see the module doc). ``clock`` gives virtual
    seconds; ``bidirectional`` and ``forks_caller`` say whether the app plays audio on it
    and whether it carries the caller's voice."""

    def __init__(
        self,
        call_uuid: str,
        stream_id: str,
        content_type: str,
        rate: int,
        clock: Callable[[], float],
        *,
        bidirectional: bool = True,
        forks_caller: bool = True,
    ) -> None:
        self.call_uuid = call_uuid
        self.bidirectional = bidirectional
        self.forks_caller = forks_caller
        self.first_id = stream_id
        self.stream_id = stream_id
        self.content_type = content_type
        self.rate = rate
        self._clock = clock
        self._origin = clock()
        #: Peaks per frame, caller side (the first forked track) and played to the caller.
        self.wave: deque[tuple[int, int]] = deque(maxlen=WAVE_FRAMES)
        self.frames = 0  # envelope points kept while watched; the index of the next one
        self.frames_played = 0  # frames that carried app audio to the caller
        self.queued_ms = 0.0
        self.events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._event_seq = 0
        self.utterances: deque[Utterance] = deque(maxlen=MAX_UTTERANCES)
        self._utterance_seq = 0
        self._idle_frames = 0
        self.counts = {"checkpoints": 0, "acknowledged": 0, "clears": 0, "callbacks_failed": 0}
        #: Every try of the stream's status callbacks, in order (the last
        #: :data:`MAX_CALLBACK_TRIES`; kept after the stream has ended).
        self.callback_tries: deque[CallbackTry] = deque(maxlen=MAX_CALLBACK_TRIES)
        self.listeners: list[StreamListener] = []
        self.watchers = 0  # pages watching
        #: Whether the runner should hand this monitor its frames (see the module doc).
        self.wants_frames = False
        self.ended = False

    @property
    def last_event_seq(self) -> int:
        """The sequence number of the latest event (0: none yet)."""
        return self._event_seq

    def _now(self) -> float:
        return self._clock() - self._origin

    def add_event(self, kind: str, text: str) -> None:
        """Append one event to the timeline (the text clipped)."""
        self._event_seq += 1
        self.events.append(Event(self._event_seq, round(self._now(), 3), kind, clip(text)))

    # --- who looks ----------------------------------------------------------------------

    def watch(self) -> None:
        """A page starts watching: the waveform is kept from now on."""
        self.watchers += 1
        self._refresh()

    def unwatch(self) -> None:
        """A page stops watching (each :meth:`watch` is undone once)."""
        self.watchers = max(self.watchers - 1, 0)
        self._refresh()

    def add_listener(self, listener: StreamListener) -> None:
        """``listener`` sees every frame and notice from now on."""
        if not self.ended:
            self.listeners.append(listener)
            self._refresh()

    def remove_listener(self, listener: StreamListener) -> None:
        """``listener`` stops listening (idempotent)."""
        if listener in self.listeners:
            self.listeners.remove(listener)
            self._refresh()

    def _refresh(self) -> None:
        self.wants_frames = not self.ended and bool(
            self.watchers or self.listeners or self._current() is not None
        )

    # --- fed by the stream ----------------------------------------------------------------

    def frame(self, frame: Frame, queued_ms: float) -> None:
        """A frame boundary passed: ``frame`` as :meth:`PlatformStream.tick` gave it, the
        playout queue now holding ``queued_ms`` (called while :attr:`wants_frames`)."""
        if self.watchers:
            sent = next(iter(frame.sent.values()), None)
            self.wave.append((0 if sent is None else _peak(sent), _peak(frame.played)))
            self.frames += 1
        self.queued_ms = queued_ms
        current = self._current()
        if frame.played_samples:
            self.frames_played += 1
            if current is not None:
                current.played_ms += frame.played_samples * 1000 / self.rate
        if current is not None:
            self._idle_frames = self._idle_frames + 1 if queued_ms == 0 else 0
            if self._idle_frames >= UTTERANCE_GAP_FRAMES:
                self._end_utterance(current, "played")
        for listener in self.listeners:
            listener.on_frame(self, frame, queued_ms)

    def notices(self, notices: Sequence[Notice]) -> None:
        """What the stream reported after an app message or a frame."""
        for notice in notices:
            self._notice(notice)
        for listener in self.listeners:
            listener.on_notices(self, notices)

    def _notice(self, notice: Notice) -> None:
        if isinstance(notice, AudioQueued):
            current = self._current()
            if current is None:
                self._utterance_seq += 1
                current = Utterance(self._utterance_seq, round(self._now(), 3))
                self.utterances.append(current)
                self._refresh()
            current.queued_ms += notice.duration_ms
            self._idle_frames = 0
            self.queued_ms = notice.queued_ms
        elif isinstance(notice, CheckpointReceived):
            self.counts["checkpoints"] += 1
            self.add_event("checkpoint", f"checkpoint {notice.name!r} from the app")
        elif isinstance(notice, CheckpointAnswered):
            self.counts["acknowledged"] += 1
            self.add_event("acknowledged", f"playedStream {notice.name!r}: checkpoint played")
        elif isinstance(notice, AudioCleared):
            self.counts["clears"] += 1
            self.add_event(
                "clear",
                f"clearAudio: {notice.cleared_ms:.0f} ms dropped, "
                f"{notice.checkpoints_dropped} checkpoints dropped",
            )
            self.queued_ms = 0.0
            current = self._current()
            if current is not None:
                current.cleared_ms += notice.cleared_ms
                self._end_utterance(current, "cleared")
        elif isinstance(notice, ClearAnswered):
            self.add_event("cleared", "clearedAudio sent")
        elif isinstance(notice, StopReceived):
            self.add_event("stop", "the app sent stop")
        elif isinstance(notice, (BadInput, Degraded)):
            self.add_event("error", f"{notice.kind}: {notice.detail}")

    def stream_notice(self, notice: StreamNotice) -> None:
        """What the stream reports through status callbacks (its error already redacted)."""
        if notice.event == "StartStream":
            self.stream_id = notice.stream_id
            self.add_event("start", f"start: stream {notice.stream_id} ({self.content_type})")
        elif notice.event == "StopStream":
            self.add_event("stop", f"stream {notice.stream_id} stopped")
        elif notice.event == "DroppedStream":
            self.add_event("error", f"stream {notice.stream_id} dropped: {notice.error}")

    def dtmf(self, digits: str) -> None:
        """The caller pressed ``digits``."""
        self.add_event("dtmf", f"DTMF {digits}")

    def callback(self, event: str, outcome: str, delivered: bool, attempt: int) -> None:
        """A status callback ``event`` was tried (the ``attempt``-th time): its ``outcome``
        (``HTTP 200``, a connection error) and whether it was delivered."""
        outcome = redact_urls(outcome)  # a connection error may quote the URL
        self.callback_tries.append(CallbackTry(event, clip(outcome), delivered, attempt))
        if delivered:
            self.add_event("callback", f"status callback {event}: delivered, {outcome}")
        else:
            self.counts["callbacks_failed"] += 1
            self.add_event("callback", f"status callback {event}, try {attempt}: {outcome}")

    def close(self, summary: str) -> None:
        """The stream has ended (``summary`` says how): keep only a short history."""
        self.ended = True
        current = self._current()
        if current is not None:
            self._end_utterance(current, "cut")
        self.add_event("stop", summary)
        self.wave = deque(maxlen=0)
        self.events = deque(list(self.events)[-ENDED_EVENTS:], maxlen=ENDED_EVENTS)
        self.listeners = []
        self._refresh()

    # --- utterances -----------------------------------------------------------------------

    def _current(self) -> Utterance | None:
        if self.utterances and self.utterances[-1].end is None:
            return self.utterances[-1]
        return None

    def _end_utterance(self, utterance: Utterance, outcome: str) -> None:
        utterance.end = round(self._now(), 3)
        utterance.outcome = outcome
        self._idle_frames = 0
        self._refresh()


class Monitors:
    """The monitors of one emulator's streams, by the id each stream started with (status
    callbacks are keyed by it), and who waits for a call's streams (the softphone)."""

    def __init__(self) -> None:
        self._by_first_id: weakref.WeakValueDictionary[str, StreamMonitor] = (
            weakref.WeakValueDictionary()
        )
        self._call_watchers: dict[str, list[Callable[[StreamMonitor], None]]] = {}

    def open(
        self,
        call_uuid: str,
        stream_id: str,
        content_type: str,
        rate: int,
        clock: Callable[[], float],
        *,
        bidirectional: bool = True,
        forks_caller: bool = True,
    ) -> StreamMonitor:
        """A new stream's monitor; those watching its call are told."""
        monitor = StreamMonitor(
            call_uuid,
            stream_id,
            content_type,
            rate,
            clock,
            bidirectional=bidirectional,
            forks_caller=forks_caller,
        )
        self._by_first_id[stream_id] = monitor
        for watcher in list(self._call_watchers.get(call_uuid, ())):
            watcher(monitor)
        return monitor

    def watch_call(self, call_uuid: str, watcher: Callable[[StreamMonitor], None]) -> None:
        """Call ``watcher`` with each stream of ``call_uuid`` opened from now on."""
        self._call_watchers.setdefault(call_uuid, []).append(watcher)

    def unwatch_call(self, call_uuid: str, watcher: Callable[[StreamMonitor], None]) -> None:
        """Stop calling ``watcher`` (idempotent)."""
        watchers = self._call_watchers.get(call_uuid, [])
        if watcher in watchers:
            watchers.remove(watcher)
        if not watchers:
            self._call_watchers.pop(call_uuid, None)

    def callback_result(
        self, order_key: str, event: str, outcome: str, delivered: bool, attempt: int
    ) -> None:
        """A status callback of the stream first named ``order_key`` was tried."""
        monitor = self._by_first_id.get(order_key)
        if monitor is not None:
            monitor.callback(event, outcome, delivered, attempt)
