"""The bundled speech sample, public as ``audiofork.samples``."""

from __future__ import annotations

import numpy as np
import pytest

import audiofork as af
from audiofork.samples import SPEECH_RATE, speech, speech_ulaw


def test_speech_at_the_stored_rate_is_about_ten_seconds_of_int16() -> None:
    pcm, rate = speech()
    assert (rate, pcm.dtype, pcm.ndim) == (SPEECH_RATE, np.int16, 1)
    assert 9.9 * SPEECH_RATE < len(pcm) <= 10 * SPEECH_RATE
    assert np.abs(pcm.astype(np.int32)).max() > 1000  # speech, not silence


@pytest.mark.parametrize("rate", [8000, 24000, 48000])
def test_speech_at_another_rate_is_the_resampled_sample(rate: int) -> None:
    pcm, got = speech(rate)
    assert got == rate
    np.testing.assert_array_equal(pcm, af.resample(speech()[0], SPEECH_RATE, rate))


def test_each_call_gives_a_fresh_array() -> None:
    first, _ = speech()
    first[:] = 0
    assert speech()[0].any()


def test_speech_ulaw_is_the_same_speech_at_8k() -> None:
    line = speech_ulaw()
    decoded = af.ulaw_decode(line).astype(np.float64)
    reference = af.resample(speech()[0], SPEECH_RATE, 8000).astype(np.float64)
    assert len(decoded) == len(reference)
    assert np.corrcoef(decoded, reference)[0, 1] > 0.95


def test_bad_rates_are_family_errors_naming_the_rate() -> None:
    with pytest.raises(TypeError, match="rate"):
        speech(8000.0)  # type: ignore[arg-type]
    with pytest.raises(af.ArgumentError, match="rate"):
        speech(0)
    with pytest.raises(af.FormatError):
        speech(12345)
