"""Streaming resampler: framing, chunking independence, filter quality, delay, errors.

Quality is checked on the float path, numerically: feeding one isolated impulse per input
phase recovers the whole polyphase prototype ``h`` (output ``m`` of an impulse at input ``n``
is ``h[m*M - n*L]``), whose spectrum on the fine grid ``L * in_rate`` holds every passband
gain, alias and image of the resampler at once. Tones confirm it from the outside.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import audiofork as af
from audiofork import ArgumentError, FormatError

FAMILY = [8000, 16000, 24000, 32000, 48000]
RATES = [*FAMILY, 11025, 22050, 44100]
ALL_PAIRS = [(a, b) for a in RATES for b in RATES if a != b]
WHOLE_PAIRS = [(a, b) for a in FAMILY for b in FAMILY if a != b]
QUALITIES = ["default", "high"]
# Passband edge, stopband edge (fractions of the lower Nyquist frequency), rejection, delay.
SPEC = {"default": (0.85, 1.1, 90.0, 3.0), "high": (0.9, 1.0, 100.0, 8.0)}


def ratio(in_rate: int, out_rate: int) -> tuple[int, int]:
    r = Fraction(out_rate, in_rate)
    return r.numerator, r.denominator


def noise(n: int, seed: int = 0, scale: float = 0.3) -> npt.NDArray[np.float32]:
    return (np.random.default_rng(seed).standard_normal(n) * scale).astype(np.float32)


def to_int16(x: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def prototype(in_rate: int, out_rate: int, quality: str) -> tuple[npt.NDArray[np.float64], int]:
    """The resampler's prototype filter, recovered from its impulse responses."""
    big_l, big_m = ratio(in_rate, out_rate)
    r = af.Resampler(in_rate, out_rate, quality)
    taps = 2 * big_m * r.delay_samples + 1
    # Impulses `spacing` inputs apart never share an output; with gcd(spacing, M) = 1 the
    # M of them land on every residue of k = m*M - n*L modulo M.
    spacing = taps // big_l + 3
    while math.gcd(spacing, big_m) != 1:
        spacing += 1
    starts = np.arange(big_m, dtype=np.int64) * spacing
    x = np.zeros(big_m * spacing, np.float32)
    x[starts] = 1.0
    y = np.concatenate([r.process(x), r.flush()]).astype(np.float64)
    first = -(-starts * big_l // big_m)
    m = first[:, None] + np.arange(taps // big_m + 2)[None, :]
    k = m * big_m - starts[:, None] * big_l
    ok = (k >= 0) & (k < taps) & (m < len(y))
    h = np.full(taps, np.nan)
    h[k[ok]] = y[m[ok]]
    assert not np.isnan(h).any(), "every tap recovered"
    return h, big_l


def response_db(
    h: npt.NDArray[np.float64], gain: int, fine_rate: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    nfft = 1 << max(16, int(np.ceil(np.log2(8 * len(h)))))
    mag = np.abs(np.fft.rfft(h, nfft)) / gain
    freqs = np.arange(len(mag)) * fine_rate / nfft
    return freqs, 20 * np.log10(np.maximum(mag, 1e-300))


# --- construction and errors -------------------------------------------------------------


def test_properties_and_repr() -> None:
    r = af.Resampler(8000, 16000)
    assert (r.in_rate, r.out_rate, r.quality) == (8000, 16000, "default")
    assert isinstance(r.delay_samples, int)
    assert r.delay_ms == pytest.approx(r.delay_samples * 1000 / 16000)
    assert repr(r) == "Resampler(in_rate=8000, out_rate=16000, quality='default')"
    assert af.Resampler(8000, 16000, "high").quality == "high"


@pytest.mark.parametrize("bad", [0, -8000, 12000, 96000, 2**40, 1])
def test_unsupported_rates_raise_format_error_naming_the_rate(bad: int) -> None:
    with pytest.raises(FormatError, match=str(bad)):
        af.Resampler(bad, 8000)
    with pytest.raises(FormatError, match=str(bad)):
        af.Resampler(8000, bad)
    with pytest.raises(FormatError, match=str(bad)):
        af.resample(np.zeros(10, np.int16), 16000, bad)


def test_bad_quality_and_types() -> None:
    message = 'quality: "best" is not a quality; expected "default" or "high"'
    with pytest.raises(FormatError) as streaming:
        af.Resampler(8000, 16000, "best")
    with pytest.raises(FormatError) as one_shot:
        af.resample(np.zeros(4, np.int16), 8000, 16000, "best")
    assert str(streaming.value) == str(one_shot.value) == message
    with pytest.raises(TypeError):
        af.Resampler(8000.0, 16000)  # type: ignore[arg-type]
    r = af.Resampler(8000, 16000)
    for bad in [np.zeros(4, np.float16), np.zeros(4, np.int32), np.zeros((2, 2), np.int16), "x"]:
        with pytest.raises(TypeError, match=r"^chunk must be"):
            r.process(bad)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"^x must be"):
        af.resample(np.zeros(4, np.float16), 8000, 16000)  # type: ignore[call-overload]


def test_equal_rates_pass_through() -> None:
    r = af.Resampler(16000, 16000, "high")
    x = to_int16(noise(333))
    assert r.delay_samples == 0
    np.testing.assert_array_equal(r.process(x), x)
    assert len(r.flush()) == 0
    xf = noise(10)
    np.testing.assert_array_equal(af.resample(xf, 24000, 24000), xf)


def test_dtypes_follow_the_input() -> None:
    r = af.Resampler(16000, 8000)
    assert r.process(np.zeros(320, np.int16)).dtype == np.int16
    assert r.flush().dtype == np.int16
    assert r.process(np.zeros(320, np.float32)).dtype == np.float32
    assert r.flush().dtype == np.float32
    # Bytes-like int16 and strided arrays are accepted too.
    assert r.process(bytes(640)).dtype == np.int16
    assert len(r.process(np.zeros(640, np.int16)[::2])) == 160
    assert af.resample(np.zeros(320, np.float32), 16000, 8000).dtype == np.float32


# --- exact framing -----------------------------------------------------------------------


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize(("in_rate", "out_rate"), WHOLE_PAIRS)
def test_every_20ms_chunk_returns_20ms(in_rate: int, out_rate: int, quality: str) -> None:
    r = af.Resampler(in_rate, out_rate, quality)
    x = to_int16(noise(in_rate // 50 * 5))
    for chunk in np.split(x, 5):
        assert len(r.process(chunk)) == out_rate // 50
    for chunk in np.split(noise(in_rate // 50 * 3), 3):
        assert len(r.process(chunk)) == out_rate // 50
    assert r.output_len(in_rate // 50) == out_rate // 50


def test_output_len_is_exact_or_raises() -> None:
    r = af.Resampler(8000, 48000)
    assert r.output_len(2**61) == 6 * 2**61
    with pytest.raises(ArgumentError, match=str(2**62)):
        r.output_len(2**62)
    assert af.Resampler(48000, 44100).output_len(2**64 - 1) == -(-(2**64 - 1) * 147 // 160)


@pytest.mark.parametrize(("in_rate", "out_rate"), [p for p in ALL_PAIRS if p not in WHOLE_PAIRS])
def test_fractional_pairs_stay_within_one_sample(in_rate: int, out_rate: int) -> None:
    r = af.Resampler(in_rate, out_rate)
    rng = np.random.default_rng(in_rate + out_rate)
    total_in = total_out = 0
    for _ in range(40):
        n = int(rng.integers(1, 1500))
        total_out += len(r.process(np.zeros(n, np.int16)))
        total_in += n
        exact = total_in * out_rate // in_rate
        assert 0 <= total_out - exact <= 1
    # Nothing is withheld: the count is exactly ceil(total_in * out / in).
    assert total_out == -(-total_in * out_rate // in_rate)


# --- chunking independence ---------------------------------------------------------------

CHUNK_PAIRS = [
    (8000, 16000),
    (16000, 8000),
    (24000, 8000),
    (48000, 8000),
    (16000, 24000),
    (48000, 32000),
    (8000, 48000),
    (44100, 48000),
    (8000, 11025),
    (22050, 16000),
    (11025, 44100),
    (16000, 16000),
]


@settings(max_examples=60, deadline=None)
@given(
    pair=st.sampled_from(CHUNK_PAIRS),
    quality=st.sampled_from(QUALITIES),
    seed=st.integers(0, 2**32 - 1),
    length=st.integers(0, 6000),
    sizes=st.lists(st.integers(1, 2000), min_size=1, max_size=40),
)
def test_any_chunking_gives_the_same_samples(
    pair: tuple[int, int], quality: str, seed: int, length: int, sizes: list[int]
) -> None:
    in_rate, out_rate = pair
    x = noise(length, seed, 0.5)
    xi = to_int16(x)
    whole = af.Resampler(in_rate, out_rate, quality)
    want_i = np.concatenate([whole.process(xi), whole.flush()])
    want_f = np.concatenate([whole.process(x), whole.flush()])
    r = af.Resampler(in_rate, out_rate, quality)
    cuts = np.cumsum(sizes * (length // sum(sizes) + 1))
    parts_i = [r.process(c) for c in np.split(xi, cuts[cuts < length])]
    got_i = np.concatenate([*parts_i, r.flush()])
    parts_f = [r.process(c) for c in np.split(x, cuts[cuts < length])]
    got_f = np.concatenate([*parts_f, r.flush()])
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_f.view(np.uint32), want_f.view(np.uint32))


# --- quality -----------------------------------------------------------------------------


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize(("in_rate", "out_rate"), ALL_PAIRS)
def test_filter_meets_the_contract(in_rate: int, out_rate: int, quality: str) -> None:
    pass_frac, stop_frac, rejection, max_delay_ms = SPEC[quality]
    h, gain = prototype(in_rate, out_rate, quality)
    # Linear phase: the prototype is symmetric, bit for bit.
    np.testing.assert_array_equal(h, h[::-1])
    nyquist = min(in_rate, out_rate) / 2
    freqs, db = response_db(h, gain, gain * in_rate)
    passband = db[freqs <= pass_frac * nyquist]
    assert passband.max() <= 0.1 and passband.min() >= -0.1, (passband.min(), passband.max())
    assert db[freqs >= stop_frac * nyquist].max() <= -rejection
    r = af.Resampler(in_rate, out_rate, quality)
    assert r.delay_ms <= max_delay_ms


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize(("in_rate", "out_rate"), ALL_PAIRS)
def test_declared_delay_is_the_impulse_peak(in_rate: int, out_rate: int, quality: str) -> None:
    r = af.Resampler(in_rate, out_rate, quality)
    x = np.zeros(in_rate // 20, np.float32)
    x[0] = 1.0
    y = np.concatenate([r.process(x), r.flush()])
    peak_ms = int(np.argmax(np.abs(y))) * 1000 / out_rate
    assert abs(peak_ms - r.delay_ms) <= 0.5
    # And the output starts at once: the impulse response begins before the peak.
    assert np.abs(y[: r.delay_samples]).max() > 0


def coherent_tone(rate: int, freq: float, seconds: float) -> npt.NDArray[np.float32]:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def spectrum_db(y: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.float64]:
    """Level in dB re the 0.5 amplitude of the test tones, 1 Hz bins (1 s, no window)."""
    seg = y[rate // 4 : rate // 4 + rate].astype(np.float64)
    mag = np.abs(np.fft.rfft(seg)) * 2 / len(seg)
    return 20 * np.log10(np.maximum(mag, 1e-300) / 0.5)


@pytest.mark.parametrize(
    ("in_rate", "out_rate", "quality"),
    [
        (8000, 16000, "default"),
        (16000, 8000, "default"),
        (24000, 8000, "default"),
        (48000, 16000, "high"),
        (8000, 24000, "high"),
        (44100, 48000, "default"),
        (22050, 8000, "high"),
    ],
)
def test_tones(in_rate: int, out_rate: int, quality: str) -> None:
    pass_frac, stop_frac, rejection, _ = SPEC[quality]
    nyquist = min(in_rate, out_rate) // 2
    # In the passband: unity gain within 0.1 dB, and for upsampling its images gone.
    for freq in [300, 1000, int(pass_frac * nyquist)]:
        y = af.resample(coherent_tone(in_rate, freq, 1.5), in_rate, out_rate, quality)
        db = spectrum_db(y, out_rate)
        assert abs(db[freq]) <= 0.1
        images = db[int(np.ceil(stop_frac * nyquist)) :]
        if out_rate > in_rate and len(images):
            assert images.max() <= -rejection
    # Beyond the stopband edge of a decimator: whatever folds back is rejection dB down.
    if out_rate < in_rate:
        for freq in [int(np.ceil(stop_frac * nyquist)), int(0.9 * in_rate / 2)]:
            y = af.resample(coherent_tone(in_rate, freq, 1.5), in_rate, out_rate, quality)
            assert spectrum_db(y, out_rate).max() <= -rejection


def test_int16_path_is_within_one_lsb_of_the_float_path() -> None:
    for in_rate, out_rate in [(8000, 16000), (48000, 8000), (16000, 24000), (44100, 16000)]:
        xi = to_int16(noise(in_rate // 5, 3, 0.2))
        yi = af.Resampler(in_rate, out_rate).process(xi)
        yf = af.Resampler(in_rate, out_rate).process(xi.astype(np.float32) / 32768)
        assert np.abs(yf).max() < 1.0  # no clipping in the int16 path
        assert np.abs(yi.astype(np.float64) - yf.astype(np.float64) * 32768).max() <= 1.0


# --- flush, reset, one-shot --------------------------------------------------------------


def test_flush_returns_the_tail_then_starts_afresh() -> None:
    r = af.Resampler(16000, 8000, "high")
    x = to_int16(noise(1000, 5))
    first = np.concatenate([r.process(x), r.flush()])
    assert len(first) == 500 + r.delay_samples
    second = np.concatenate([r.process(x), r.flush()])
    np.testing.assert_array_equal(first, second)


def test_reset_forgets_history() -> None:
    r = af.Resampler(8000, 44100)
    x = noise(800, 9)
    a = r.process(x)
    r.reset()
    np.testing.assert_array_equal(r.process(x), a)


def test_no_output_is_withheld_beyond_the_delay() -> None:
    # A step at input 0 (its midpoint half an input sample earlier) comes out delay_samples
    # late, in the very first call, and settles at once.
    r = af.Resampler(8000, 16000)
    y = r.process(np.ones(160, np.float32))
    d = r.delay_samples
    assert len(y) == 320
    assert abs(y[d - 1] - 0.5) < 0.01
    assert np.abs(y[: d - 8]).max() < 0.05  # only the linear-phase pre-ring
    np.testing.assert_allclose(y[2 * d :], 1.0, atol=0.012)


@pytest.mark.parametrize(("in_rate", "out_rate"), [(16000, 8000), (8000, 48000), (44100, 48000)])
def test_resample_is_aligned_and_rounded(in_rate: int, out_rate: int) -> None:
    for n in [0, 1, 7, 1001, 4410]:
        y = af.resample(np.zeros(n, np.int16), in_rate, out_rate)
        assert len(y) == int(Fraction(n * out_rate, in_rate) + Fraction(1, 2))
    x = np.zeros(in_rate // 10, np.float32)
    x[len(x) // 2] = 1.0
    y = af.resample(x, in_rate, out_rate, "high")
    assert abs(int(np.argmax(y)) / out_rate - 0.05) <= 1 / out_rate


def test_resample_matches_soxr_on_speech(speech_16k: npt.NDArray[np.int16]) -> None:
    soxr = pytest.importorskip("soxr")
    ours = af.resample(speech_16k, 16000, 8000).astype(np.float64)
    theirs = soxr.resample(speech_16k, 16000, 8000, quality="HQ").astype(np.float64)
    assert len(ours) == len(theirs)
    # Both delay-compensated: aligned sample for sample; different filters differ only
    # near the band edge, far below the signal.
    err = ours - theirs
    snr = 10 * np.log10(np.sum(theirs**2) / np.sum(err**2))
    assert snr > 30


# --- robustness --------------------------------------------------------------------------

ops = st.one_of(
    st.tuples(st.just("i16"), st.integers(0, 3000)),
    st.tuples(st.just("f32"), st.integers(0, 3000)),
    st.tuples(st.just("nan"), st.integers(0, 600)),
    st.tuples(st.just("odd"), st.integers(0, 50)),
    st.tuples(st.just("flush"), st.just(0)),
    st.tuples(st.just("reset"), st.just(0)),
)


@settings(max_examples=80, deadline=None)
@given(
    pair=st.sampled_from(ALL_PAIRS),
    quality=st.sampled_from(QUALITIES),
    program=st.lists(ops, max_size=12),
)
def test_any_sequence_of_calls_is_safe(
    pair: tuple[int, int], quality: str, program: list[tuple[str, int]]
) -> None:
    r = af.Resampler(*pair, quality)
    rng = np.random.default_rng(len(program))
    for op, n in program:
        if op == "i16":
            want = r.output_len(n)
            y = r.process(rng.integers(-32768, 32768, n).astype(np.int16))
            assert y.dtype == np.int16 and len(y) == want
        elif op == "f32":
            # Far out of range (by up to 1e30) but finite: accepted, as many samples as said.
            x = (rng.standard_normal(n) * 10).astype(np.float32)
            x[::97] = 3e30
            want = r.output_len(n)
            y = r.process(x)
            assert y.dtype == np.float32 and len(y) == want
        elif op == "nan":
            # Not finite: refused, and the stream goes on as if the call had not been made.
            x = np.zeros(n + 1, np.float32)
            x[n] = np.nan if n % 2 else -np.inf
            want = r.output_len(n + 1)
            with pytest.raises(af.CodecError, match=rf"^chunk\[{n}\] is "):
                r.process(x)
            assert r.output_len(n + 1) == want
        elif op == "odd":
            # Bytes-like input of an odd length is not int16 samples.
            with pytest.raises(af.CodecError):
                r.process(bytes(2 * n + 1))
        elif op == "flush":
            assert len(r.flush()) == r.delay_samples
        else:
            r.reset()
