"""``audiofork.metrics`` over a real loopback call: an echo app on ``AudioStream``
(aiohttp) and a platform (``PlatformStream`` over a ``websockets`` client) that sends the
caller's speech and one malformed message. The app echoes each frame, checkpoints every
ten, answers one reply it then clears (barge-in), and blocks its event loop once.

The metrics are read the way a production server's are: scraped over HTTP from
``prometheus_client``'s server, or collected by an OpenTelemetry SDK reader; each value is
checked against what the two sides counted themselves.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web
from opentelemetry import metrics as otel_api
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.parser import text_string_to_metric_families

import audiofork as af
import audiofork.metrics
from audiofork.metrics._live import LIVE
from audiofork.samples import speech
from support.app_servers import serve_aiohttp_app
from support.platform_driver import PlatformDriver, bidirectional_stream

RATE = 8000
TIMEOUT_S = 30.0
DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
REPLY = (3000 * np.sin(np.arange(2 * RATE) * 0.2)).astype(np.int16)  # two seconds


class EchoApp:
    """Echoes every caller frame; a checkpoint each ten frames; at frame 20 a two-second
    reply with a checkpoint after it, then a clear; at frame 30 its loop blocked 200 ms."""

    def __init__(self) -> None:
        self.frames = 0
        self.outcomes: list[str] = []
        self.done = asyncio.Event()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        marks: list[Awaitable[af.CheckpointOutcome]] = []
        try:
            async with af.AudioStream(ws, app_rate=RATE) as stream:
                async for event in stream:
                    if not isinstance(event, af.Media):
                        continue
                    self.frames += 1
                    await stream.play(event.pcm, RATE)
                    if self.frames == 20:
                        await stream.play(REPLY, RATE)
                        marks.append(asyncio.ensure_future(stream.checkpoint("reply")))
                        await stream.clear()
                    elif self.frames % 10 == 0:
                        marks.append(asyncio.ensure_future(stream.checkpoint()))
                    if self.frames == 30:
                        time.sleep(0.2)
                self.outcomes = [outcome.value for outcome in await asyncio.gather(*marks)]
        finally:
            self.done.set()
        return ws


SHORT_REPLY = REPLY[: RATE // 5]  # 200 ms


class SpeakingApp:
    """Says a short reply at frame 5 and, once it resolved, places a checkpoint, awaiting
    neither until the call ends. When the checkpoint's resolution comes out of ``async for``,
    it blocks its loop longer than the reply took: the task awaiting the checkpoint resumes
    only after that."""

    def __init__(self) -> None:
        self.frames = 0
        self.outcomes: list[str] = []
        self.done = asyncio.Event()
        self.said_to_resolved_s = 0.0  # from say() to its resolution taken from async for
        self.placed_to_resolved_s = 0.0  # from the checkpoint to its resolution, likewise

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            async with af.AudioStream(ws, app_rate=RATE) as stream:
                await self.converse(stream)
        finally:
            self.done.set()
        return ws

    async def converse(self, stream: af.AudioStream) -> None:
        said = placed = 0.0
        utterance: af.Utterance | None = None
        mark: asyncio.Future[af.CheckpointOutcome] | None = None
        async for event in stream:
            if isinstance(event, af.UtteranceResolved):
                self.said_to_resolved_s = time.monotonic() - said
                placed, mark = time.monotonic(), asyncio.ensure_future(stream.checkpoint("mark"))
            elif isinstance(event, af.CheckpointResolved) and event.name == "mark":
                self.placed_to_resolved_s = time.monotonic() - placed
                time.sleep(self.said_to_resolved_s + 0.05)
            elif isinstance(event, af.Media):
                self.frames += 1
                if self.frames == 5:
                    said, utterance = time.monotonic(), stream.say(SHORT_REPLY, RATE)
        assert utterance is not None and mark is not None
        self.outcomes = [(await utterance).value, (await mark).value]


@asynccontextmanager
async def served(app: EchoApp | SpeakingApp) -> AsyncIterator[str]:
    application = web.Application()
    application.add_routes([web.get("/ws", app.handle)])
    async with serve_aiohttp_app(application) as url:
        yield url.replace("http://", "ws://") + "/ws"


async def call(
    app: EchoApp | SpeakingApp, mid_call: Callable[[], Awaitable[None]]
) -> af.PlatformStream:
    """One call of 60 frames to ``app``, ``mid_call()`` awaited after 50; the platform's
    stream once it stopped and the app ended."""
    stream = bidirectional_stream()
    pcm, rate = speech(16000)
    stream.send_audio(pcm[: 2 * rate], rate)
    async with served(app) as url, PlatformDriver(url, stream) as platform:
        await asyncio.wait_for(platform.run_until(lambda: app.frames >= 5), TIMEOUT_S)
        await platform.ws.send('{"event": nope')  # refused by the app: bad_json
        await asyncio.wait_for(platform.run_until(lambda: app.frames >= 50), TIMEOUT_S)
        await mid_call()
        await asyncio.wait_for(platform.run_until(lambda: stream.frames >= 60), TIMEOUT_S)
        await platform.stop()
        await asyncio.wait_for(app.done.wait(), TIMEOUT_S)
    return stream


@pytest.fixture
def metrics_off() -> Iterator[None]:
    """Metrics off after the test, whatever it turned on."""
    yield
    audiofork.metrics.disable()


@contextmanager
def metrics_server(registry: CollectorRegistry) -> Iterator[str]:
    """prometheus_client's HTTP server for ``registry`` on loopback; its /metrics URL."""
    httpd, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/metrics"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(TIMEOUT_S)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(url: str) -> Samples:
    """Every sample of a scrape of ``url``, by name and labels."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url) as reply:
        assert reply.status == 200
        return samples(await reply.text())


def samples(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_a_prometheus_scrape_during_and_after_a_call(metrics_off: None) -> None:
    registry = CollectorRegistry()
    audiofork.metrics.enable(prometheus=registry, interval_s=0.05)
    app, during = EchoApp(), {}
    with metrics_server(registry) as url:

        async def mid_call() -> None:
            during.update(await scrape(url))

        stream = await call(app, mid_call)
        after = await scrape(url)

    assert during[("audiofork_streams_live", ())] == 1
    assert during[("audiofork_playout_ahead_seconds_gcount", ())] == 1  # one open stream
    assert after[("audiofork_streams_live", ())] == 0
    assert after[("audiofork_streams_total", ())] == 1
    assert after[("audiofork_media_received_total", ())] == stream.stats.media_sent["inbound"]
    frames_sent = after[("audiofork_play_audio_sent_total", ())]
    assert frames_sent >= stream.stats.play_audio_received > 50
    assert after[("audiofork_refused_messages_total", (("kind", "bad_json"),))] == 1
    sent = after[("audiofork_audio_sent_seconds_total", ())]
    assert sent == pytest.approx(frames_sent * 0.02)
    assert after[("audiofork_audio_heard_seconds_total", ())] <= sent
    assert after[("audiofork_audio_cleared_seconds_total", ())] > 1.5  # most of the reply
    for outcome in ("played", "cleared", "closed"):
        key = ("audiofork_checkpoint_turnaround_seconds_count", (("outcome", outcome),))
        assert after.get(key, 0) == app.outcomes.count(outcome), (outcome, app.outcomes)
    assert app.outcomes.count("cleared") == 1 and app.outcomes.count("played") >= 3
    lag_all = after[("audiofork_event_loop_lag_seconds_count", ())]
    lag_small = after[("audiofork_event_loop_lag_seconds_bucket", (("le", "0.1"),))]
    assert lag_small < lag_all  # the timer due while the loop was blocked came late


async def test_calls_at_once_are_summed(metrics_off: None) -> None:
    """Three calls at once, scraped when all three are past frame 50, and at the end."""
    registry = CollectorRegistry()
    audiofork.metrics.enable(prometheus=registry, interval_s=0.05)
    apps = [EchoApp() for _ in range(3)]
    during: Samples = {}
    all_there = asyncio.Event()

    async def mid_call() -> None:
        if sum(app.frames >= 50 for app in apps) == len(apps):
            during.update(samples(generate_latest(registry).decode()))
            all_there.set()
        await asyncio.wait_for(all_there.wait(), TIMEOUT_S)

    streams = await asyncio.gather(*(call(app, mid_call) for app in apps))
    after = samples(generate_latest(registry).decode())

    assert during[("audiofork_streams_live", ())] == 3
    assert during[("audiofork_playout_ahead_seconds_gcount", ())] == 3
    assert after[("audiofork_streams_live", ())] == 0
    assert after[("audiofork_streams_total", ())] == 3
    media = sum(stream.stats.media_sent["inbound"] for stream in streams)
    assert after[("audiofork_media_received_total", ())] == media
    assert after[("audiofork_refused_messages_total", (("kind", "bad_json"),))] == 3
    outcomes = [outcome for app in apps for outcome in app.outcomes]
    for outcome in set(outcomes):
        key = ("audiofork_checkpoint_turnaround_seconds_count", (("outcome", outcome),))
        assert after[key] == outcomes.count(outcome)


def documented() -> tuple[set[str], set[str]]:
    """The Prometheus and OpenTelemetry names in docs/metrics.md's table."""
    rows = [
        line for line in DOCS.read_text(encoding="utf-8").splitlines() if line.startswith("| `")
    ]
    prometheus = {m.group(1) for row in rows if (m := re.match(r"\| `(audiofork_\w+)", row))}
    otel = {name for row in rows for name in re.findall(r"`(audiofork\.[\w.]+)", row)}
    return prometheus, otel


def test_the_docs_name_every_metric_exported(metrics_off: None) -> None:
    registry = CollectorRegistry()
    audiofork.metrics.enable(prometheus=registry)
    exported = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in registry.collect()
    }
    assert exported == documented()[0]


def otel_points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: list(metric.data.data_points)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


async def test_an_opentelemetry_reader_collects_the_same_counts(metrics_off: None) -> None:
    reader = InMemoryMetricReader()
    audiofork.metrics.enable(meter_provider=MeterProvider([reader]), interval_s=0.05)
    app, during = EchoApp(), {}

    async def mid_call() -> None:
        during.update(otel_points(reader))

    stream = await call(app, mid_call)
    after = otel_points(reader)

    assert set(after) == documented()[1]
    assert during["audiofork.streams.live"][0].value == 1
    assert after["audiofork.streams.live"][0].value == 0
    assert after["audiofork.streams"][0].value == 1
    assert after["audiofork.media.received"][0].value == stream.stats.media_sent["inbound"]
    frames = after["audiofork.play_audio.sent"][0].value
    assert after["audiofork.audio.sent"][0].value == pytest.approx(frames * 0.02)
    (refused,) = after["audiofork.refused_messages"]
    assert (dict(refused.attributes), refused.value) == ({"kind": "bad_json"}, 1)
    turnaround = {
        p.attributes["outcome"]: p.count for p in after["audiofork.checkpoint.turnaround"]
    }
    assert turnaround == {o: app.outcomes.count(o) for o in set(app.outcomes)}
    (lag,) = after["audiofork.event_loop.lag"]
    assert lag.count >= 1 and lag.max >= 0.1


async def test_metrics_off_count_nothing_and_disable_unregisters() -> None:
    app = EchoApp()
    await call(app, nothing)
    assert LIVE.snapshot().opened == 0
    registry = CollectorRegistry()
    audiofork.metrics.enable(prometheus=registry)
    assert "audiofork_streams_live" in {m.name for m in registry.collect()}
    audiofork.metrics.disable()
    assert not audiofork.metrics.enabled()
    assert list(registry.collect()) == []


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({}, af.ArgumentError),
        ({"prometheus": True, "interval_s": 0}, af.ArgumentError),
        ({"prometheus": True, "interval_s": "1"}, TypeError),
    ],
)
def test_enable_refuses_nothing_to_export_and_bad_intervals(
    options: dict[str, Any], error: type[Exception], metrics_off: None
) -> None:
    with pytest.raises(error, match=r"enable|interval_s"):
        audiofork.metrics.enable(**options)
    assert not audiofork.metrics.enabled()


async def nothing() -> None:
    """No mid-call step."""


async def test_opentelemetry_reports_again_after_disable_and_enable(metrics_off: None) -> None:
    """The SDK hands back the instruments made the first time for the same names: they must
    report again once re-enabled."""
    reader = InMemoryMetricReader()
    provider = MeterProvider([reader])
    audiofork.metrics.enable(meter_provider=provider)
    audiofork.metrics.disable()
    audiofork.metrics.enable(meter_provider=provider, interval_s=0.05)
    app = EchoApp()

    stream = await call(app, nothing)
    after = otel_points(reader)

    assert after["audiofork.streams"][0].value == 1
    assert after["audiofork.media.received"][0].value == stream.stats.media_sent["inbound"]
    (refused,) = after["audiofork.refused_messages"]
    assert refused.value == 1


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"prometheus": "yes"}, "prometheus"),
        ({"prometheus": 1}, "prometheus"),
        ({"meter_provider": "x"}, "meter_provider"),
        ({"prometheus": True, "meter_provider": object()}, "meter_provider"),
    ],
)
def test_enable_refuses_wrong_types_naming_the_argument(
    options: dict[str, Any], named: str, metrics_off: None
) -> None:
    with pytest.raises(TypeError, match=named):
        audiofork.metrics.enable(**options)
    assert not audiofork.metrics.enabled()


class BrokenProvider(otel_api.MeterProvider):
    """A provider whose meters cannot be had."""

    def get_meter(self, name: str, *args: Any, **kwargs: Any) -> otel_api.Meter:
        raise RuntimeError("no meters today")


def test_enable_is_all_or_nothing(metrics_off: None) -> None:
    """The OpenTelemetry half failing leaves no Prometheus collector registered."""
    registry = CollectorRegistry()
    with pytest.raises(RuntimeError, match="no meters today"):
        audiofork.metrics.enable(prometheus=registry, meter_provider=BrokenProvider())
    assert list(registry.collect()) == []
    assert not audiofork.metrics.enabled()
    audiofork.metrics.enable(prometheus=registry)  # the names are free again
    assert "audiofork_streams_live" in {m.name for m in registry.collect()}


async def test_checkpoint_turnaround_counts_utterances_and_ends_at_resolution(
    metrics_off: None,
) -> None:
    """The checkpoint ending an utterance is timed too, and a turnaround ends when the
    resolution comes in, not when the task awaiting it gets to run."""
    registry = CollectorRegistry()
    audiofork.metrics.enable(prometheus=registry, interval_s=0.05)
    app = SpeakingApp()

    await call(app, nothing)
    after = samples(generate_latest(registry).decode())

    assert len(app.outcomes) == 2
    counted = [
        after.get(("audiofork_checkpoint_turnaround_seconds_count", (("outcome", o),)), 0)
        for o in ("played", "cleared", "closed")
    ]
    assert sum(counted) == 2, (counted, app.outcomes)
    total_s = sum(
        after.get(("audiofork_checkpoint_turnaround_seconds_sum", (("outcome", o),)), 0)
        for o in ("played", "cleared", "closed")
    )
    assert app.placed_to_resolved_s > 0 and app.said_to_resolved_s > 0
    assert total_s <= app.placed_to_resolved_s + app.said_to_resolved_s
