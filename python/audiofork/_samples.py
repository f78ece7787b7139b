"""The speech sample bundled with the package (for the demo, the emulator and tests)."""

from __future__ import annotations

import wave
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = ["read_wav", "speech_8k_ulaw", "speech_16k"]


def read_wav(path: str) -> tuple[npt.NDArray[np.int16], int]:
    """Read a mono 16-bit PCM WAV file: ``(samples, sample_rate)``."""
    with wave.open(path, "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(
                f"{path}: need mono 16-bit PCM, got {w.getnchannels()} channel(s) "
                f"of {8 * w.getsampwidth()}-bit"
            )
        frames = w.readframes(w.getnframes())
        return np.frombuffer(frames, dtype="<i2").astype(np.int16), w.getframerate()


def speech_16k() -> npt.NDArray[np.int16]:
    """Ten seconds of synthesised English speech, mono 16 kHz int16."""
    with resources.as_file(resources.files("audiofork") / "data" / "speech_16k.wav") as path:
        samples, rate = read_wav(str(path))
    assert rate == 16000
    return samples


def speech_8k_ulaw() -> bytes:
    """The same speech as raw 8 kHz G.711 μ-law bytes (what a phone line carries)."""
    return (resources.files("audiofork") / "data" / "speech_8k.ulaw").read_bytes()
