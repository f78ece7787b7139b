"""A forked track's audio with speech pushed over it: the caller talking over a recording.

:class:`TalkOver` is a :class:`~audiofork.platform.TrackSource` made of a base source (a
recording, a tone, silence) and a bounded queue of pushed speech. Each read takes the base
source's next samples, and where pushed speech is queued it plays that speech instead
(``"replace"``) or both summed, saturating at full scale (``"mix"``), chosen per push.
The base runs on underneath either way: it is muted while replaced, never paused, so it
resumes where it would have been. Pushed speech plays in the order pushed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np

from audiofork.errors import ArgumentError
from audiofork.platform._audio_queue import MAX_QUEUE_S, AudioQueue, PcmInput, TrackSource
from audiofork.platform._notices import Pcm

__all__ = ["TALK_MODES", "TalkMode", "TalkOver", "check_talk_mode"]

#: How pushed speech meets the base audio.
TalkMode: TypeAlias = Literal["replace", "mix"]
TALK_MODES: tuple[TalkMode, ...] = ("replace", "mix")


def check_talk_mode(mode: object) -> TalkMode:
    """``mode`` if it is ``"replace"`` or ``"mix"`` (:class:`ArgumentError` naming it)."""
    if mode == "replace" or mode == "mix":
        return mode
    raise ArgumentError(f"mode must be 'replace' or 'mix', got {mode!r:.40}")


@dataclass(slots=True)
class _Run:
    """Queued speech of one mode: ``samples`` of it."""

    mode: TalkMode
    samples: int


class TalkOver:
    """``base`` at ``rate`` Hz with speech pushed over it (see the module doc); at most
    ``max_seconds`` of pushed speech waits."""

    def __init__(self, base: TrackSource, rate: int, max_seconds: float = MAX_QUEUE_S) -> None:
        if not callable(getattr(base, "read", None)):
            raise TypeError(f"base must have a read(n) method, got {base!r:.80}")
        self.base = base
        self._queue = AudioQueue(rate, max_seconds)
        self.rate = self._queue.rate
        # The modes of the queued speech, oldest first, one run per stretch of one mode.
        self._runs: deque[_Run] = deque()

    @property
    def capacity(self) -> int:
        """The most samples of pushed speech that can wait."""
        return self._queue.capacity

    @property
    def queued_samples(self) -> int:
        """Pushed speech not yet read."""
        return self._queue.queued_samples

    @property
    def queued_ms(self) -> float:
        return self._queue.queued_ms

    def push(self, pcm: PcmInput, rate: int, mode: TalkMode = "replace") -> int:
        """Queue ``pcm`` (mono int16/float32 or int16 bytes at ``rate`` Hz) to play after
        what is queued; returns the samples queued at this source's rate.
        :class:`~audiofork.errors.BufferOverflowError` (nothing queued) when it does not
        fit."""
        mode = check_talk_mode(mode)
        queued = self._queue.push(pcm, rate)
        if queued:
            if self._runs and self._runs[-1].mode == mode:
                self._runs[-1].samples += queued
            else:
                self._runs.append(_Run(mode, queued))
        return queued

    def clear(self) -> int:
        """Drop the pushed speech not yet read (the base plays on); the samples dropped."""
        self._runs.clear()
        return self._queue.clear()[0]

    def read(self, n: int) -> Pcm:
        """The next ``n`` samples: the base's, with the pushed speech over them."""
        base = self.base.read(n)
        if not isinstance(base, np.ndarray) or base.dtype != np.int16 or base.shape != (n,):
            raise TypeError(f"the base source must return {n} int16 samples, got {base!r:.80}")
        speech, taken, _ = self._queue.read_marked(n)
        if taken == 0:
            return base
        out = base.copy()
        start = 0
        while start < taken:
            run = self._runs[0]
            end = min(start + run.samples, taken)
            if run.mode == "replace":
                out[start:end] = speech[start:end]
            else:
                summed = base[start:end].astype(np.int32) + speech[start:end]
                out[start:end] = np.clip(summed, -32768, 32767)
            run.samples -= end - start
            if run.samples == 0:
                self._runs.popleft()
            start = end
        return out
