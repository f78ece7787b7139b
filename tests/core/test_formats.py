"""MediaFormat: parsing, validation, frame sizes."""

from __future__ import annotations

import pytest

from audiofork import ArgumentError, FormatError, MediaFormat


def test_parse_wire_content_types() -> None:
    fmt = MediaFormat.parse("audio/x-l16;rate=16000")
    assert fmt == MediaFormat("audio/x-l16", 16000)
    assert fmt.content_type == "audio/x-l16;rate=16000"
    assert MediaFormat.parse("audio/x-mulaw").sample_rate == 8000
    assert MediaFormat.parse("audio/x-mulaw;rate=8000", byteorder="big").byteorder == "big"


def test_aliases_normalise_to_wire_names() -> None:
    assert MediaFormat("ulaw", 8000) == MediaFormat("audio/x-mulaw", 8000)
    assert MediaFormat("l16", 24000).encoding == "audio/x-l16"
    assert MediaFormat("alaw", 8000).content_type == "audio/x-alaw;rate=8000"


def test_frozen_and_hashable() -> None:
    fmt = MediaFormat("l16", 16000)
    assert {fmt, MediaFormat("audio/x-l16", 16000)} == {fmt}
    with pytest.raises(AttributeError):
        fmt.sample_rate = 8000  # type: ignore[misc]


@pytest.mark.parametrize(
    ("encoding", "rate", "ms", "expected"),
    [
        ("mulaw", 8000, 20, 160),
        ("l16", 8000, 20, 320),
        ("l16", 16000, 20, 640),
        ("l16", 24000, 60, 2880),
    ],
)
def test_bytes_per_frame(encoding: str, rate: int, ms: int, expected: int) -> None:
    assert MediaFormat(encoding, rate).bytes_per_frame(ms) == expected


def test_frames_that_are_not_whole_samples_are_rejected() -> None:
    with pytest.raises(ArgumentError, match="11025"):
        MediaFormat("l16", 11025, strict=False).bytes_per_frame(1)


@pytest.mark.parametrize(("encoding", "rate"), [("mulaw", 16000), ("l16", 44100), ("alaw", 16000)])
def test_strict_rejects_rates_the_platform_does_not_allow(encoding: str, rate: int) -> None:
    with pytest.raises(FormatError, match=f"sample_rate: {rate} is not allowed"):
        MediaFormat(encoding, rate)
    assert MediaFormat(encoding, rate, strict=False).sample_rate == rate


@pytest.mark.parametrize("rate", [0, -8000, 384_001, 2**63])
def test_bad_rates(rate: int) -> None:
    with pytest.raises(FormatError, match=f"^sample_rate: {rate} is out of range"):
        MediaFormat("l16", rate, strict=False)


@pytest.mark.parametrize("rate", [8000.0, True, "8000"])
def test_rates_of_the_wrong_type(rate: object) -> None:
    with pytest.raises(TypeError, match="sample_rate"):
        MediaFormat("l16", rate)  # type: ignore[arg-type]


def test_conflicting_rate_in_encoding() -> None:
    with pytest.raises(
        FormatError, match="sample_rate: 8000 conflicts with rate=16000 in encoding"
    ):
        MediaFormat("audio/x-l16;rate=16000", 8000)


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("audio/x-l16;rate=16000;byteorder=big", 'unknown parameter "byteorder=big"'),
        ("audio/x-l16;rate=16000;rate=16000", "rate is given twice"),
        ("audio/x-l16;rate=fast", "must be a positive integer"),
    ],
)
def test_parse_refuses_what_it_does_not_understand(content_type: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        MediaFormat.parse(content_type)


def test_l16_without_rate_needs_one() -> None:
    with pytest.raises(FormatError, match="needs a rate"):
        MediaFormat.parse("audio/x-l16")
    assert MediaFormat.parse("audio/x-l16", default_rate=8000).sample_rate == 8000


def test_unknown_encoding_and_byteorder() -> None:
    with pytest.raises(FormatError, match="audio/x-l16"):
        MediaFormat("opus", 48000)
    with pytest.raises(FormatError, match="byteorder"):
        MediaFormat("l16", 8000, "middle")  # type: ignore[arg-type]
