"""The report's figures (PNG, matplotlib): per-frame latency, resampler response, load curve.

Each function draws one figure from data it is given or computes, and returns its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import soxr

import audiofork as af

Float = npt.NDArray[np.float64]

# The resamplers compared: one-shot, delay compensated, float in and out.
RESAMPLERS = {
    "audiofork default": lambda x, a, b: af.resample(x, a, b, "default"),
    "audiofork high": lambda x, a, b: af.resample(x, a, b, "high"),
    "soxr HQ": lambda x, a, b: soxr.resample(x, a, b, quality="HQ"),
    "soxr VHQ": lambda x, a, b: soxr.resample(x, a, b, quality="VHQ"),
}


def latency(panels: Mapping[str, Mapping[str, Sequence[int]]], path: Path) -> Path:
    """Per-frame times (ns), one panel per direction: a histogram on a log scale, and the
    share of frames slower than each time (the tail)."""
    fig, axes = plt.subplots(2, len(panels), figsize=(6.5 * len(panels), 7.5), squeeze=False)
    for column, (title, paths) in enumerate(panels.items()):
        hist, tail = axes[0][column], axes[1][column]
        every = np.concatenate([np.asarray(t, np.float64) for t in paths.values()]) / 1000
        bins = np.geomspace(max(every.min(), 0.05), every.max() * 1.01, 120)
        for label, times in paths.items():
            us = np.sort(np.asarray(times, np.float64) / 1000)
            p50, p99 = np.percentile(us, [50, 99])
            name = f"{label} (p50 {p50:.2f} µs, p99 {p99:.1f} µs)"
            hist.hist(us, bins=bins, histtype="step", linewidth=1.2, label=name)
            slower = 1.0 - np.arange(1, len(us) + 1) / len(us)
            tail.step(us[:-1], slower[:-1], where="post", linewidth=1.2, label=label)
        hist.set(xscale="log", xlabel="µs per frame", ylabel="frames", title=title)
        hist.legend(fontsize=8)
        tail.set(xscale="log", yscale="log", xlabel="µs per frame", ylabel="share of frames slower")
        tail.grid(True, which="both", linewidth=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _db(x: Float) -> Float:
    return np.asarray(20 * np.log10(np.maximum(x, 1e-12)), np.float64)


def impulse_response_db(in_rate: int, out_rate: int) -> tuple[Float, dict[str, Float]]:
    """Upsampling: an impulse through each resampler is its whole filter. Frequencies (Hz)
    and the magnitude (dB, 0 = unity gain) per resampler."""
    x = np.zeros(4000, np.float32)
    x[2000] = 1.0
    gain = out_rate / in_rate
    size = 1 << 16
    freqs = np.fft.rfftfreq(size, 1 / out_rate)
    curves = {
        name: _db(np.abs(np.fft.rfft(np.asarray(run(x, in_rate, out_rate), np.float64), size)))
        - _db(np.array(gain))
        for name, run in RESAMPLERS.items()
    }
    return freqs, curves


def sweep_response_db(
    in_rate: int, out_rate: int, step_hz: int = 50
) -> tuple[Float, dict[str, Float]]:
    """Downsampling: a one-second sine at each frequency below the input's Nyquist; the level
    that comes out (dB re the input), whatever its frequency: above the output's Nyquist it
    is the alias the filter let through."""
    freqs = np.arange(step_hz, in_rate // 2, step_hz, dtype=np.float64)
    freqs = freqs[freqs != out_rate / 2]
    t = np.arange(in_rate) / in_rate
    edge = out_rate // 10  # the filter's start and end are left out
    curves: dict[str, Float] = {name: np.empty(len(freqs)) for name in RESAMPLERS}
    for i, f in enumerate(freqs):
        x = (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32)
        for name, run in RESAMPLERS.items():
            y = np.asarray(run(x, in_rate, out_rate), np.float64)[edge:-edge]
            curves[name][i] = _db(np.array(np.sqrt(np.mean(y**2)) / (0.5 / np.sqrt(2))))[()]
    return freqs, curves


def resampler_response(path: Path) -> Path:
    """8 -> 16 kHz from the impulse response (whole range and passband), 16 -> 8 kHz from a
    sine sweep; audiofork's two qualities against soxr HQ and VHQ."""
    fig, (full, zoom, down) = plt.subplots(3, 1, figsize=(9, 10.5))
    freqs, curves = impulse_response_db(8000, 16000)
    for label, db in curves.items():
        full.plot(freqs, db, label=label, linewidth=1)
        zoom.plot(freqs, db, label=label, linewidth=1)
    full.set(ylim=(-160, 5), xlim=(0, 8000), ylabel="dB", title="8 kHz -> 16 kHz: impulse response")
    zoom.set(ylim=(-0.3, 0.1), xlim=(0, 4400), ylabel="dB", title="8 kHz -> 16 kHz: passband")
    sweep_f, sweep = sweep_response_db(16000, 8000)
    for label, db in sweep.items():
        down.plot(sweep_f, db, label=label, linewidth=1)
    down.set(
        ylim=(-160, 5),
        xlim=(0, 8000),
        xlabel="input frequency, Hz",
        ylabel="dB",
        title="16 kHz -> 8 kHz: level out for a sine in (above 4 kHz: its alias)",
    )
    for ax in (full, down):
        for level in (-90, -100):
            ax.axhline(level, color="grey", linewidth=0.5, linestyle=":")
        for hz in (3400, 4000):
            ax.axvline(hz, color="grey", linewidth=0.5, linestyle=":")
    zoom.axhline(-0.1, color="grey", linewidth=0.5, linestyle=":")
    full.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def load_curve(series: Mapping[str, Sequence[Mapping[str, Any]]], path: Path) -> Path:
    """CPU per call-second and p99 added latency against the number of concurrent calls,
    one line per app."""
    fig, (cpu, p99) = plt.subplots(1, 2, figsize=(12, 4.5))
    for app, rows in series.items():
        rows = sorted(rows, key=lambda r: r["calls"])
        calls = [r["calls"] for r in rows]
        cpu.plot(calls, [r["cpu_ms_per_call_s"] for r in rows], marker="o", label=app)
        p99.plot(calls, [r["p99_ms"] for r in rows], marker="o", label=app)
    cpu.set(xscale="log", xlabel="concurrent calls", ylabel="app CPU-ms per call-second")
    p99.set(xscale="log", yscale="log", xlabel="concurrent calls", ylabel="p99 added latency, ms")
    for ax in (cpu, p99):
        ax.grid(True, which="both", linewidth=0.3)
    cpu.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
