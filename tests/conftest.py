"""Shared fixtures: the bundled speech sample; the emulator tests' app (a plugin)."""

from __future__ import annotations

import wave
from importlib import resources

import numpy as np
import numpy.typing as npt
import pytest

#: The emulator tests' voice app and its ``app`` fixture.
pytest_plugins = ["emulator_platform_apps"]


@pytest.fixture(scope="session")
def speech_16k() -> npt.NDArray[np.int16]:
    """Ten seconds of real (synthesised) speech, mono 16 kHz int16."""
    path = resources.files("audiofork") / "data" / "speech_16k.wav"
    with path.open("rb") as f, wave.open(f) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
