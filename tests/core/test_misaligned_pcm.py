"""PCM arrays whose data is not aligned for their dtype are read in full, as their copy."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

import audiofork as af


def _misaligned(pcm: npt.NDArray[np.int16] | npt.NDArray[np.float32]) -> npt.NDArray[np.generic]:
    """`pcm`'s samples in a read-only array starting one byte into its buffer."""
    array = np.frombuffer(b"\0" + pcm.tobytes(), dtype=pcm.dtype, offset=1)
    assert not array.flags.aligned
    assert array.flags.c_contiguous
    return array


def _misaligned_strided(
    pcm: npt.NDArray[np.int16] | npt.NDArray[np.float32],
) -> npt.NDArray[np.generic]:
    """Every other sample of a misaligned buffer holding `pcm` twice as long."""
    doubled = np.repeat(pcm, 2)
    array = _misaligned(doubled)[::2]
    assert not array.flags.aligned
    return array


# Under and over the size at which the GIL is released (8 KiB).
_SIZES = [160, 6000]
_LAYOUTS = [_misaligned, _misaligned_strided]


def _pcm(n: int, dtype: type[np.generic]) -> npt.NDArray[np.int16] | npt.NDArray[np.float32]:
    ramp = (np.arange(n) * 37 % 20000 - 10000).astype(np.int16)
    return ramp if dtype is np.int16 else (ramp / 32768).astype(np.float32)


def _outbound(pcm: object) -> list[str]:
    return af.OutboundEncoder(af.MediaFormat("l16", 16000), "s").push(pcm, 8000)


def _resampler(pcm: object) -> object:
    return af.Resampler(8000, 16000).process(pcm)


def _ring(pcm: object) -> object:
    ring = af.Ring(20000)
    ring.write(pcm)
    return len(ring), ring.read(len(ring))


_FUNCTIONS: list[Callable[[object], object]] = [
    af.ulaw_encode,
    af.alaw_encode,
    af.l16_encode,
    lambda pcm: af.l16_encode(pcm, "big"),
    lambda pcm: af.encode_payload(pcm, "mulaw"),
    lambda pcm: af.encode_payload(pcm, "l16"),
    lambda pcm: af.resample(pcm, 8000, 16000),
    _resampler,
    _outbound,
    _ring,
]


def _same(a: object, b: object) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("function", _FUNCTIONS)
@pytest.mark.parametrize("layout", _LAYOUTS)
@pytest.mark.parametrize("size", _SIZES)
@pytest.mark.parametrize("dtype", [np.int16, np.float32])
def test_misaligned_array_gives_the_result_of_its_aligned_copy(
    function: Callable[[object], object],
    layout: Callable[[npt.NDArray[np.generic]], npt.NDArray[np.generic]],
    size: int,
    dtype: type[np.generic],
) -> None:
    pcm = _pcm(size, dtype)
    array = layout(pcm)
    expected = function(np.ascontiguousarray(array))
    assert _same(function(array), expected)
    assert _same(function(array), function(pcm))
