"""An app that misbehaves on a real socket, against the emulator's stream runner (the
platform's side: :class:`~audiofork.platform.PlatformStream` over aiohttp).

Each app is a plain ``websockets`` server on loopback. Whatever it does, the stream ends
within a bounded time with a documented :class:`StreamEnd`, raises nothing, reports what
it refused or dropped in its counters and notices, and leaves no file descriptor or
asyncio task behind.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import numpy as np
import pytest
from resources import released
from websockets.asyncio.server import ServerConnection, serve

from audiofork import wire
from audiofork.emulator.audio import AudioSource
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.stream import StreamEnd, StreamNotice, StreamRunner, StreamSpec
from audiofork.platform import PlatformLimits

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")

TIMEOUT_S = 30.0  # seconds any one stream may take: a hang fails the test, never a timeout
RATE = 8000
Handler = Callable[[ServerConnection], Awaitable[None]]


@asynccontextmanager
async def app_at(handler: Handler) -> AsyncIterator[str]:
    """The app on loopback; its URL."""
    async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/stream"


async def run_stream(
    handler: Handler, limits: PlatformLimits | None = None
) -> tuple[StreamEnd, StreamRunner, list[StreamNotice]]:
    """A bidirectional L16/8k stream of a tone to the app, in real time, run to its end;
    the app and the runner started and closed inside the count. Its ``stream_timeout`` is
    past the test's own bound, so however slow a loaded machine is, the app's actions (not
    the timeout) end it."""
    notices: list[StreamNotice] = []
    async with released(), app_at(handler) as url:
        spec = StreamSpec(
            stream_id="stream-1",
            call_uuid="call-1",
            account_id="MA_FAULTS",
            service_url=url,
            audio_track="inbound",
            bidirectional=True,
            content_type=f"audio/x-l16;rate={RATE}",
            stream_timeout=4 * TIMEOUT_S,
            max_retries=0,
            extra_headers=None,
        )
        runner = StreamRunner(
            spec,
            clock=VirtualClock(1.0),
            caller=AudioSource.from_spec("tone:440"),
            callee=AudioSource.from_spec("silence"),
            notify=notices.append,
            new_stream_id=lambda: "stream-2",
            limits=limits,
        )
        end = await asyncio.wait_for(runner.run(), TIMEOUT_S)
    return end, runner, notices


def play_audio(samples: int) -> str:
    payload = base64.b64encode(np.full(samples, 1000, "<i2").tobytes()).decode()
    media = {"contentType": "audio/x-l16", "sampleRate": RATE, "payload": payload}
    return json.dumps({"event": "playAudio", "streamId": "stream-1", "media": media})


def checkpoint(name: str) -> str:
    return json.dumps({"event": "checkpoint", "streamId": "stream-1", "name": name})


async def stop_after_answer(ws: ServerConnection, name: str) -> None:
    """Checkpoint ``name``, read until its ``playedStream``, then send ``stop``."""
    await ws.send(checkpoint(name))
    async for text in ws:
        message = json.loads(text)
        if message["event"] == "playedStream" and message["name"] == name:
            await ws.send(json.dumps({"event": "stop", "streamId": "stream-1"}))
            break
    await ws.wait_closed()


def degraded(notices: list[StreamNotice]) -> list[str]:
    return [n.error for n in notices if n.event == "DegradedStream"]


def overflowed(notices: list[StreamNotice]) -> bool:
    return any("playout queue full" in error for error in degraded(notices))


async def test_app_closing_its_connection_mid_frame_drops_the_stream() -> None:
    """The app writes the first bytes of a 1000-byte text frame and closes the TCP
    connection: the runner reads a broken socket, not a message."""

    async def app(ws: ServerConnection) -> None:
        await ws.recv()  # start
        header = bytes([0x81, 126, 1000 >> 8, 1000 & 0xFF])  # FIN, text, 16-bit length
        ws.transport.write(header + b'{"event":"playAudio","media":')
        ws.transport.close()

    end, runner, notices = await run_stream(app)
    assert (end.status, end.reason) == ("failed", "dropped"), end
    assert [n.event for n in notices] == ["StartStream", "DroppedStream"], notices
    assert runner.stats.play_audio_received == 0
    assert not runner.stats.bad_frames


GARBAGE: dict[str, str | bytes] = {
    "binary": b"\x00\xff\x81 binary frame",
    "bad_json": "this is not json",
    "too_deep": "[" * 10_000,
    "bad_base64": json.dumps(
        {
            "event": "playAudio",
            "media": {"contentType": "audio/x-l16", "sampleRate": RATE, "payload": "!!!!"},
        }
    ),
    "bad_rate": json.dumps(
        {
            "event": "playAudio",
            "media": {"contentType": "audio/x-l16", "sampleRate": 44100, "payload": "AAAA"},
        }
    ),
    "field_missing": json.dumps({"event": "checkpoint", "streamId": "stream-1"}),
    "unexpected_event": wire.media("stream-1", "AAAA", sequence_number=2, chunk=1, timestamp_ms=0),
}


async def test_garbage_from_the_app_is_refused_counted_and_the_stream_goes_on() -> None:
    async def app(ws: ServerConnection) -> None:
        await ws.recv()  # start
        for message in GARBAGE.values():
            await ws.send(message)
        await stop_after_answer(ws, "after-garbage")

    end, runner, notices = await run_stream(app)
    assert (end.status, end.reason) == ("completed", "app_stop"), end
    stats = runner.stats
    assert stats.bad_frames == {kind: 1 for kind in GARBAGE}, stats.bad_frames
    assert stats.checkpoints_acknowledged == 1
    assert len(degraded(notices)) == len(GARBAGE)  # each kind reported once


async def test_ten_megabyte_messages_are_refused_or_bounded_by_the_playout_queue() -> None:
    """10 MB of garbage is refused (``bad_json``); a 10 MB ``playAudio`` (469 s of audio)
    does not fit a 60-second playout queue and is dropped whole, reported as overflow."""
    big_play = play_audio(3_750_000)
    assert len(big_play) > 10_000_000

    async def app(ws: ServerConnection) -> None:
        await ws.recv()  # start
        await ws.send('{"event": "' + "x" * 10_000_000)
        await ws.send(big_play)
        await stop_after_answer(ws, "after-big")

    limits = PlatformLimits(max_queue_s=60)
    end, runner, notices = await run_stream(app, limits)
    assert (end.status, end.reason) == ("completed", "app_stop"), end
    stats = runner.stats
    assert stats.bad_frames == {"bad_json": 1}
    assert (stats.play_audio_received, stats.overflow_ms) == (1, 3_750_000 * 1000 / RATE)
    assert stats.checkpoints_acknowledged == 1
    assert overflowed(notices), notices


async def test_a_flood_of_play_audio_is_held_to_the_playout_bound_and_reported() -> None:
    """5,000 ``playAudio`` of 20 ms (100 s of audio), sent as fast as the socket takes them,
    into a 10-second playout queue, then ``stop``. Every message is
    handled; what does not fit is dropped whole and counted; what was accepted is at most
    the queue's bound plus what the stream's duration could play."""
    count, frame = 5000, RATE // 50
    message = play_audio(frame)

    async def app(ws: ServerConnection) -> None:
        await ws.recv()  # start
        for _ in range(count):
            await ws.send(message)
        await ws.send(json.dumps({"event": "stop", "streamId": "stream-1"}))
        await ws.wait_closed()

    end, runner, notices = await run_stream(app, PlatformLimits(max_queue_s=10))
    assert (end.status, end.reason) == ("completed", "app_stop"), end
    stats = runner.stats
    assert stats.play_audio_received == count
    assert overflowed(notices), notices
    assert runner.started_at is not None and runner.ended_at is not None
    lasted_ms = (runner.ended_at - runner.started_at) * 1000
    accepted_ms = count * 20.0 - stats.overflow_ms
    assert stats.played_ms <= lasted_ms + 20
    assert accepted_ms <= 10_000 + lasted_ms + 20, (accepted_ms, lasted_ms)
