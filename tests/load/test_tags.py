"""Frame tags survive what an echo does to audio and are read back in order."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

import audiofork as af
from audiofork.loadtest import TagReader, tag_frame


def through_our_echo(frames: list[np.ndarray]) -> list[np.ndarray]:
    """μ-law 8 kHz → 16 kHz → 8 kHz μ-law, with audiofork's streaming resamplers."""
    up, down = af.Resampler(8000, 16000), af.Resampler(16000, 8000)
    return [
        af.ulaw_decode(af.ulaw_encode(down.process(up.process(af.ulaw_decode(af.ulaw_encode(f))))))
        for f in frames
    ]


def through_soxr_vhq(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The pipecat way: soxr VHQ streams, which hold back and release audio in uneven
    chunks."""
    up = soxr.ResampleStream(8000, 16000, 1, dtype="int16", quality="VHQ")
    down = soxr.ResampleStream(16000, 8000, 1, dtype="int16", quality="VHQ")
    return [np.asarray(down.resample_chunk(up.resample_chunk(f)), dtype=np.int16) for f in frames]


@pytest.mark.parametrize("echo", [through_our_echo, through_soxr_vhq])
def test_tags_are_read_back_in_order_through_g711_and_resampling(echo) -> None:  # type: ignore[no-untyped-def]
    reader = TagReader(160)
    numbers = [
        n for out in echo([tag_frame(k, 160) for k in range(200)]) for _, n in reader.feed(out)
    ]
    # the filters hold back the last frame or so; everything before it is read, in order
    assert numbers == list(range(len(numbers))) and len(numbers) >= 190
    assert reader.counts.skipped_samples == 0


def test_positions_mark_where_each_tagged_frame_ends() -> None:
    reader = TagReader(160)
    found = reader.feed(
        np.concatenate([np.zeros(37, np.int16), *(tag_frame(k, 160) for k in range(3))])
    )
    assert found == [(37 + 160, 0), (37 + 320, 1), (37 + 480, 2)]


def test_a_loss_a_repeat_and_silence_show_in_the_numbers_read() -> None:
    reader = TagReader(160)
    audio = [tag_frame(k, 160) for k in (0, 1, 2, 4, 5, 5, 3, 6, 7)]
    audio[7:7] = [np.zeros(100, np.int16)]
    numbers = [n for pcm in audio for _, n in reader.feed(pcm)]
    numbers += [n for _, n in reader.feed(tag_frame(8, 160))]
    assert numbers == [0, 1, 2, 4, 5, 5, 3, 6, 7, 8]
    assert reader.counts.skipped_samples == 100


def test_numbers_unwrap_past_sixteen_bits() -> None:
    reader = TagReader(160)
    numbers = [n for k in range(65534, 65540) for _, n in reader.feed(tag_frame(k, 160))]
    assert numbers == list(range(65534, 65540))


def test_silence_and_noise_carry_no_tag() -> None:
    reader = TagReader(160)
    rng = np.random.default_rng(7)
    noise = rng.integers(-8000, 8000, 160 * 400, dtype=np.int16)
    assert reader.feed(np.zeros(1600, np.int16)) == []
    assert reader.feed(np.full(1600, 1000, np.int16)) == []
    assert reader.feed(noise) == []


@pytest.mark.parametrize("samples", [0, 100, 161])
def test_a_frame_size_not_a_multiple_of_32_is_refused(samples: int) -> None:
    with pytest.raises(ValueError, match="frame_samples"):
        TagReader(samples)
    with pytest.raises(ValueError, match="frame_samples"):
        tag_frame(0, samples)
