"""``Media.level_dbfs``: the RMS level of each decoded frame, against a numpy reference."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

import audiofork as af
from audiofork import ArgumentError, InboundDecoder, Media, MediaFormat, StreamSession, wire

FLOOR = Media.LEVEL_FLOOR_DBFS

# Every wire format, read at its own rate and resampled to another, into both dtypes.
FORMATS = [
    MediaFormat("mulaw", 8000),
    MediaFormat("alaw", 8000),
    MediaFormat("l16", 8000),
    MediaFormat("l16", 16000, "big"),
    MediaFormat("l16", 24000),
]


def reference_dbfs(samples: npt.NDArray[np.int16]) -> float:
    """20 log10(rms / 32768) in float64, floored as documented."""
    if len(samples) == 0:
        return FLOOR
    mean_square = float(np.mean(samples.astype(np.float64) ** 2))
    if mean_square == 0.0:
        return FLOOR
    return max(10.0 * math.log10(mean_square / 32768.0**2), FLOOR)


def frame_text(payload: str, sequence: int = 1) -> str:
    return wire.media("s", payload, sequence_number=sequence, chunk=sequence, timestamp_ms=0)


def signals(rate: int) -> dict[str, npt.NDArray[np.int16]]:
    """20 ms frames from digital silence to full scale, noise and tones."""
    n = rate // 50
    rng = np.random.default_rng(rate)
    t = np.arange(n) / rate
    return {
        "silence": np.zeros(n, np.int16),
        "one lsb": np.array([1] + [0] * (n - 1), np.int16),
        "faint noise": rng.integers(-3, 4, n).astype(np.int16),
        "quiet tone": (40 * np.sin(2 * np.pi * 440 * t)).astype(np.int16),
        "speech level": (rng.standard_normal(n) * 2000).clip(-32768, 32767).astype(np.int16),
        "full-scale sine": (32767 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16),
        "full-scale square": np.where(np.arange(n) % 16 < 8, -32768, 32767).astype(np.int16),
    }


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
@pytest.mark.parametrize("out_rate", [None, 48000], ids=["wire rate", "resampled"])
@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_level_matches_numpy_on_the_decoded_wire_frame(
    fmt: MediaFormat, out_rate: int | None, dtype: str
) -> None:
    decoder = InboundDecoder(fmt, out_rate, dtype)  # type: ignore[arg-type]
    for i, (name, samples) in enumerate(signals(fmt.sample_rate).items()):
        payload = af.encode_payload(samples, fmt)
        # What the level is of: the frame as decoded at the wire rate, before resampling.
        decoded = af.decode_payload(payload, fmt)
        event = decoder.decode_message(frame_text(payload, i + 1))
        assert isinstance(event, Media) and event.pcm is not None and event.level_dbfs is not None
        assert len(event.pcm) == len(decoded) * (out_rate or fmt.sample_rate) // fmt.sample_rate
        assert event.level_dbfs == pytest.approx(reference_dbfs(decoded), abs=0.01), name


def test_level_is_the_same_whatever_the_output() -> None:
    fmt = MediaFormat("mulaw", 8000)
    payload = af.encode_payload(signals(8000)["speech level"], fmt)
    levels = {
        InboundDecoder(fmt, rate, dtype).decode_message(frame_text(payload)).level_dbfs  # type: ignore[union-attr, arg-type]
        for rate in (8000, 16000, 44100)
        for dtype in ("int16", "float32")
    }
    assert len(levels) == 1


def test_silence_reads_the_floor_and_full_scale_reads_zero() -> None:
    fmt = MediaFormat("l16", 8000)
    decoder = InboundDecoder(fmt)

    def level(samples: npt.NDArray[np.int16]) -> float | None:
        event = decoder.decode_message(frame_text(af.encode_payload(samples, fmt)))
        assert isinstance(event, Media)
        return event.level_dbfs

    assert FLOOR == -100.0
    assert level(np.zeros(160, np.int16)) == FLOOR
    assert level(np.zeros(0, np.int16)) == FLOOR  # an empty frame
    assert level(np.full(160, -32768, np.int16)) == 0.0
    # A full-scale sine is 3 dB below a full-scale square wave.
    sine = (32767 * np.sin(2 * np.pi * np.arange(160) / 16)).astype(np.int16)
    assert level(sine) == pytest.approx(-3.01, abs=0.01)
    # Below the floor: one least significant bit in a long frame (about -125 dBFS).
    tiny = np.zeros(8000, np.int16)
    tiny[0] = 1
    assert level(tiny) == FLOOR


def test_frames_longer_than_the_summing_span_are_exact() -> None:
    # 3 s of full-scale L16 in one frame: past the 65,536 samples after which the vector
    # lanes are carried into the 64-bit total.
    fmt = MediaFormat("l16", 48000, strict=False)
    samples = np.full(3 * 48000, -32768, np.int16)
    samples[::3] = 32767
    decoder = InboundDecoder(fmt, max_message_size=2**20)
    event = decoder.decode_message(frame_text(af.encode_payload(samples, fmt)))
    assert isinstance(event, Media)
    assert event.level_dbfs == pytest.approx(reference_dbfs(samples), abs=1e-9)


def test_events_without_decoded_samples_have_no_level() -> None:
    payload = af.encode_payload(np.full(160, 1000, np.int16), "mulaw")
    parsed = af.parse_message(frame_text(payload))
    assert isinstance(parsed, Media) and parsed.pcm is None and parsed.level_dbfs is None
    assert Media(payload=payload).level_dbfs is None


def test_a_session_passes_the_level_on() -> None:
    session = StreamSession()
    fmt = MediaFormat("mulaw", 8000)
    session.receive(wire.start("s", fmt, call_id="c"))
    samples = signals(8000)["speech level"]
    payload = af.encode_payload(samples, fmt)
    (event,) = session.receive(frame_text(payload))
    assert isinstance(event, Media) and event.level_dbfs is not None
    assert event.level_dbfs == pytest.approx(
        reference_dbfs(af.decode_payload(payload, fmt)), abs=0.01
    )


def test_the_constructor_takes_a_level_and_checks_it() -> None:
    event = Media(payload="AAAA", level_dbfs=-20.5)
    assert event.level_dbfs == -20.5
    assert Media(payload="AAAA", level_dbfs=-20) == Media(payload="AAAA", level_dbfs=-20.0)
    assert event != Media(payload="AAAA", level_dbfs=-20.25)
    assert event != Media(payload="AAAA")
    assert repr(event).endswith("pcm=None, level_dbfs=-20.5)")
    for value in (FLOOR, 0.0, np.float64(-3.5)):
        assert Media(payload="", level_dbfs=value).level_dbfs == value  # type: ignore[arg-type]
    for bad in (0.5, -100.5, math.nan, math.inf, -math.inf):
        with pytest.raises(ArgumentError, match=r"^level_dbfs: .* is out of range") as info:
            Media(payload="", level_dbfs=bad)
        assert info.value.kind == "out_of_range"
    for wrong in ("-3", True, [1.0]):
        with pytest.raises(TypeError, match=r"^level_dbfs: expected a float or None"):
            Media(payload="", level_dbfs=wrong)  # type: ignore[arg-type]


def test_decoded_and_constructed_events_compare_by_level() -> None:
    fmt = MediaFormat("l16", 8000)
    samples = np.full(160, 16384, np.int16)
    payload = af.encode_payload(samples, fmt)
    event = InboundDecoder(fmt).decode_message(frame_text(payload))
    assert isinstance(event, Media) and event.pcm is not None and event.level_dbfs is not None
    rebuilt = Media(
        stream_id="s",
        sequence_number=1,
        timestamp_ms=0,
        chunk=1,
        payload=payload,
        extra_headers_raw=event.extra_headers_raw,
        pcm=event.pcm,
        level_dbfs=event.level_dbfs,
    )
    assert event == rebuilt
    assert event.level_dbfs == pytest.approx(20 * math.log10(0.5))
    assert f"level_dbfs={event.level_dbfs!r}" in repr(event)


def test_match_args_end_with_the_level() -> None:
    assert Media.__match_args__ == ("stream_id", "track", "payload", "pcm", "level_dbfs")
    match Media(payload="AAAA", stream_id="s", level_dbfs=-30.0):
        case Media("s", "inbound", "AAAA", None, level) if level is not None and level < -20:
            matched = True
        case _:
            matched = False
    assert matched
