"""A bounded queue of audio at one rate, fed at any rate: the caller's microphone, the
app's audio waiting for the loudspeaker.

Audio pushed at another rate goes through one streaming :class:`~audiofork.Resampler` per
input rate, so a voice pushed in pieces sounds as if pushed whole. A push that does not fit
raises :class:`~audiofork.errors.BufferOverflowError` and queues nothing (the resampler is
untouched too). Markers (checkpoints) can sit between samples, in order.
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

from audiofork._checks import check_int
from audiofork._core import Resampler, Ring
from audiofork.errors import BufferOverflowError
from audiofork.platform._notices import Pcm

__all__ = ["MAX_QUEUE_S", "AudioQueue", "PcmInput", "TrackSource"]

#: The longest audio a queue holds by default (seconds).
MAX_QUEUE_S = 600.0

#: Audio accepted by :meth:`AudioQueue.push`: int16 or float32 arrays, little-endian int16
#: bytes.
PcmInput: TypeAlias = (
    npt.NDArray[np.int16] | npt.NDArray[np.float32] | bytes | bytearray | memoryview
)


class TrackSource(Protocol):
    """Where a forked track's audio comes from: ``read(n)`` gives exactly ``n`` int16
    samples at the stream's rate (silence when there is nothing to say)."""

    def read(self, n: int) -> Pcm: ...


def _sample_count(pcm: PcmInput) -> int:
    if isinstance(pcm, np.ndarray):
        return len(pcm) if pcm.ndim == 1 else -1  # the core names the shape
    return memoryview(pcm).nbytes // 2


class AudioQueue:
    """Audio waiting to be read at ``rate`` Hz, at most ``max_seconds`` of it.

    As a :class:`TrackSource` it is the caller's voice pushed live: :meth:`push` what the
    microphone or a script says, and each frame reads the next samples, silence when the
    queue has run dry.
    """

    def __init__(self, rate: int, max_seconds: float = MAX_QUEUE_S) -> None:
        self.rate = check_int("rate", rate, 1)
        self._ring = Ring(max(1, int(max_seconds * rate)), "reject")
        self._resamplers: dict[int, Resampler] = {}

    @property
    def capacity(self) -> int:
        """The most samples the queue holds."""
        return self._ring.capacity

    @property
    def queued_samples(self) -> int:
        """Samples waiting to be read."""
        return self._ring.available

    @property
    def queued_ms(self) -> float:
        return self._ring.available * 1000 / self.rate

    def push(self, pcm: PcmInput, rate: int) -> int:
        """Queue ``pcm`` (mono, at ``rate`` Hz); returns the samples queued at the queue's
        rate. :class:`~audiofork.errors.BufferOverflowError` when it does not fit."""
        check_int("rate", rate, 1)
        room = self._ring.capacity - self._ring.available
        if rate != self.rate:
            resampler = self._resamplers.get(rate)
            if resampler is None:
                resampler = Resampler(rate, self.rate)
            needed = resampler.output_len(max(_sample_count(pcm), 0))
            if needed > room:
                raise BufferOverflowError(
                    f"pcm: {needed} samples at {self.rate} Hz do not fit the {room} left"
                )
            pcm = resampler.process(pcm)
            self._resamplers[rate] = resampler
        self._ring.write(pcm)
        return _sample_count(pcm)

    def mark(self, name: str) -> None:
        """Put marker ``name`` after the audio queued so far."""
        self._ring.mark(name)

    def read(self, n: int) -> Pcm:
        """The next ``n`` samples, silence-padded when fewer are queued."""
        return self.read_marked(n)[0]

    def read_marked(self, n: int) -> tuple[Pcm, int, list[str]]:
        """The next ``n`` samples (silence-padded), how many were queued audio, and the
        markers they passed."""
        take = min(check_int("n", n, 0), self._ring.available)
        read = self._ring.read(take)
        assert read is not None  # take <= available
        audio, markers = read
        if take < n:
            audio = np.concatenate([audio, np.zeros(n - take, dtype=np.int16)])
        return audio, take, markers

    def clear(self) -> tuple[int, list[str]]:
        """Drop everything queued: ``(samples, markers)`` dropped. Resamplers start afresh."""
        samples, markers = self._ring.clear()
        for resampler in self._resamplers.values():
            resampler.reset()
        return samples, markers
