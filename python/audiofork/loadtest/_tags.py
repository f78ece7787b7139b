"""Frame tags: each 20 ms frame the caller sends carries its own number in its audio, so
every frame an echo app sends back can be matched to the frame it echoes.

A tag is 32 symbols of ``frame_samples // 32`` samples each, ``+LEVEL`` for a 1 bit and
``-LEVEL`` for a 0: the frame's number modulo 2**16, then a 16-bit check word. Only the
sign of each symbol's middle sample is read back, so the tag survives what an echo does to
audio on the way (G.711, resampling to another rate and back, a few samples of filter
delay, the re-cutting of frames). A frame of silence, a shifted frame or a mix of two
frames fails the check word.

:class:`TagReader` reads tags from the audio the caller heard, in order: it finds where
the tags start once (the echo's delay is unknown), then reads one tag per frame; a frame it
cannot read makes it search again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["LEVEL", "TagReader", "tag_frame"]

#: The amplitude of a tag's symbols (int16).
LEVEL = 8000
_BITS = 32
_WEIGHTS = 1 << np.arange(_BITS - 1, -1, -1, dtype=np.int64)


_MIX, _FLIP = 0x9E37, 0x5A6B


def _check(number: int) -> int:
    """The check word of ``number`` (16 bits): a bijective mix that neither all zeros nor
    all ones satisfy."""
    return ((number * _MIX) & 0xFFFF) ^ _FLIP


def tag_frame(number: int, frame_samples: int) -> npt.NDArray[np.int16]:
    """The audio of frame ``number`` (``frame_samples`` int16 samples, a multiple of 32);
    read-only, and shared: the calls of a load generator send the same numbers about the
    same time."""
    if frame_samples % _BITS or frame_samples <= 0:
        raise ValueError(f"frame_samples must be a positive multiple of 32, got {frame_samples}")
    return _tag_frame(number & 0xFFFF, frame_samples)


@lru_cache(maxsize=4096)
def _tag_frame(number: int, frame_samples: int) -> npt.NDArray[np.int16]:
    word = (number << 16) | _check(number)
    bits = (word >> np.arange(_BITS - 1, -1, -1, dtype=np.int64)) & 1
    symbols = np.where(bits == 1, LEVEL, -LEVEL).astype(np.int16)
    frame = np.repeat(symbols, frame_samples // _BITS)
    frame.flags.writeable = False
    return frame


def _valid(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    """Which rows of symbol ``samples`` (one row of 32 per offset) are tags."""
    words = (samples > 0).astype(np.int64) @ _WEIGHTS
    checks = (((words >> 16) * _MIX) & 0xFFFF) ^ _FLIP
    valid: npt.NDArray[np.bool_] = ((words & 0xFFFF) == checks) & samples.all(axis=1)
    return valid


def _read(frame: npt.NDArray[np.int16], middles: npt.NDArray[np.intp]) -> int | None:
    """The number tagged in ``frame`` (16 bits), or ``None`` if it carries no tag."""
    samples = frame[middles]
    if np.count_nonzero(samples) != _BITS:  # a zero is silence, neither bit
        return None
    word = int.from_bytes(np.packbits(samples > 0).tobytes(), "big")
    number = word >> 16
    return number if (word & 0xFFFF) == _check(number) else None


@dataclass
class TagCounts:
    """What a :class:`TagReader` found."""

    read: int = 0  # tags read
    skipped_samples: int = 0  # audio between tags that carried none (cut, mixed, silence)


class TagReader:
    """Reads the tags of an echoed stream of ``frame_samples``-sample frames, in order.

    :meth:`feed` takes the audio as heard (app audio only, no silence inserted for gaps) and
    returns ``(position, number)`` for each tag completed, ``position`` being the sample
    (counted from the first fed) where its frame ends, and ``number`` the full frame
    number, unwrapped from 16 bits near the last one read.
    """

    def __init__(self, frame_samples: int) -> None:
        if frame_samples % _BITS or frame_samples <= 0:
            raise ValueError(
                f"frame_samples must be a positive multiple of 32, got {frame_samples}"
            )
        self.frame = frame_samples
        symbol = self._symbol = frame_samples // _BITS
        self._middles = np.arange(_BITS, dtype=np.intp) * symbol + symbol // 2
        # the middles of a frame at every offset (rows), for the search
        self._at_offsets = np.arange(frame_samples, dtype=np.intp)[:, None] + self._middles
        self._buffer = np.zeros(0, dtype=np.int16)
        self._start = 0  # position of _buffer[0] in the stream
        self._locked = False
        self._last = -1
        self.counts = TagCounts()

    def feed(self, pcm: npt.NDArray[np.int16]) -> list[tuple[int, int]]:
        self._buffer = np.concatenate((self._buffer, pcm)) if len(self._buffer) else pcm
        found: list[tuple[int, int]] = []
        frame = self.frame
        while True:
            if not self._locked and not self._lock():
                return found
            if len(self._buffer) < frame:
                return found
            number = _read(self._buffer[:frame], self._middles)
            if number is None:
                self._locked = False
                self._drop(1)
                continue
            found.append((self._start + frame, self._unwrap(number)))
            self.counts.read += 1
            self._drop(frame, skipped=False)

    def _lock(self) -> bool:
        """Find the offset where two consecutive tags can be read; drop what is before it."""
        frame = self.frame
        while True:
            last = len(self._buffer) - 2 * frame  # the last offset with two frames after it
            if last < 0:
                return False
            rows = self._at_offsets[: min(last + 1, frame)]
            first, second = self._buffer[rows], self._buffer[rows + frame]
            valid = _valid(first) & _valid(second)
            found = np.flatnonzero(valid)
            if len(found):
                # the tag reads at a few offsets around its symbols' middles: take the middle
                first = int(found[0])
                run = first + 1
                while run < len(valid) and valid[run]:
                    run += 1
                if run == len(valid) < frame:  # the run may go on: wait for more audio
                    return False
                # the middle of the run; a run cut at offset 0 ends where a middle is
                # the last sample of its symbol's first half
                half = self._symbol - 1 - self._symbol // 2
                self._drop(max(0, run - 1 - half) if first == 0 else (first + run - 1) // 2)
                self._locked = True
                return True
            if last < frame:
                return False
            self._drop(frame)  # a whole frame of offsets searched: it carried no tag

    def _drop(self, samples: int, *, skipped: bool = True) -> None:
        self._buffer = self._buffer[samples:]
        self._start += samples
        if skipped and self._last >= 0:  # inside the stream of tags, not before the first
            self.counts.skipped_samples += samples

    def _unwrap(self, number: int) -> int:
        base = max(self._last, 0)
        candidate = (base & ~0xFFFF) | number
        if candidate - base > 0x8000:
            candidate -= 0x10000
        elif base - candidate > 0x8000:
            candidate += 0x10000
        if candidate < 0:  # frames are numbered from 0
            candidate += 0x10000
        self._last = max(self._last, candidate)
        return candidate
