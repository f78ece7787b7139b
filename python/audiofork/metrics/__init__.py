"""Per-process metrics of the app's streams, for Prometheus and OpenTelemetry.

::

    import audiofork.metrics
    audiofork.metrics.enable(prometheus=True)  # and/or meter_provider=...

Off until :func:`enable`; needs the ``metrics`` extra (``pip install audiofork[metrics]``).
What is measured, summed over every :class:`~audiofork.AudioStream` entered since:

- streams open now, and opened;
- ``media`` frames received and ``playAudio`` frames sent;
- platform messages refused as malformed, by error kind;
- app audio sent, heard by the caller (the session's estimate) and cleared, in seconds;
- playout ahead of real time: each open stream's audio sent and not yet heard;
- checkpoint turnaround (placed to resolved, by outcome) and event-loop lag (histograms).

Nothing is done per frame: the counters the streams keep anyway are read by a timer on
each event loop serving streams, once every ``interval_s`` (how late it fires is the lag),
and summed when a scrape or collection asks; a stream's close adds its final counts.
``docs/metrics.md`` has the metric names, a sample scrape and dashboard queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from audiofork.errors import ArgumentError
from audiofork.metrics._live import LIVE

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

__all__ = ["disable", "enable", "enabled"]


class _Export(Protocol):
    def observe_checkpoint(self, outcome: str, seconds: float) -> None: ...

    def observe_lag(self, seconds: float) -> None: ...

    def close(self) -> None: ...


_exports: list[_Export] = []


def enable(
    *,
    prometheus: bool | CollectorRegistry = False,
    meter_provider: MeterProvider | None = None,
    interval_s: float = 1.0,
) -> None:
    """Turn the metrics on (again: with these exports only).

    Args:
        prometheus: ``True`` to register in ``prometheus_client``'s default registry
            (served by ``prometheus_client.start_http_server`` or any ``/metrics`` handler
            the app has), or the ``CollectorRegistry`` to register in.
        meter_provider: an OpenTelemetry ``MeterProvider``; instruments are created on its
            ``audiofork`` meter.
        interval_s: how often each event loop serving streams reads their counters and
            measures its lag, in seconds.

    All or nothing: ``TypeError`` naming an argument of the wrong type, or any export
    failing, leaves the metrics off with nothing registered.
    """
    if prometheus is False and meter_provider is None:
        raise ArgumentError("enable: pass prometheus=True (or a registry) and/or meter_provider")
    if isinstance(interval_s, bool) or not isinstance(interval_s, (int, float)):
        raise TypeError(f"interval_s must be a number of seconds, got {interval_s!r}")
    if not 0.01 <= interval_s <= 60:
        raise ArgumentError(f"interval_s must be in [0.01, 60] seconds, got {interval_s!r}")
    disable()
    try:
        _exports.extend(_exports_for(prometheus, meter_provider))
    except ImportError as exc:
        raise ImportError(f"{exc}; install the extra: pip install 'audiofork[metrics]'") from exc
    for export in _exports:
        LIVE.on_checkpoint.append(export.observe_checkpoint)
        LIVE.on_lag.append(export.observe_lag)
    LIVE.interval_s = float(interval_s)
    LIVE.enabled = True


def _exports_for(
    prometheus: bool | CollectorRegistry, meter_provider: MeterProvider | None
) -> list[_Export]:
    """The exports asked for, all of them or none (``TypeError`` naming a wrong argument)."""
    made: list[_Export] = []
    try:
        if prometheus is not False:
            from prometheus_client import REGISTRY, CollectorRegistry

            from audiofork.metrics._prometheus import PrometheusExport

            if prometheus is not True and not isinstance(prometheus, CollectorRegistry):
                raise TypeError(
                    f"prometheus must be True, False or a CollectorRegistry, got {prometheus!r}"
                )
            made.append(PrometheusExport(LIVE, REGISTRY if prometheus is True else prometheus))
        if meter_provider is not None:
            from opentelemetry.metrics import MeterProvider

            from audiofork.metrics._otel import OtelExport

            if not isinstance(meter_provider, MeterProvider):
                raise TypeError(
                    f"meter_provider must be an OpenTelemetry MeterProvider, got {meter_provider!r}"
                )
            made.append(OtelExport(LIVE, meter_provider))
    except BaseException:
        for export in made:
            export.close()
        raise
    return made


def disable() -> None:
    """Turn the metrics off: the exports are removed (Prometheus) or report nothing more
    (OpenTelemetry), and every count starts again from zero at the next :func:`enable`."""
    while _exports:
        _exports.pop().close()
    LIVE.reset()


def enabled() -> bool:
    """Whether :func:`enable` is in effect."""
    return LIVE.enabled
