"""The caller's loudspeaker: what a bidirectional stream's app queues, played in real time.

Audio from ``playAudio`` is converted to the stream's rate and queued in a :class:`Ring`
(bounded; what does not fit is refused and counted). The loudspeaker plays one frame at a
time: the stream's pacer calls :meth:`Playout.tick` at every frame boundary, which takes the
next frame from the queue (silence-padded) to play now and returns the frame that has just
finished playing, with the checkpoints it completed. A checkpoint is a marker at the end of
the queue, answered once the audio before it has finished playing, or at once when nothing
is queued or playing. Pending checkpoints are bounded (:data:`MAX_PENDING_CHECKPOINT_BYTES`
of names): one beyond that is refused. :meth:`Playout.clear` drops the queue and every
pending checkpoint; the frame in the loudspeaker plays out (a clear takes effect at the next
frame boundary).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from audiofork import Resampler, Ring

__all__ = ["MAX_PENDING_CHECKPOINT_BYTES", "MAX_QUEUE_S", "Playout", "Tick"]

Pcm = npt.NDArray[np.int16]

#: The longest audio the queue holds (virtual seconds).
MAX_QUEUE_S = 600
#: The most memory pending checkpoints may hold: their names' UTF-8 bytes plus
#: :data:`CHECKPOINT_OVERHEAD_BYTES` each (so at most 65,536 empty names).
MAX_PENDING_CHECKPOINT_BYTES = 4 << 20
CHECKPOINT_OVERHEAD_BYTES = 64


def _cost(name: str) -> int:
    return len(name.encode("utf-8", "surrogatepass")) + CHECKPOINT_OVERHEAD_BYTES


@dataclass(frozen=True)
class Tick:
    """The frame that has just finished playing."""

    chunk: Pcm  # one frame, silence where nothing was queued
    audio_samples: int  # how many of its samples came from the queue
    finished: list[str]  # checkpoints whose audio has now all been played


class Playout:
    """Queue, drain and checkpoint the app's audio at ``rate`` Hz, ``frame`` samples a tick."""

    def __init__(self, rate: int, frame: int, max_queue_s: float = MAX_QUEUE_S) -> None:
        self.rate = rate
        self.frame = frame
        self._ring = Ring(int(max_queue_s * rate), "reject")
        self._resamplers: dict[int, Resampler] = {}
        self._playing = Tick(np.zeros(frame, dtype=np.int16), 0, [])  # in the loudspeaker
        self._pending_bytes = 0  # cost of the checkpoints not yet answered

    @property
    def queued_samples(self) -> int:
        """Samples waiting to be played (not counting the chunk now playing)."""
        return self._ring.available

    def push(self, pcm: Pcm, rate: int) -> int:
        """Queue ``pcm`` (int16 at ``rate`` Hz); returns the samples refused for lack of room."""
        if rate != self.rate:
            resampler = self._resamplers.get(rate)
            if resampler is None:
                resampler = self._resamplers[rate] = Resampler(rate, self.rate)
            pcm = resampler.process(pcm)
        room = self._ring.capacity - self._ring.available
        if len(pcm) > room:
            self._ring.write(pcm[:room])
            return len(pcm) - room
        self._ring.write(pcm)
        return 0

    def checkpoint(self, name: str) -> Literal["now", "pending", "refused"]:
        """Mark the end of the queue: ``"now"`` when nothing is queued or playing (answer
        at once), ``"pending"`` when marked, ``"refused"`` when the pending checkpoints
        already hold :data:`MAX_PENDING_CHECKPOINT_BYTES`."""
        if not self._ring.available and not self._playing.audio_samples:
            return "now"
        cost = _cost(name)
        if self._pending_bytes + cost > MAX_PENDING_CHECKPOINT_BYTES:
            return "refused"
        self._pending_bytes += cost
        if self._ring.available:
            self._ring.mark(name)
        else:
            self._playing.finished.append(name)
        return "pending"

    def tick(self) -> Tick:
        """At a frame boundary: start the next frame and return the one that just finished."""
        finished = self._playing
        take = min(self.frame, self._ring.available)
        read = self._ring.read(take)
        assert read is not None  # take <= available
        audio, markers = read
        if take < self.frame:
            audio = np.concatenate([audio, np.zeros(self.frame - take, dtype=np.int16)])
        self._playing = Tick(audio, take, markers)
        self._pending_bytes -= sum(_cost(name) for name in finished.finished)
        return finished

    def clear(self) -> tuple[int, int]:
        """Drop all queued audio and pending checkpoints: ``(samples, checkpoints)`` dropped."""
        samples, markers = self._ring.clear()
        dropped = len(markers) + len(self._playing.finished)
        self._playing.finished.clear()
        self._pending_bytes = 0
        for resampler in self._resamplers.values():
            resampler.reset()
        return samples, dropped
