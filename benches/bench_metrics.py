"""What ``audiofork.metrics`` costs the frame path: AudioStream's echo of 3,000 media
frames over the in-memory socket of bench_aio.py, with the metrics off (the reference) and
on, in one run.

On: Prometheus (a registry of its own) and OpenTelemetry (an SDK ``MeterProvider`` with an
in-memory reader) both enabled, at the default reading interval (1 s) and at 10 ms (a
hundred times as often, to show the readings' own cost). Nothing is done per frame by
design; what is left is a stream's registration, its close and the timer's readings.

Run as a script, the same echo alternates off and on round by round, so a load that comes
and goes on a shared machine falls on both alike, and prints the ratios::

    python benches/bench_metrics.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry

import audiofork.metrics
from audiofork.aio import AudioStream
from bench_aio import ClosableMemorySocket, echo_through, run_echo
from bench_pipeline import FRAMES

GROUP = "metrics: AudioStream echo of a media frame, metrics off vs on"


def enable(interval_s: float) -> None:
    audiofork.metrics.enable(
        prometheus=CollectorRegistry(),
        meter_provider=MeterProvider([InMemoryMetricReader()]),
        interval_s=interval_s,
    )


@pytest.fixture
def metrics_on(request: pytest.FixtureRequest) -> Iterator[None]:
    enable(request.param)
    yield
    audiofork.metrics.disable()


def run(benchmark: Any) -> None:
    run_echo(benchmark, echo_through(AudioStream, ClosableMemorySocket), GROUP)


def test_echo_audiofork_metrics_off(benchmark):
    assert not audiofork.metrics.enabled()
    run(benchmark)


@pytest.mark.parametrize("metrics_on", [1.0], indirect=True)
def test_echo_metrics_on(benchmark, metrics_on):
    run(benchmark)


@pytest.mark.parametrize("metrics_on", [0.01], indirect=True)
def test_echo_metrics_on_read_every_10ms(benchmark, metrics_on):
    run(benchmark)


def alternating(rounds: int) -> dict[str, list[float]]:
    """Seconds per frame of each round, off and on (1 s and 10 ms readings) in turn."""
    echo = echo_through(AudioStream, ClosableMemorySocket)
    times: dict[str, list[float]] = {"off": [], "on, 1 s": [], "on, 10 ms": []}
    modes = list(times)
    loop = asyncio.new_event_loop()
    try:
        for n in range(rounds):
            for mode in modes[n % 3 :] + modes[: n % 3]:  # each goes first in turn
                if mode != "off":
                    enable(1.0 if mode == "on, 1 s" else 0.01)
                started = time.perf_counter()
                assert loop.run_until_complete(echo()) == FRAMES
                times[mode].append((time.perf_counter() - started) / FRAMES)
                audiofork.metrics.disable()
    finally:
        loop.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    times = alternating(parser.parse_args().rounds)
    off = times["off"]
    print(f"AudioStream echo, {FRAMES} frames a round, {len(off)} rounds each, alternating")
    for mode, values in times.items():
        best, median = min(values), statistics.median(values)
        ratios = f"{best / min(off):.3f}x {median / statistics.median(off):.3f}x"
        print(f"  metrics {mode:<10} {best * 1e6:7.2f} / {median * 1e6:7.2f} µs/frame  {ratios}")
    print("  (fastest round / median; ratios to metrics off: of the fastest, of the medians)")


if __name__ == "__main__":
    main()
