"""Streaming resampler against the peers voice apps use, side by side in one run.

Peers: soxr's stream resampler at HQ and VHQ (VHQ is pipecat's choice), stateless
``soxr.resample`` and ``scipy.signal.resample_poly`` applied frame by frame, and
``audioop.ratecv``. For each: the time per 20 ms int16 frame (including the Python call),
bulk throughput on 60 s, and, measured rather than timed, the streaming delay, how many
20 ms calls returned nothing, and the error at frame seams (the clicks of stateless
per-frame resampling). ``make bench`` prints the table at the end and writes
``benches/out/resample_response.png``: the magnitude response of "default" and "high" against
soxr HQ. With ``--benchmark-disable`` everything runs once on a short signal and nothing is
written.
"""

from __future__ import annotations

import audioop
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
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
OUT = Path(__file__).parent / "out"

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


# --- the summary and the plot ------------------------------------------------------------


def _collected(config: pytest.Config) -> Iterator[tuple[dict[str, Any], float]]:
    session = getattr(config, "_benchmarksession", None)
    if session is None or session.disabled:
        return
    for bench in session.benchmarks:
        if bench.stats and bench.extra_info.get("peer"):
            yield bench.extra_info, bench.stats.median / bench.extra_info.get("frames", 1)


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    config = request.config
    rows = list(_collected(config))
    if not rows:
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        report(config.pluginmanager.getplugin("terminalreporter").write_line, rows)


def report(write: Callable[[str], None], rows: list[tuple[dict[str, Any], float]]) -> None:
    """Print the side-by-side table and write the response plot."""
    frame = {(i["peer"], i["pair"]): t for i, t in rows if i["kind"] == "frame"}
    bulk = {(i["peer"], i["pair"]): i["out_samples"] / t for i, t in rows if i["kind"] == "bulk"}
    write("")
    write("resample: audiofork vs peers (median; ratio = how many times faster audiofork is)")
    frame_pairs = [f"{a}->{b}" for a, b in FRAME_PAIRS]
    bulk_pairs = [f"{a}->{b}" for a, b in BULK_PAIRS]
    write("  per 20 ms int16 frame, µs (ratio vs audiofork default | high)")
    write(f"    {'':32}" + "".join(f"{p:>28}" for p in frame_pairs))
    for name in STREAMS:
        cells = []
        for p in frame_pairs:
            t = frame.get((name, p))
            d, h = frame.get(("audiofork default", p)), frame.get(("audiofork high", p))
            cells.append(
                f"{t * 1e6:9.2f} ({t / d:6.1f}x |{t / h:5.1f}x)" if t and d and h else f"{'-':>28}"
            )
        write(f"    {name:32}" + "".join(f"{c:>28}" for c in cells))
    write("  bulk, output Msamples/s (audiofork default | high speed-up over it)")
    write(f"    {'':32}" + "".join(f"{p:>24}" for p in bulk_pairs))
    for name in BULK:
        cells = []
        for p in bulk_pairs:
            s = bulk.get((name, p))
            d, h = bulk.get(("audiofork default", p)), bulk.get(("audiofork high", p))
            cells.append(f"{s / 1e6:7.1f} ({d / s:5.1f}x|{h / s:4.1f}x)" if s and d and h else "-")
        write(f"    {name:32}" + "".join(f"{c:>24}" for c in cells))
    write("  streaming 20 ms frames (measured): delay ms / calls that returned nothing / seams dB")
    write(f"    {'':32}" + "".join(f"{p:>28}" for p in frame_pairs))
    for name in STREAMS:
        cells = []
        for a, b in FRAME_PAIRS:
            beh = behaviour(name, a, b)
            seams = "none" if beh.seam_db < -200 else f"{beh.seam_db:.0f}"
            cells.append(f"{beh.delay_ms:6.2f} / {beh.empty_calls:2d} of {beh.calls} / {seams}")
        write(f"    {name:32}" + "".join(f"{c:>28}" for c in cells))
    OUT.mkdir(exist_ok=True)
    path = plot_response(OUT / "resample_response.png")
    write(f"  magnitude response: {path}")


def impulse_response_db(y: npt.NDArray[Any], gain: float) -> npt.NDArray[np.float64]:
    mag = np.abs(np.fft.rfft(y.astype(np.float64), 1 << 16)) / gain
    return 20 * np.log10(np.maximum(mag, 1e-12))


def plot_response(path: Path) -> Path:
    """8 -> 16 kHz: an impulse through each is the whole upsampling filter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.zeros(4000, np.float32)
    x[2000] = 1.0
    curves = {
        "audiofork default": af.resample(x, 8000, 16000, "default"),
        "audiofork high": af.resample(x, 8000, 16000, "high"),
        "soxr HQ": soxr.resample(x, 8000, 16000, quality="HQ"),
        "soxr VHQ": soxr.resample(x, 8000, 16000, quality="VHQ"),
    }
    freqs = np.fft.rfftfreq(1 << 16, 1 / 16000)
    fig, (full, zoom) = plt.subplots(2, 1, figsize=(9, 7))
    for label, y in curves.items():
        db = impulse_response_db(y, 2.0)
        full.plot(freqs, db, label=label, linewidth=1)
        zoom.plot(freqs, db, label=label, linewidth=1)
    for limit, ax in [(3.4, full), (4.0, full)]:
        ax.axvline(limit * 1000, color="grey", linewidth=0.5, linestyle=":")
    full.axhline(-90, color="grey", linewidth=0.5, linestyle=":")
    full.axhline(-100, color="grey", linewidth=0.5, linestyle=":")
    full.set(ylim=(-160, 5), xlim=(0, 8000), ylabel="dB", title="8 kHz -> 16 kHz: magnitude")
    zoom.set(ylim=(-0.3, 0.1), xlim=(0, 4400), xlabel="Hz", ylabel="dB", title="passband")
    zoom.axhline(-0.1, color="grey", linewidth=0.5, linestyle=":")
    full.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
