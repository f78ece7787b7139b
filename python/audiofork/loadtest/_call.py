"""One simulated call against an echo app, without I/O: a :class:`PlatformStream` whose
caller speaks frame tags, and what the caller got back, measured.

The driver owns the socket and the clock (seconds, any monotonic origin): it sends what
:meth:`EchoCall.start`, :meth:`EchoCall.tick` (every 20 ms) and :meth:`EchoCall.receive`
(each app message) return, and reads :meth:`EchoCall.result` at the end.

Measured end to end:

- **added latency** of each echoed frame: from the tick that sent the frame to the arrival
  of the app message that carries the start of its echo (an app that resamples holds back
  a few ms of filter delay, so the end of a frame's echo comes with the next message);
- **gaps**: the caller's loudspeaker running dry (the platform's playout underruns)
  between the first echoed audio and the last tag read, each gap's length in ms;
- **lost, duplicated and reordered frames**, from the tags read back (``_tags``);
- **time to first audio**: from the first frame sent to the first app audio received.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from audiofork.loadtest._tags import TagReader, tag_frame
from audiofork.platform import AudioQueued, BadInput, Degraded, PlatformState, PlatformStream

__all__ = ["CallResult", "EchoCall", "TaggedVoice"]

#: The stream's format: what telephony platforms send.
CONTENT_TYPE = "audio/x-mulaw;rate=8000"


class TaggedVoice:
    """The caller's voice: frame ``k`` carries tag ``k`` for the first ``frames`` frames,
    then silence (a :class:`~audiofork.platform.TrackSource`)."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.read_count = 0

    def read(self, n: int) -> np.ndarray:
        number = self.read_count
        self.read_count += 1
        if number < self.frames:
            return tag_frame(number, n)
        return np.zeros(n, dtype=np.int16)


@dataclass
class CallResult:
    """What one call measured; times in ms."""

    frames_sent: int = 0  # tagged frames sent
    media_sent: int = 0  # media messages sent, the silence after the tags included
    frames_echoed: int = 0  # distinct tagged frames read back
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # one per frame read back
    gaps_ms: list[float] = field(default_factory=list)  # one per underrun inside the echo
    first_audio_ms: float | None = None
    skipped_ms: float = 0.0  # echoed audio between tags that carried none
    refused: int = 0  # app messages the platform refused (BadInput)
    degraded: int = 0  # playout overflows or media dropped for the send backlog

    @property
    def longest_gap_ms(self) -> float:
        return max(self.gaps_ms, default=0.0)


class EchoCall:
    """A call that speaks ``seconds`` of tagged frames to an echo app (see the module doc).

    After the tagged frames it goes on sending silence until the last echo is read or
    ``tail_frames`` frames have passed (:attr:`done`).
    """

    def __init__(self, seconds: float, *, stream_id: str = "load", tail_frames: int = 50) -> None:
        frames = max(1, round(seconds * 50))
        self.voice = TaggedVoice(frames)
        self.stream = PlatformStream(
            CONTENT_TYPE,
            stream_id=stream_id,
            call_id=f"call-{stream_id}",
            bidirectional=True,
            sources={"inbound": self.voice},
        )
        rate = self.stream.rate
        self._ms_per_sample = 1000 / rate
        self._reader = TagReader(self.stream.frame_samples)
        self._tail_frames = tail_frames
        self._sent_at: list[float] = []
        self._arrivals: deque[tuple[int, float]] = deque()  # (end position, arrival time)
        self._queued = 0  # app samples received so far
        self._seen = np.zeros(frames, dtype=bool)
        self._highest = -1
        self._gap = 0  # samples of the gap in progress
        self._audio_started = False
        self.result = CallResult()

    @property
    def done(self) -> bool:
        """All tagged frames were sent, and their echoes read or given up on."""
        sent = self.voice.read_count
        tags = self.voice.frames
        if sent < tags:
            return False
        return self._highest >= tags - 1 or sent >= tags + self._tail_frames

    def start(self) -> list[str]:
        self.stream.start()
        return self.stream.data_to_send()

    def tick(self, now: float) -> list[str]:
        """One frame boundary at time ``now`` (s): the messages to send."""
        frame = self.stream.tick()
        if len(self._sent_at) < self.voice.frames:
            self._sent_at.append(now)
        played = frame.played_samples
        if played:
            self._audio_started = True
            if self._gap:
                self.result.gaps_ms.append(self._gap * self._ms_per_sample)
                self._gap = 0
            self._read_tags(frame.played[:played] if played < len(frame.played) else frame.played)
        if self._audio_started and played < len(frame.played):
            self._gap += len(frame.played) - played
        return self.stream.data_to_send()

    def receive(self, message: str | bytes, now: float) -> list[str]:
        """An app message arrived at ``now`` (s): the messages to send in reply (none once
        the call has hung up: what is still in flight then is not measured)."""
        if self.stream.state is PlatformState.CLOSED:
            return []
        for notice in self.stream.receive(message):
            if isinstance(notice, AudioQueued):
                samples = round(notice.duration_ms / self._ms_per_sample)
                self._queued += samples
                self._arrivals.append((self._queued, now))
                if self.result.first_audio_ms is None and self._sent_at:
                    self.result.first_audio_ms = (now - self._sent_at[0]) * 1000
            elif isinstance(notice, BadInput):
                self.result.refused += 1
            elif isinstance(notice, Degraded):
                self.result.degraded += 1
        return self.stream.data_to_send() if self.stream.has_data_to_send else []

    def hang_up(self) -> list[str]:
        """End the call (``stop``); the messages to send before closing the socket."""
        self.stream.stop()
        return self.stream.data_to_send()

    def finish(self) -> CallResult:
        """The measurements, once the call is over (also after a lost connection)."""
        result = self.result
        result.frames_sent = min(len(self._sent_at), self.voice.frames)
        result.media_sent = self.stream.stats.media_sent["inbound"]
        result.frames_echoed = int(self._seen[: result.frames_sent].sum())
        result.lost = result.frames_sent - result.frames_echoed
        result.skipped_ms = self._reader.counts.skipped_samples * self._ms_per_sample
        return result

    def _read_tags(self, pcm: np.ndarray) -> None:
        frame = self._reader.frame
        for end, number in self._reader.feed(pcm):
            arrival = self._arrival_of(end - frame)
            if number >= len(self._seen) or number >= len(self._sent_at):
                continue  # not a frame of this call (a tag the app made up)
            if self._seen[number]:
                self.result.duplicated += 1
                continue
            self._seen[number] = True
            if number < self._highest:
                self.result.reordered += 1
            self._highest = max(self._highest, number)
            self.result.latencies_ms.append((arrival - self._sent_at[number]) * 1000)

    def _arrival_of(self, position: int) -> float:
        """When the app message holding sample ``position`` arrived."""
        arrivals = self._arrivals
        while len(arrivals) > 1 and arrivals[0][0] <= position:
            arrivals.popleft()
        return arrivals[0][1]
