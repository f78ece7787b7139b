"""The speech sample bundled with the package: ten seconds of synthesised English speech.

For trying things out, for the demo and the emulator's caller, and for tests and benches::

    from audiofork.samples import speech

    pcm, rate = speech(8000)   # int16 mono at 8 kHz, converted with audiofork's resampler
"""

from __future__ import annotations

import wave
from importlib import resources
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from audiofork._core import resample
from audiofork.errors import ArgumentError

__all__ = ["SPEECH_RATE", "read_wav", "speech", "speech_ulaw"]

#: The rate the sample is stored at.
SPEECH_RATE = 16000


def read_wav(path: str | BinaryIO) -> tuple[npt.NDArray[np.int16], int]:
    """Read a mono 16-bit PCM WAV file (a path, or a binary file object such as
    ``io.BytesIO``): ``(samples, sample_rate)``.

    ``ValueError`` for another channel count or sample width; ``OSError``, ``EOFError`` or
    ``wave.Error`` for a file that cannot be read as WAV.
    """
    name = path if isinstance(path, str) else "the WAV data"
    with wave.open(path, "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(
                f"{name}: need mono 16-bit PCM, got {w.getnchannels()} channel(s) "
                f"of {8 * w.getsampwidth()}-bit"
            )
        frames = w.readframes(w.getnframes())
        return np.frombuffer(frames, dtype="<i2").astype(np.int16), w.getframerate()


def speech(rate: int = SPEECH_RATE) -> tuple[npt.NDArray[np.int16], int]:
    """The bundled speech as mono int16 at ``rate`` Hz: ``(samples, rate)``.

    Stored at 16 kHz; any other rate the resampler supports is converted (one-shot, the
    default quality). A fresh array on every call, so callers may modify it.
    """
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise TypeError(f"rate: expected an int, got {type(rate).__name__}")
    with resources.as_file(resources.files("audiofork") / "data" / "speech_16k.wav") as path:
        samples, stored_rate = read_wav(str(path))
    if stored_rate != SPEECH_RATE:  # the package data is broken; not a caller error
        raise RuntimeError(f"bundled speech is {stored_rate} Hz, expected {SPEECH_RATE}")
    if rate == SPEECH_RATE:
        return samples, rate
    if rate <= 0:
        raise ArgumentError(f"rate: must be > 0, got {rate}")
    return resample(samples, SPEECH_RATE, rate), rate


def speech_ulaw() -> bytes:
    """The same speech as raw 8 kHz G.711 μ-law bytes (what a phone line carries)."""
    return (resources.files("audiofork") / "data" / "speech_8k.ulaw").read_bytes()
