"""The Prometheus export: a collector that reads :data:`~audiofork.metrics._live.LIVE` at
scrape time, and the two histograms observed as things happen (checkpoint turnaround,
event-loop lag)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from audiofork.metrics._buckets import AHEAD_S, LAG_S, TURNAROUND_S
from audiofork.metrics._live import LiveStreams

__all__ = ["PrometheusExport"]


def _cumulative(values_s: Sequence[float], bounds: Sequence[float]) -> list[tuple[str, float]]:
    """Prometheus buckets (``le``, count at or below) of ``values_s``, ``+Inf`` last."""
    buckets = [(repr(float(le)), float(sum(v <= le for v in values_s))) for le in bounds]
    return [*buckets, ("+Inf", float(len(values_s)))]


class StreamsCollector(Collector):
    """Every per-stream counter, summed over the process's streams, read at scrape time."""

    def __init__(self, live: LiveStreams) -> None:
        self._live = live

    def describe(self) -> Iterator[Metric]:
        return iter(())  # names are fixed; no collect() at registration

    def collect(self) -> Iterator[Metric]:
        snap = self._live.snapshot()
        totals = snap.totals
        yield GaugeMetricFamily(
            "audiofork_streams_live", "Streams open now (entered, not yet closed).", snap.live
        )
        yield CounterMetricFamily("audiofork_streams", "Streams opened.", snap.opened)
        yield CounterMetricFamily(
            "audiofork_media_received",
            "media frames received from the platform.",
            totals.media_received,
        )
        yield CounterMetricFamily(
            "audiofork_play_audio_sent",
            "playAudio frames sent to the platform.",
            totals.frames_sent,
        )
        refused = CounterMetricFamily(
            "audiofork_refused_messages",
            "Platform messages refused as malformed, by error kind.",
            labels=["kind"],
        )
        for kind, count in sorted(totals.refused.items()):
            refused.add_metric([kind], count)
        yield refused
        for name, ms, doc in (
            ("sent", totals.sent_ms, "App audio sent to the platform."),
            ("heard", totals.heard_ms, "App audio heard by the caller (estimated)."),
            ("cleared", totals.cleared_ms, "App audio dropped by clears before it played."),
        ):
            yield CounterMetricFamily(
                f"audiofork_audio_{name}_seconds", doc, ms / 1000, unit="seconds"
            )
        ahead_s = [ms / 1000 for ms in snap.ahead_ms]
        yield GaugeHistogramMetricFamily(
            "audiofork_playout_ahead_seconds",
            "Open streams by app audio sent and not yet heard (ahead of real time).",
            buckets=_cumulative(ahead_s, AHEAD_S),
            gsum_value=sum(ahead_s),
            unit="seconds",
        )
        yield GaugeMetricFamily(
            "audiofork_playout_ahead_max_seconds",
            "The most app audio any open stream has sent and not yet heard.",
            max(ahead_s, default=0.0),
        )


class PrometheusExport:
    """The collector and histograms, registered in ``registry`` until :meth:`close`."""

    def __init__(self, live: LiveStreams, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._collector = StreamsCollector(live)
        self._turnaround = Histogram(
            "audiofork_checkpoint_turnaround_seconds",
            "From a checkpoint placed to its resolution, by outcome.",
            ["outcome"],
            buckets=TURNAROUND_S,
            registry=None,
        )
        self._lag = Histogram(
            "audiofork_event_loop_lag_seconds",
            "How late a timer on an event loop serving streams fires.",
            buckets=LAG_S,
            registry=None,
        )
        collectors: tuple[Collector, ...] = (self._collector, self._turnaround, self._lag)
        registered: list[Collector] = []
        try:  # all three or none
            for collector in collectors:
                registry.register(collector)
                registered.append(collector)
        except BaseException:
            for collector in registered:
                registry.unregister(collector)
            raise

    def observe_checkpoint(self, outcome: str, seconds: float) -> None:
        self._turnaround.labels(outcome).observe(seconds)

    def observe_lag(self, seconds: float) -> None:
        self._lag.observe(seconds)

    def close(self) -> None:
        for collector in (self._collector, self._turnaround, self._lag):
            self._registry.unregister(collector)
