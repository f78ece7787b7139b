"""The OpenTelemetry export: observable instruments that read
:data:`~audiofork.metrics._live.LIVE` when the SDK collects, and two histograms recorded
as things happen (checkpoint turnaround, event-loop lag).

The instruments are made once per ``MeterProvider``: an SDK asked again for an instrument
of the same name hands back the first one, with the callbacks it was made with. So the
callbacks read whether the export is on now, and a later export on the same provider turns
the same instruments on again.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

from audiofork._core import __version__
from audiofork.metrics._buckets import LAG_S, TURNAROUND_S
from audiofork.metrics._live import LiveStreams, Snapshot

__all__ = ["OtelExport"]

Reading = Callable[[Snapshot], Iterable[Observation]]


class OtelExport:
    """The instruments on ``provider``'s ``audiofork`` meter, on until :meth:`close`."""

    def __init__(self, live: LiveStreams, provider: MeterProvider) -> None:
        instruments = _INSTRUMENTS.get(provider)
        if instruments is None:
            instruments = _INSTRUMENTS[provider] = _Instruments(live, provider)
        instruments.on = True
        self._instruments = instruments

    def observe_checkpoint(self, outcome: str, seconds: float) -> None:
        self._instruments.turnaround.record(seconds, {"outcome": outcome})

    def observe_lag(self, seconds: float) -> None:
        self._instruments.lag.record(seconds)

    def close(self) -> None:
        """The instruments report nothing more (OpenTelemetry cannot remove one)."""
        self._instruments.on = False


class _Instruments:
    """Every instrument on one provider's ``audiofork`` meter; they report while ``on``."""

    def __init__(self, live: LiveStreams, provider: MeterProvider) -> None:
        self._live = live
        self.on = False
        meter = provider.get_meter("audiofork", __version__)
        one = self._one
        meter.create_observable_up_down_counter(
            "audiofork.streams.live",
            [one(lambda s: [Observation(s.live)])],
            unit="{stream}",
            description="Streams open now (entered, not yet closed).",
        )
        counters: list[tuple[str, str, str, Reading]] = [
            ("streams", "{stream}", "Streams opened.", lambda s: [Observation(s.opened)]),
            (
                "media.received",
                "{frame}",
                "media frames received from the platform.",
                lambda s: [Observation(s.totals.media_received)],
            ),
            (
                "play_audio.sent",
                "{frame}",
                "playAudio frames sent to the platform.",
                lambda s: [Observation(s.totals.frames_sent)],
            ),
            (
                "refused_messages",
                "{message}",
                "Platform messages refused as malformed, by error kind.",
                lambda s: [Observation(n, {"kind": k}) for k, n in s.totals.refused.items()],
            ),
            (
                "audio.sent",
                "s",
                "App audio sent to the platform.",
                lambda s: [Observation(s.totals.sent_ms / 1000)],
            ),
            (
                "audio.heard",
                "s",
                "App audio heard by the caller (estimated).",
                lambda s: [Observation(s.totals.heard_ms / 1000)],
            ),
            (
                "audio.cleared",
                "s",
                "App audio dropped by clears before it played.",
                lambda s: [Observation(s.totals.cleared_ms / 1000)],
            ),
        ]
        for name, unit, description, reading in counters:
            meter.create_observable_counter(
                f"audiofork.{name}", [one(reading)], unit=unit, description=description
            )
        meter.create_observable_gauge(
            "audiofork.playout.ahead.max",
            [one(lambda s: [Observation(max(s.ahead_ms, default=0.0) / 1000)])],
            unit="s",
            description="The most app audio any open stream has sent and not yet heard.",
        )
        self.turnaround = meter.create_histogram(
            "audiofork.checkpoint.turnaround",
            unit="s",
            description="From a checkpoint placed to its resolution, by outcome.",
            explicit_bucket_boundaries_advisory=list(TURNAROUND_S),
        )
        self.lag = meter.create_histogram(
            "audiofork.event_loop.lag",
            unit="s",
            description="How late a timer on an event loop serving streams fires.",
            explicit_bucket_boundaries_advisory=list(LAG_S),
        )

    def _one(self, reading: Reading) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            return reading(self._live.snapshot()) if self.on else []

        return callback


#: The instruments made on each provider (for as long as it lives).
_INSTRUMENTS: weakref.WeakKeyDictionary[MeterProvider, _Instruments] = weakref.WeakKeyDictionary()
