"""Streaming resampler against the peers voice apps use, side by side in one run.

Peers: soxr's stream resampler at HQ and VHQ (VHQ is pipecat's choice), stateless
``soxr.resample`` and ``scipy.signal.resample_poly`` applied frame by frame, and
``audioop.ratecv``. For each: the time per 20 ms int16 frame (including the Python call),
bulk throughput on 60 s, and, measured rather than timed, the streaming delay, how many
20 ms calls returned nothing, and the error at frame seams (the clicks of stateless
per-frame resampling; :func:`behaviour`, tabled by ``benches/report.py`` beside the magnitude
responses). With ``--benchmark-disable`` everything runs once on a short signal.
"""

from __future__ import annotations

import audioop
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soxr
from scipy import signal

import audiofork as af
from audiofork.samples import speech

FRAME_PAIRS = [(8000, 16000), (24000, 8000), (16000, 8000)]
BULK_PAIRS = [(8000, 16000), (24000, 8000), (16000, 24000), (48000, 16000), (44100, 48000)]

Int16 = npt.NDArray[np.int16]
_speech, _ = speech(16000)


def speech(rate: int, seconds: float) -> Int16:
    """`seconds` of the bundled speech (looped) at `rate`."""
    x = np.tile(_speech, int(seconds // 9) + 1)[: int(16000 * seconds)]
    return af.resample(x, 16000, rate) if rate != 16000 else x


def up_down(in_rate: int, out_rate: int) -> tuple[int, int]:
    r = Fraction(out_rate, in_rate)
    return r.numerator, r.denominator


# --- the contenders, as streams: make(in_rate, out_rate) -> frame -> output ------------


def _ours(quality: str) -> Callable[[int, int], Callable[[Int16], Int16]]:
    def make(in_rate: int, out_rate: int) -> Callable[[Int16], Int16]:
        return af.Resampler(in_rate, out_rate, quality).process

    return make


def _soxr_stream(quality: str) -> Callable[[int, int], Callable[[Int16], Int16]]:
    def make(in_rate: int, out_rate: int) -> Callable[[Int16], Int16]:
        stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality=quality)
        return stream.resample_chunk

    return make


def _soxr_per_frame(in_rate: int, out_rate: int) -> Callable[[Int16], Int16]:
    return lambda frame: soxr.resample(frame, in_rate, out_rate, quality="HQ")


def _scipy_per_frame(in_rate: int, out_rate: int) -> Callable[[Int16], Int16]:
    up, down = up_down(in_rate, out_rate)
    return lambda frame: signal.resample_poly(frame, up, down).astype(np.int16)


def _ratecv(in_rate: int, out_rate: int) -> Callable[[Int16], Int16]:
    state: Any = None

    def run(frame: Int16) -> Int16:
        nonlocal state
        out, state = audioop.ratecv(frame.tobytes(), 2, 1, in_rate, out_rate, state)
        return np.frombuffer(out, dtype=np.int16)

    return run


STREAMS: dict[str, Callable[[int, int], Callable[[Int16], Int16]]] = {
    "audiofork default": _ours("default"),
    "audiofork high": _ours("high"),
    "soxr stream HQ": _soxr_stream("HQ"),
    "soxr stream VHQ": _soxr_stream("VHQ"),
    "soxr.resample per frame": _soxr_per_frame,
    "scipy resample_poly per frame": _scipy_per_frame,
    "audioop.ratecv": _ratecv,
}


def _bulk_ours(quality: str) -> Callable[[Int16, int, int], Int16]:
    return lambda x, a, b: af.resample(x, a, b, quality)


def _bulk_stream(quality: str) -> Callable[[Int16, int, int], Int16]:
    def run(x: Int16, a: int, b: int) -> Int16:
        stream = soxr.ResampleStream(a, b, 1, dtype="int16", quality=quality)
        return stream.resample_chunk(x, last=True)

    return run


def _bulk_ratecv(x: Int16, a: int, b: int) -> Int16:
    return np.frombuffer(audioop.ratecv(x.tobytes(), 2, 1, a, b, None)[0], dtype=np.int16)


def _bulk_scipy(x: Int16, a: int, b: int) -> Int16:
    return signal.resample_poly(x, *up_down(a, b)).astype(np.int16)


BULK: dict[str, Callable[[Int16, int, int], Int16]] = {
    "audiofork default": _bulk_ours("default"),
    "audiofork high": _bulk_ours("high"),
    "soxr stream HQ": _bulk_stream("HQ"),
    "soxr stream VHQ": _bulk_stream("VHQ"),
    "soxr.resample": lambda x, a, b: soxr.resample(x, a, b, quality="HQ"),
    "scipy resample_poly": _bulk_scipy,
    "audioop.ratecv": _bulk_ratecv,
}


def _slug(name: str) -> str:
    return name.replace(" ", "_").replace(".", "_")


# --- timed -------------------------------------------------------------------------------


FRAMES = 50  # one second of 20 ms frames per timed call, so bursty peers are averaged fairly
# What a stream may hold back of the output it owes: soxr's streams hand theirs out in bursts
# and keep up to about 115 ms.
HELD_BACK_S = 0.15


@pytest.mark.parametrize(("in_rate", "out_rate"), FRAME_PAIRS)
@pytest.mark.parametrize("name", list(STREAMS), ids=_slug)
def test_frame(benchmark, name: str, in_rate: int, out_rate: int) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"resample: per 20 ms int16 frame, streaming {in_rate} -> {out_rate}"
    benchmark.extra_info.update(kind="frame", peer=name, pair=f"{in_rate}->{out_rate}")
    benchmark.extra_info["frames"] = FRAMES
    process = STREAMS[name](in_rate, out_rate)
    frames = np.split(speech(in_rate, 1.1)[: FRAMES * (in_rate // 50)], FRAMES)
    # The same work before any timing: three passes give what was fed, at the output rate,
    # less at most what the stream holds back (ours: exactly 20 ms per frame).
    owed = 3 * FRAMES * (out_rate // 50)
    produced = [len(process(f)) for _ in range(3) for f in frames]
    assert owed - HELD_BACK_S * out_rate <= sum(produced) <= owed, (name, sum(produced), owed)
    if name.startswith("audiofork"):
        assert set(produced) == {out_rate // 50}

    def run() -> None:
        for frame in frames:
            process(frame)

    benchmark(run)


@pytest.mark.parametrize(("in_rate", "out_rate"), BULK_PAIRS)
@pytest.mark.parametrize("name", list(BULK), ids=_slug)
def test_bulk(benchmark, name: str, in_rate: int, out_rate: int) -> None:  # type: ignore[no-untyped-def]
    seconds = 1 if benchmark.disabled else 60
    benchmark.group = f"resample: {seconds} s int16 in one call {in_rate} -> {out_rate}"
    benchmark.extra_info.update(kind="bulk", peer=name, pair=f"{in_rate}->{out_rate}")
    benchmark.extra_info["out_samples"] = seconds * out_rate
    x = speech(in_rate, seconds)
    # The same work before any timing: every peer returns the whole signal at the new rate.
    out = BULK[name](x, in_rate, out_rate)
    assert abs(len(out) - seconds * out_rate) <= 64, (name, len(out))
    benchmark(BULK[name], x, in_rate, out_rate)


# --- measured: delay, empty calls, seams -------------------------------------------------


@dataclass
class Behaviour:
    delay_ms: float
    empty_calls: int
    calls: int
    seam_db: float


def behaviour(name: str, in_rate: int, out_rate: int, frames: int = 50) -> Behaviour:
    """Stream `frames` 20 ms frames of speech with a click in frame 10 through `name`.

    The delay is what a listener gets when the output is played as it arrives: the click's
    place in the output stream after its place in the input, plus how far the output ever
    fell behind the input fed so far (a stream that holds samples back must start playing
    that much later, or run dry).
    """
    n = in_rate // 50
    x = speech(in_rate, frames / 50 + 0.1)[: frames * n].astype(np.int32)
    x //= 8
    click = 10 * n + n // 2
    x[click] = 30000
    x16 = x.astype(np.int16)
    process = STREAMS[name](in_rate, out_rate)
    outs = [process(f) for f in np.split(x16, frames)]
    y = np.concatenate(outs).astype(np.float64)
    expected = click * out_rate / in_rate
    lo, hi = int(expected) - out_rate // 200, int(expected) + out_rate // 10
    peak = lo + int(np.argmax(y[lo:hi]))
    produced = np.cumsum([len(o) for o in outs]) / out_rate
    fed = np.arange(1, frames + 1) * n / in_rate
    behind = max(0.0, float(np.max(fed - produced)))
    delay_ms = (peak - expected) * 1000 / out_rate + behind * 1000
    # The same signal in one call to the same method (both start at time 0 with the same
    # delay): what differs is what the frame seams did.
    whole = STREAMS[name](in_rate, out_rate)(x16).astype(np.float64)
    m = min(len(whole), len(y))
    err = y[:m] - whole[:m]
    seam_db = 10 * np.log10(max(np.sum(err**2), 1e-30) / np.sum(whole[:m] ** 2))
    empty = sum(len(o) == 0 for o in outs)
    return Behaviour(delay_ms, empty, len(outs), seam_db)
