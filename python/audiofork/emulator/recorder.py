"""WAV recordings of one stream: ``<dir>/<call_uuid>/<stream_id>/<track>.wav``.

Files are mono 16-bit PCM at the stream's rate, written frame by frame as the stream runs
(the stdlib :mod:`wave` writer patches the header sizes on close), so every file shares the
stream's timeline: sample ``i`` of each is virtual time ``i / rate`` after the stream
connected.
"""

from __future__ import annotations

import contextlib
import pathlib
import wave
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["WavRecorder", "recording_dir"]

Pcm = npt.NDArray[np.int16]


def recording_dir(root: pathlib.Path, call_uuid: str, stream_id: str) -> pathlib.Path:
    """Where the recordings of ``stream_id`` go under ``root``."""
    return root / call_uuid / stream_id


class WavRecorder:
    """One WAV writer per name (``caller``, ``callee``, ``played``) in ``directory``.

    ``paths`` maps each name to its file.
    """

    def __init__(self, directory: pathlib.Path, rate: int, names: Iterable[str]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.paths = {name: directory / f"{name}.wav" for name in names}
        self._writers: dict[str, wave.Wave_write] = {}
        with contextlib.ExitStack() as stack:
            for name, path in self.paths.items():
                writer = stack.enter_context(wave.open(str(path), "wb"))
                writer.setnchannels(1)
                writer.setsampwidth(2)
                writer.setframerate(rate)
                self._writers[name] = writer
            self._files = stack.pop_all()

    def write(self, name: str, pcm: Pcm) -> None:
        """Append ``pcm`` to recording ``name``."""
        self._writers[name].writeframesraw(pcm.astype("<i2", copy=False).tobytes())

    def close(self) -> None:
        """Finish every file (idempotent)."""
        self._writers = {}
        self._files.close()
