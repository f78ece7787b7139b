"""``--record OUT_DIR``: each call's caller audio, what the caller heard, and both in one
stereo file (caller left, played right), sample-aligned on the call's frame timeline: sample
``i`` of each was sent or heard at ``i / rate`` seconds of call time."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from audiofork.simulate.runner import CallResult

__all__ = ["write_recordings"]


def _write(path: Path, pcm: np.ndarray, rate: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.astype("<i2").tobytes())


def write_recordings(out_dir: Path, call: CallResult, one_call: bool) -> Path:
    """Write ``caller.wav``, ``played.wav`` and ``stereo.wav`` of ``call`` into ``out_dir``
    (into ``out_dir/call-NNNN`` unless it is the run's only call); the directory."""
    directory = out_dir if one_call else out_dir / f"call-{call.call:04d}"
    directory.mkdir(parents=True, exist_ok=True)
    caller, played = call.caller_audio, call.played_audio
    _write(directory / "caller.wav", caller, call.rate)
    _write(directory / "played.wav", played, call.rate)
    n = max(len(caller), len(played))
    stereo = np.zeros((n, 2), dtype=np.int16)
    stereo[: len(caller), 0] = caller
    stereo[: len(played), 1] = played
    _write(directory / "stereo.wav", stereo.reshape(-1), call.rate, channels=2)
    return directory
