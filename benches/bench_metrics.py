"""What ``audiofork.metrics`` costs the frame path: AudioStream's echo of 3,000 media
frames over the in-memory socket of bench_aio.py, with the metrics off (the reference) and
on, in one run.

On: Prometheus (a registry of its own) and OpenTelemetry (an SDK ``MeterProvider`` with an
in-memory reader) both enabled, at the default reading interval (1 s) and at 10 ms (a
hundred times as often, to show the readings' own cost). Nothing is done per frame by
design; what is left is a stream's registration, its close and the timer's readings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry

import audiofork.metrics
from audiofork.aio import AudioStream
from bench_aio import ClosableMemorySocket, echo_through, run_echo

GROUP = "metrics: AudioStream echo of a media frame, metrics off vs on"


@pytest.fixture
def metrics_on(request: pytest.FixtureRequest) -> Iterator[None]:
    audiofork.metrics.enable(
        prometheus=CollectorRegistry(),
        meter_provider=MeterProvider([InMemoryMetricReader()]),
        interval_s=request.param,
    )
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
