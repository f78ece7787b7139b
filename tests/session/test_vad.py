"""EnergyVad on levels the core computed for real decoded frames."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from audiofork import (
    ArgumentError,
    InboundDecoder,
    Media,
    MediaFormat,
    encode_payload,
    ulaw_decode,
    wire,
)
from audiofork.samples import speech_ulaw
from audiofork.vad import EnergyVad, VadEvent
from support.scripted_platform import tone

DECODER = InboundDecoder(MediaFormat("audio/x-mulaw", 8000), out_rate=8000)


def levels(pcm: npt.NDArray[np.int16]) -> list[float]:
    """The level of each 20 ms μ-law frame of ``pcm`` (8 kHz), as the core decodes it."""
    out = []
    for i in range(0, len(pcm), 160):
        payload = encode_payload(pcm[i : i + 160], "mulaw")
        media = DECODER.decode_message(
            wire.media("s", payload, sequence_number=1, chunk=1, timestamp_ms=0)
        )
        assert type(media) is Media and media.level_dbfs is not None
        out.append(media.level_dbfs)
    return out


SILENCE = levels(np.zeros(160, np.int16))[0]
SPEECH = levels(tone(20, 8000))[0]


def run(vad: EnergyVad, frames: list[float]) -> list[tuple[int, VadEvent]]:
    return [(i, e) for i, level in enumerate(frames) if (e := vad.update(level)) is not None]


def test_levels_are_on_either_side_of_the_default_threshold() -> None:
    assert SILENCE < -40.0 < SPEECH


def test_attack_ignores_short_bursts_and_hangover_bridges_pauses() -> None:
    vad = EnergyVad(attack_ms=60, hangover_ms=500)
    frames = [SILENCE] * 5 + [SPEECH] * 2 + [SILENCE] * 5  # a 40 ms click
    frames += [SPEECH] * 10 + [SILENCE] * 20 + [SPEECH] * 5  # a 400 ms pause
    frames += [SILENCE] * 25
    assert run(vad, frames) == [(14, VadEvent.SPEECH_STARTED), (71, VadEvent.SPEECH_ENDED)]
    assert not vad.speaking


def test_frame_length_counts_and_reset_forgets() -> None:
    vad = EnergyVad(attack_ms=60, hangover_ms=100)
    assert vad.update(SPEECH, frame_ms=60) is VadEvent.SPEECH_STARTED
    assert vad.speaking
    vad.reset()
    assert not vad.speaking and vad.update(SILENCE, frame_ms=200) is None


def test_the_bundled_speech_starts_and_ends() -> None:
    frames = levels(ulaw_decode(speech_ulaw())) + [SILENCE] * 50
    events = run(EnergyVad(), frames)
    assert events[0] == (events[0][0], VadEvent.SPEECH_STARTED) and events[0][0] < 50
    assert [e for _, e in events] == [VadEvent.SPEECH_STARTED, VadEvent.SPEECH_ENDED] * (
        len(events) // 2
    )
    speech_frames = len(frames) - 50
    assert speech_frames <= events[-1][0] < speech_frames + 26


def test_bad_settings_and_levels_are_refused() -> None:
    with pytest.raises(TypeError, match="threshold_dbfs must be a number"):
        EnergyVad(threshold_dbfs="-40")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="threshold_dbfs must be finite and <= 0"):
        EnergyVad(threshold_dbfs=float("nan"))
    with pytest.raises(ArgumentError, match="attack_ms must be >= 0"):
        EnergyVad(attack_ms=-1)
    with pytest.raises(TypeError, match="hangover_ms must be an int"):
        EnergyVad(hangover_ms=0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="level_dbfs is None"):
        EnergyVad().update(None)
