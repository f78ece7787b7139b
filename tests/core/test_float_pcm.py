"""Float PCM in every call that takes PCM: float64 as well as float32, one rule for samples
that are not finite, and errors that name the caller's parameter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import audiofork as af
from audiofork import AudioStream, CodecError, MediaFormat, OutboundEncoder, Resampler, Ring
from audiofork.codec import pcm_array

FLOATS = [np.float32, np.float64]
ULAW8K = MediaFormat("mulaw", 8000)
L16_16K = MediaFormat("l16", 16000)


def session() -> af.StreamSession:
    return af.StreamSession(playback_format=ULAW8K)


#: Every call taking PCM, by the name of its PCM parameter: each returns what it made.
CALLS: dict[str, tuple[str, Callable[[Any], object]]] = {
    "ulaw_encode": ("pcm", af.ulaw_encode),
    "alaw_encode": ("pcm", af.alaw_encode),
    "l16_encode": ("pcm", lambda x: af.l16_encode(x, "big")),
    "encode_payload": ("pcm", lambda x: af.encode_payload(x, L16_16K)),
    "lin2ulaw": ("fragment", lambda x: af.lin2ulaw(x, 2)),
    "lin2alaw": ("fragment", lambda x: af.lin2alaw(x, 2)),
    "resample": ("x", lambda x: af.resample(x, 16000, 8000)),
    "Resampler.process": ("chunk", lambda x: Resampler(16000, 24000).process(x)),
    "Ring.write": ("pcm", lambda x: (ring := Ring(4096)).write(x) and ring.read(len(ring))),
    "OutboundEncoder.push": ("pcm", lambda x: OutboundEncoder(ULAW8K, "s").push(x, 16000)),
    "StreamSession.play": ("pcm", lambda x: (s := session()).play(x, 16000) or s.data_to_send()),
}


def signal(dtype: type[np.floating], n: int = 999) -> npt.NDArray[np.floating]:
    rng = np.random.default_rng(n)
    return (rng.standard_normal(n) * 0.3).astype(dtype)


def same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("call", CALLS)
def test_float64_is_taken_as_float32_of_the_same_values(call: str) -> None:
    _, run = CALLS[call]
    x64 = signal(np.float64)
    x32 = x64.astype(np.float32)
    ours, theirs = run(x64), run(x32)
    if isinstance(ours, np.ndarray) and ours.dtype.kind == "f":
        # Resampling gives float64 back for float64 in, computed in float32.
        assert ours.dtype == np.float64 and isinstance(theirs, np.ndarray)
        np.testing.assert_array_equal(ours, theirs.astype(np.float64))
    else:
        assert same(ours, theirs)


@pytest.mark.parametrize("dtype", FLOATS)
def test_float64_strided_and_readonly_arrays_are_read_correctly(dtype: type[np.floating]) -> None:
    x = signal(dtype, 2000)
    strided = x[::2]
    readonly = x.copy()
    readonly.flags.writeable = False
    assert af.ulaw_encode(strided) == af.ulaw_encode(strided.copy())
    assert af.ulaw_encode(readonly) == af.ulaw_encode(x)
    assert af.resample(strided, 16000, 8000).dtype == dtype


def test_edge_values_convert_the_same_in_both_dtypes() -> None:
    values = [0.0, -0.0, 1e-45, -1e-45, 1e-310, 0.5 / 32768, 1.0, -1.0, 1.5, -7.0, 1e30, -1e30]
    expected = [0, 0, 0, 0, 0, 1, 32767, -32768, 32767, -32768, 32767, -32768]
    for dtype in FLOATS:
        x = np.array(values, dtype=dtype)
        assert af.l16_decode(af.l16_encode(x)).tolist() == expected, dtype
    # float64 beyond float32's range saturates on its way through float32.
    huge = np.array([1e300, -1e300, np.finfo(np.float64).max], np.float64)
    assert af.l16_decode(af.l16_encode(huge)).tolist() == [32767, -32768, 32767]
    y = af.resample(huge, 8000, 8000)
    assert y.dtype == np.float64 and np.isfinite(y).all()


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("bad", "shown"), [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_samples_that_are_not_finite_are_refused_naming_the_parameter_and_sample(
    call: str, dtype: type[np.floating], bad: float, shown: str
) -> None:
    name, run = CALLS[call]
    x = signal(dtype, 700)
    x[517] = bad
    x[600] = np.nan
    with pytest.raises(CodecError) as info:
        run(x)
    assert info.value.kind == "bad_value"
    assert str(info.value) == (
        f"{name}[517] is {shown}: float samples must be finite (NaN and ±inf are refused)"
    )


def test_a_refused_push_leaves_no_trace() -> None:
    x = signal(np.float64, 3000)
    bad = x.copy()
    bad[2999] = np.nan
    for dtype in FLOATS:
        clean, refused = OutboundEncoder(ULAW8K, "s"), OutboundEncoder(ULAW8K, "s")
        out = clean.push(x[:1000].astype(dtype), 16000)
        assert refused.push(x[:1000].astype(dtype), 16000) == out
        with pytest.raises(CodecError):
            refused.push(bad.astype(dtype), 16000)
        assert refused.pending_ms == clean.pending_ms
        assert refused.push(x[1000:].astype(dtype), 16000) == clean.push(
            x[1000:].astype(dtype), 16000
        )
        assert refused.flush() == clean.flush()
        assert refused.stats == clean.stats


def test_a_refused_chunk_leaves_the_resampler_and_ring_as_they_were() -> None:
    x = signal(np.float32, 960)
    bad = x.copy()
    bad[5] = -np.inf
    for dtype in FLOATS:
        clean, refused = Resampler(48000, 16000), Resampler(48000, 16000)
        np.testing.assert_array_equal(
            refused.process(x[:480].astype(dtype)), clean.process(x[:480].astype(dtype))
        )
        with pytest.raises(CodecError):
            refused.process(bad.astype(dtype))
        np.testing.assert_array_equal(
            refused.process(x[480:].astype(dtype)), clean.process(x[480:].astype(dtype))
        )
        np.testing.assert_array_equal(refused.flush(), clean.flush())
    ring = Ring(100)
    ring.write(np.ones(10, np.int16))
    for dtype in FLOATS:
        with pytest.raises(CodecError):
            ring.write(bad[:50].astype(dtype))
    assert ring.available == 10 and ring.write_position == 10


def test_a_refused_play_queues_nothing() -> None:
    s = session()
    s.play(signal(np.float64, 1600), 16000)
    before = (s.queued_ms, s.data_to_send())
    bad = signal(np.float64, 1600)
    bad[0] = np.nan
    with pytest.raises(CodecError, match=r"^pcm\[0\] is nan"):
        s.play(bad, 16000)
    assert (s.queued_ms, s.data_to_send()) == (before[0], [])


# --- the wrong type: every PCM call names its parameter and says what it accepts ----------

ACCEPTED = (
    "must be a 1-D numpy array of int16, float32 or float64 samples, or a bytes-like object "
    "of little-endian int16 samples, got "
)


@pytest.mark.parametrize("call", [*CALLS, "pcm_array"])
@pytest.mark.parametrize(
    ("bad", "described"),
    [
        ([0.0] * 480, "list"),
        ("0000", "str"),
        (np.zeros(4, np.float16), "ndarray of dtype float16 with shape (4,)"),
        (np.zeros((2, 2), np.float64), "ndarray of dtype float64 with shape (2, 2)"),
    ],
)
def test_the_wrong_type_names_the_parameter_and_what_is_accepted(
    call: str, bad: object, described: str
) -> None:
    name, run = CALLS.get(call, ("pcm", pcm_array))
    with pytest.raises(TypeError) as info:
        run(bad)
    assert str(info.value) == f"{name} {ACCEPTED}{described}"


def test_an_odd_number_of_bytes_names_the_parameter() -> None:
    for name, run in CALLS.values():
        with pytest.raises(CodecError, match=rf"^{name}: L16 data must have an even number"):
            run(b"\x00\x01\x02")


def test_pcm_array_returns_arrays_as_they_are_and_decodes_bytes() -> None:
    for x in (np.zeros(3, np.int16), np.zeros(3, np.float32), np.zeros(3, np.float64)):
        assert pcm_array(x) is x
    assert pcm_array(b"\x01\x00\xff\xff").tolist() == [1, -1]
    assert pcm_array(memoryview(b"\x02\x00")).dtype == np.int16


class _Socket:
    """The app's side of a WebSocket in memory: what the platform sends, and what is sent."""

    def __init__(self, messages: list[str]) -> None:
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()
        for message in messages:
            self.inbox.put_nowait(message)
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def receive_text(self) -> str | None:
        return await self.inbox.get()


async def test_audio_stream_play_names_pcm_and_takes_float64() -> None:
    socket = _Socket([af.wire.start("s", ULAW8K, call_id="c")])
    async with AudioStream(socket) as stream:
        assert isinstance(await anext(stream), af.Start)
        with pytest.raises(TypeError) as info:
            await stream.play([0.0] * 480, 24000)  # type: ignore[arg-type]
        assert str(info.value) == f"pcm {ACCEPTED}list"
        bad = np.zeros(480)
        bad[7] = np.inf
        with pytest.raises(CodecError, match=r"^pcm\[7\] is inf"):
            await stream.play(bad, 24000)
        await stream.play(signal(np.float64, 480), 24000)
        assert any('"playAudio"' in text for text in socket.sent)
        socket.inbox.put_nowait(None)
