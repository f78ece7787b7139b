"""The caller's loudspeaker: what a bidirectional stream's app queues, played in real time.

Audio from ``playAudio`` is converted to the stream's rate and queued in a :class:`Ring`
(bounded; what does not fit is refused and counted). The stream's pacer calls
:meth:`Playout.tick` once per frame: the chunk it returns is what the caller hears during
the next frame period, silence where nothing is queued. A checkpoint is a marker at the
queue's end; it is reported by the tick *after* the chunk that reached it, i.e. once the
audio before it has finished playing, or at once when nothing is queued or playing.
:meth:`Playout.clear` drops the queue and every pending checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from audiofork import Resampler, Ring

__all__ = ["MAX_QUEUE_S", "Playout", "Tick"]

Pcm = npt.NDArray[np.int16]

#: The longest audio the queue holds (virtual seconds).
MAX_QUEUE_S = 600


@dataclass(frozen=True)
class Tick:
    """One frame period of playout."""

    chunk: Pcm  # exactly the requested samples, silence-padded
    audio_samples: int  # how many of them came from the queue
    finished: list[str]  # checkpoints whose audio finished with the previous chunk


class Playout:
    """Queue, drain and checkpoint the app's audio at ``rate`` Hz."""

    def __init__(self, rate: int, max_queue_s: float = MAX_QUEUE_S) -> None:
        self.rate = rate
        self._ring = Ring(int(max_queue_s * rate), "reject")
        self._resamplers: dict[int, Resampler] = {}
        self._playing: list[str] = []  # checkpoints reached by the chunk now playing
        self._playing_audio = 0  # samples of queued audio in the chunk now playing

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

    def checkpoint(self, name: str) -> bool:
        """Mark the end of the queue; ``True`` when nothing is queued or playing (answer now)."""
        if self._ring.available:
            self._ring.mark(name)
        elif self._playing_audio:
            self._playing.append(name)
        else:
            return True
        return False

    def tick(self, n: int) -> Tick:
        """Start playing the next ``n`` samples; report checkpoints the last chunk finished."""
        finished = self._playing
        take = min(n, self._ring.available)
        read = self._ring.read(take)
        assert read is not None  # take <= available
        audio, self._playing = read
        self._playing_audio = take
        if take == n:
            return Tick(audio, take, finished)
        chunk = np.zeros(n, dtype=np.int16)
        chunk[:take] = audio
        return Tick(chunk, take, finished)

    def clear(self) -> tuple[int, int]:
        """Drop all queued audio and pending checkpoints: ``(samples, checkpoints)`` dropped."""
        samples, markers = self._ring.clear()
        dropped = len(markers) + len(self._playing)
        self._playing = []
        for resampler in self._resamplers.values():
            resampler.reset()
        return samples, dropped
