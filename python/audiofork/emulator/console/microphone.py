"""A browser's microphone as a call's caller audio: a live :class:`AudioSource`.

:class:`Microphone` takes 16-bit PCM at the page's rate as it arrives (:meth:`push`); each
stream that opens it gets a :class:`MicReader` at the stream's rate, fed through its own
streaming :class:`~audiofork.Resampler`. A stream's pacer reads 20 ms at each frame
boundary, so the reader is a small jitter buffer: what is missing at a read is silence
(counted as underrun), and when the least slack over the last :data:`WINDOW_READS` reads
(what was left beyond the read) stayed above :data:`SLACK_TARGET_MS`, the excess is
dropped from the oldest end: the delay stays near the arrival jitter, never growing.

Each read records how long the samples it took had waited (their mean, from arrival to the
read, which is when their frame is forked to the app): the microphone-to-app delay the
emulator adds.
"""

from __future__ import annotations

import time
import weakref
from collections import deque

import numpy as np

from audiofork import Resampler
from audiofork.emulator.audio import AudioReader, AudioSource, Pcm
from audiofork.emulator.console.latency import Latency

__all__ = ["MAX_BACKLOG_MS", "SLACK_TARGET_MS", "WINDOW_READS", "MicReader", "Microphone"]

#: Slack kept over the reads (ms): the arrival jitter the buffer absorbs without a gap.
SLACK_TARGET_MS = 10.0
#: Reads (20 ms each) over which the least slack is taken: one second.
WINDOW_READS = 50
#: Audio waiting beyond this (before the stream reads at all, say) is dropped, oldest first.
MAX_BACKLOG_MS = 200.0


class MicReader(AudioReader):
    """One stream's view of the microphone, at its ``rate`` (see the module doc)."""

    def __init__(self, page_rate: int, rate: int, latency: Latency) -> None:
        super().__init__(None, rate)
        self._resampler = Resampler(page_rate, rate)
        self._chunks: deque[tuple[float, Pcm]] = deque()  # (arrival, samples left)
        self.samples = 0
        self._latency = latency
        self._least_slack: int | None = None
        self._reads = 0
        self.underrun_samples = 0
        self.dropped_samples = 0

    def push(self, pcm: Pcm, arrival: float) -> None:
        """Microphone samples at the page's rate, arrived at ``arrival`` (monotonic s)."""
        converted = self._resampler.process(pcm)
        if len(converted):
            self._chunks.append((arrival, converted))
            self.samples += len(converted)
        excess = self.samples - round(MAX_BACKLOG_MS * self.rate / 1000)
        if excess > 0:
            self._drop(excess)

    def read(self, n: int) -> Pcm:
        """The next ``n`` samples: what waits, then silence."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self._steer(n)
        out = np.zeros(n, dtype=np.int16)
        taken = 0
        waited = 0.0
        now = time.monotonic()
        while taken < n and self._chunks:
            arrival, chunk = self._chunks[0]
            part = min(n - taken, len(chunk))
            out[taken : taken + part] = chunk[:part]
            waited += (now - arrival) * part
            taken += part
            if part == len(chunk):
                self._chunks.popleft()
            else:
                self._chunks[0] = (arrival, chunk[part:])
        self.samples -= taken
        self.underrun_samples += n - taken
        if taken:
            self._latency.add(waited / taken)
        return out

    def _steer(self, n: int) -> None:
        """Track the least slack over a window; at its end drop what is beyond the target."""
        slack = self.samples - n
        if self._least_slack is None or slack < self._least_slack:
            self._least_slack = slack
        self._reads += 1
        if self._reads < WINDOW_READS:
            return
        target = round(SLACK_TARGET_MS * self.rate / 1000)
        if self._least_slack is not None and self._least_slack > target:
            self._drop(self._least_slack - target)
        self._least_slack = None
        self._reads = 0

    def _drop(self, samples: int) -> None:
        dropped = 0
        while dropped < samples and self._chunks:
            arrival, chunk = self._chunks[0]
            part = min(samples - dropped, len(chunk))
            if part == len(chunk):
                self._chunks.popleft()
            else:
                self._chunks[0] = (arrival, chunk[part:])
            dropped += part
        self.samples -= dropped
        self.dropped_samples += dropped


class Microphone(AudioSource):
    """The caller's audio of a softphone call: silence until the page's microphone speaks,
    then what it says (see the module doc); it never ends."""

    def __init__(self, page_rate: int) -> None:
        super().__init__()
        self.page_rate = page_rate
        self.latency = Latency()
        self._readers: weakref.WeakSet[MicReader] = weakref.WeakSet()
        self.received_ms = 0.0

    def open(self, rate: int) -> MicReader:
        """A reader at ``rate`` Hz for one stream."""
        reader = MicReader(self.page_rate, rate, self.latency)
        self._readers.add(reader)
        return reader

    def push(self, pcm: Pcm) -> None:
        """One chunk from the page, to every open reader."""
        self.received_ms += len(pcm) * 1000 / self.page_rate
        now = time.monotonic()
        for reader in list(self._readers):
            reader.push(pcm, now)

    def counters(self) -> dict[str, float]:
        """Microphone audio received, dropped to bound the delay and missing at reads (ms;
        summed over the streams)."""
        readers = list(self._readers)
        return {
            "mic_ms": round(self.received_ms),
            "mic_dropped_ms": round(sum(r.dropped_samples * 1000 / r.rate for r in readers)),
            "mic_underrun_ms": round(sum(r.underrun_samples * 1000 / r.rate for r in readers)),
        }
