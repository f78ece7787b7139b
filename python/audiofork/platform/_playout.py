"""The caller's loudspeaker: what a bidirectional stream's app queues, played in real time.

Audio from ``playAudio`` is converted to the stream's rate and queued in an
:class:`~audiofork.platform.AudioQueue` (bounded; a push that does not fit is refused
whole). The loudspeaker plays one frame at a time: the stream calls :meth:`Playout.tick` at
every frame boundary, which takes the next frame from the queue (silence-padded) to play now
and returns the frame that has just finished playing, with the checkpoints it completed. A
checkpoint is a marker at the end of the queue, due once the audio before it has finished
playing; when nothing is queued or playing (:attr:`Playout.idle`) it is due at once, which
the caller decides. :meth:`Playout.clear` drops the queue and every pending checkpoint; the
frame in the loudspeaker plays out (a clear takes effect at the next frame boundary).

Every operation costs O(1) plus the samples and markers it moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audiofork.platform._audio_queue import MAX_QUEUE_S, AudioQueue, PcmInput
from audiofork.platform._notices import Pcm

__all__ = ["PlayedFrame", "Playout"]


@dataclass
class PlayedFrame:
    """A frame of the loudspeaker."""

    chunk: Pcm  # one frame, silence where nothing was queued
    audio_samples: int  # how many of its samples came from the queue
    finished: list[str]  # checkpoints whose audio has all been played once this frame ends


class Playout:
    """Queue, drain and checkpoint the app's audio at ``rate`` Hz, ``frame`` samples a tick."""

    def __init__(self, rate: int, frame: int, max_queue_s: float = MAX_QUEUE_S) -> None:
        self.rate = rate
        self.frame = frame
        self._queue = AudioQueue(rate, max_queue_s)
        self._playing = PlayedFrame(np.zeros(frame, dtype=np.int16), 0, [])

    @property
    def capacity(self) -> int:
        """The most samples the queue holds (the frame playing not counted)."""
        return self._queue.capacity

    @property
    def queued_samples(self) -> int:
        """Samples waiting to be played (not counting the frame now playing)."""
        return self._queue.queued_samples

    @property
    def idle(self) -> bool:
        """Nothing queued and no app audio in the loudspeaker."""
        return not self._queue.queued_samples and not self._playing.audio_samples

    def push(self, pcm: PcmInput, rate: int) -> int:
        """Queue ``pcm`` at ``rate`` Hz: the samples queued at the stream's rate, or
        :class:`~audiofork.errors.BufferOverflowError` (nothing queued) when it does not
        fit."""
        return self._queue.push(pcm, rate)

    def mark(self, name: str) -> None:
        """Put checkpoint ``name`` after everything queued or playing (when not idle)."""
        if self._queue.queued_samples:
            self._queue.mark(name)
        else:
            self._playing.finished.append(name)

    def tick(self) -> PlayedFrame:
        """At a frame boundary: start the next frame and return the one that just finished."""
        finished = self._playing
        self._playing = PlayedFrame(*self._queue.read_marked(self.frame))
        return finished

    def clear(self) -> tuple[int, list[str]]:
        """Drop all queued audio and pending checkpoints: the samples dropped, and the
        checkpoints' names in the order they were marked."""
        samples, markers = self._queue.clear()
        names = [*self._playing.finished, *markers]
        self._playing.finished = []
        return samples, names
