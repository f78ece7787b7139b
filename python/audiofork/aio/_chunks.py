"""``AudioChunks``: a track's inbound audio in fixed-size chunks, for speech recognition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import numpy.typing as npt

from audiofork._checks import check_int
from audiofork._core import Ring
from audiofork.aio._inbox import Inbox
from audiofork.aio._reader import Reader
from audiofork.errors import ArgumentError

__all__ = ["AudioChunks"]

# The tracks ``Media`` can carry.
_TRACKS = ("inbound", "outbound")


class AudioChunks:
    """Async iterator of fixed-size inbound PCM chunks; see :meth:`AudioStream.audio`.

    Ring-backed: at most ``buffer_ms`` of audio (2 bytes a sample) waits; past that the oldest
    is dropped and counted in :attr:`dropped_ms`.
    """

    def __init__(
        self,
        inbox: Inbox,
        reader: Reader,
        rate: int,
        chunk_ms: int,
        track: str,
        buffer_ms: int,
    ) -> None:
        check_int("chunk_ms", chunk_ms, 1)
        check_int("buffer_ms", buffer_ms, chunk_ms)
        if not isinstance(track, str):
            raise TypeError(f"track must be a str, got {track!r}")
        if track not in _TRACKS:
            raise ArgumentError(f"track must be 'inbound' or 'outbound', got {track!r}")
        self._inbox = inbox
        self._reader = reader
        self._track = track
        self._rate = rate
        self._chunk = rate * chunk_ms // 1000
        self._ring = Ring(rate * buffer_ms // 1000, "drop_oldest")
        self._dropped = 0
        self._closed = False
        inbox.add_sink(track, self._write)

    @property
    def dropped_ms(self) -> float:
        """Audio dropped because the consumer fell more than ``buffer_ms`` behind."""
        return self._dropped * 1000.0 / self._rate

    def _write(self, pcm: npt.NDArray[Any]) -> None:
        dropped, _ = self._ring.write(pcm)
        self._dropped += dropped

    def close(self) -> None:
        """Stop receiving audio and end the iteration; ``Media`` goes back to ``async for``."""
        if not self._closed:
            self._closed = True
            self._inbox.remove_sink(self._track, self._write)
            self._inbox.arrived.fire()

    def __aiter__(self) -> AsyncIterator[npt.NDArray[np.int16]]:
        return self

    async def __anext__(self) -> npt.NDArray[np.int16]:
        while not self._closed:
            chunk = self._ring.read(self._chunk)
            if chunk is not None:
                return chunk[0]
            if self._inbox.ended:
                rest = self._ring.read(len(self._ring))
                if rest is not None and len(rest[0]):
                    return rest[0]
                break
            await self._reader.wait()
        self.close()
        raise StopAsyncIteration
