"""Audio the emulated call carries: the caller's voice and the callee's.

A source is named by a spec string (:meth:`AudioSource.from_spec`): ``"speech"`` (the
bundled sample, the default), ``"silence"``, ``"tone"`` / ``"tone:440"``, or the path of a
mono 16-bit WAV file at any rate. :meth:`AudioSource.open` gives a reader at the stream's
rate; recorded audio is converted once with audiofork's resampler.
"""

from __future__ import annotations

import math
import wave

import numpy as np
import numpy.typing as npt

from audiofork import resample
from audiofork.errors import ValidationError
from audiofork.samples import read_wav, speech

__all__ = ["AudioReader", "AudioSource"]

Pcm = npt.NDArray[np.int16]

#: Default tone frequency (Hz) and the highest allowed: below 4 kHz, so every stream rate
#: (8 kHz and up) carries it without aliasing.
DEFAULT_TONE_HZ = 440.0
MAX_TONE_HZ = 3999.0
#: Tone amplitude, a quarter of full scale (-12 dBFS).
TONE_AMPLITUDE = 8192
#: The rate of a tone or silence made as one clip (:meth:`AudioSource.clip`).
CLIP_RATE = 16000


class AudioReader:
    """Reads a source at one rate, ``n`` samples at a time, in order."""

    def __init__(self, samples: Pcm | None, rate: int, tone_hz: float | None = None) -> None:
        self.rate = rate
        self._samples = samples
        self._tone_hz = tone_hz
        self._position = 0

    def read(self, n: int) -> Pcm:
        """The next ``n`` samples (int16); silence past the end of a recording."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        start, self._position = self._position, self._position + n
        if self._tone_hz is not None:
            phase = np.arange(start, start + n, dtype=np.float64) * (
                2 * math.pi * self._tone_hz / self.rate
            )
            return np.round(TONE_AMPLITUDE * np.sin(phase)).astype(np.int16)
        out = np.zeros(n, dtype=np.int16)
        if self._samples is not None and start < len(self._samples):
            chunk = self._samples[start : start + n]
            out[: len(chunk)] = chunk
        return out


class AudioSource:
    """A recording (with its rate), a tone or silence; open it at a stream's rate."""

    def __init__(
        self, samples: Pcm | None = None, rate: int = 0, *, tone_hz: float | None = None
    ) -> None:
        if samples is not None and rate <= 0:
            raise ValueError(f"rate must be > 0 for recorded samples, got {rate}")
        self._samples = samples
        self._rate = rate
        self._tone_hz = tone_hz
        self.duration_s: float | None = None if samples is None else len(samples) / rate

    @classmethod
    def from_spec(cls, spec: str) -> AudioSource:
        """``"speech"``, ``"silence"``, ``"tone"``, ``"tone:<Hz>"`` or a WAV file path."""
        if not isinstance(spec, str):
            raise TypeError(f"audio spec must be a string, got {spec!r}")
        if spec == "speech":
            return cls(*speech())
        if spec == "silence":
            return cls()
        if spec == "tone" or spec.startswith("tone:"):
            return cls(tone_hz=_tone_hz(spec))
        return cls.from_wav(spec)

    @classmethod
    def from_wav(cls, path: str) -> AudioSource:
        """A mono 16-bit PCM WAV file at any sample rate."""
        try:
            samples, rate = read_wav(path)
        except (OSError, EOFError, wave.Error, ValueError) as exc:
            raise ValidationError(
                f"audio source {path!r} is not a readable mono 16-bit WAV file ({exc}); "
                'expected "speech", "silence", "tone[:Hz]" or a WAV path'
            ) from exc
        return cls(samples, rate)

    def clip(self, seconds: float | None = None) -> tuple[Pcm, int]:
        """The source as one clip, ``(samples, rate)``: a recording at its own rate (its
        first ``seconds``, or all of it); a tone or silence of ``seconds`` at
        :data:`CLIP_RATE` (:class:`ValidationError` without ``seconds``: they never end)."""
        if self._samples is None:
            if seconds is None:
                raise ValidationError("seconds is required for a tone or silence: they never end")
            return self.open(CLIP_RATE).read(round(seconds * CLIP_RATE)), CLIP_RATE
        if seconds is None:
            return self._samples, self._rate
        return self._samples[: round(seconds * self._rate)], self._rate

    def open(self, rate: int) -> AudioReader:
        """A reader at ``rate`` Hz (8000, 16000 or 24000 for a stream)."""
        if self._samples is None:
            return AudioReader(None, rate, self._tone_hz)
        samples = self._samples if rate == self._rate else resample(self._samples, self._rate, rate)
        return AudioReader(samples, rate)


def _tone_hz(spec: str) -> float:
    text = spec.partition(":")[2]
    if not text:
        return DEFAULT_TONE_HZ
    try:
        hz = float(text)
    except ValueError:
        hz = math.nan
    if not (0 < hz <= MAX_TONE_HZ):
        raise ValidationError(
            f"tone frequency in {spec!r} must be a number of Hz in (0, {MAX_TONE_HZ:g}]"
        )
    return hz
