"""AudioStream on real loopback servers (websockets, Starlette under uvicorn, aiohttp, a
duck-typed socket), driven by a platform scripted with plain websockets + json + base64."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from memory_sockets import decoded
from websockets.exceptions import ConnectionClosed

import audiofork as af
from audiofork import AudioStream, CheckpointOutcome, CheckpointResolved, StreamClosed
from support.app_servers import SERVERS, Handler, Server
from support.clock import ManualClock
from support.scripted_platform import (
    ScriptedPlatform,
    dtmf_message,
    l16,
    media_message,
    play_ms,
    start_message,
    tone,
)

TIMEOUT = 20


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> Server:
    return SERVERS[request.param]


@asynccontextmanager
async def call(serve: Server, app: Handler) -> AsyncIterator[ScriptedPlatform]:
    """Serve ``app`` and connect the scripted platform to it, all under the test timeout."""
    async with (
        asyncio.timeout(TIMEOUT),
        serve(app) as url,
        ScriptedPlatform.connect(url) as platform,
    ):
        yield platform


PACKAGE_DIR = str(Path(af.__file__).parent)


def leftover_tasks(before: set[asyncio.Task[Any]]) -> set[str]:
    """Tasks started by audiofork since ``before`` that are still alive (by the package's
    own directory: a checkout or venv path may contain "audiofork" too)."""
    return {
        t.get_coro().__qualname__  # type: ignore[union-attr]
        for t in asyncio.all_tasks() - before
        if t.get_coro().cr_code.co_filename.startswith(PACKAGE_DIR) and not t.done()
    }


async def test_echo_drain_and_stop(server: Server) -> None:
    seen: list[Any] = []
    outcome: asyncio.Future[CheckpointOutcome] = asyncio.get_running_loop().create_future()
    leftovers: asyncio.Future[set[Any]] = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        before = set(asyncio.all_tasks())
        async with AudioStream(ws) as stream:
            async for event in stream:
                seen.append(event)
                if isinstance(event, af.Media):
                    await stream.play(event.pcm, 16000)
                elif isinstance(event, af.Dtmf):
                    outcome.set_result(await stream.drain())
                    await stream.stop()
        leftovers.set_result(leftover_tasks(before))

    async with asyncio.timeout(TIMEOUT), server(app) as url:
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            speech = tone(200)
            await platform.media(speech)
            frames = [await platform.next() for _ in range(10)]
            np.testing.assert_array_equal(decoded(frames), speech)
            await platform.dtmf("#")
            checkpoint = await platform.next()
            assert checkpoint["event"] == "checkpoint"
            await platform.played(checkpoint["name"])
            assert await platform.next() == {"event": "stop", "streamId": checkpoint["streamId"]}
        assert await outcome == CheckpointOutcome.PLAYED
        assert await leftovers == set()
    kinds = [type(e).__name__ for e in seen]
    assert kinds[:12] == ["Start"] + ["Media"] * 10 + ["Dtmf"]
    assert "PlayedStream" in kinds and kinds[-1] == "StreamClosed"
    assert seen[-1] == StreamClosed(af.CloseReason.STOPPED)


async def test_echo_across_rates_with_checkpoints_sends_one_frame_per_frame_in() -> None:
    """The app works at 16 kHz on a μ-law 8 kHz stream and checkpoints every 500 ms:
    checkpoints add no audio, so as many frames go out as came in."""
    result: asyncio.Future[tuple[list[CheckpointOutcome], float]]
    result = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        marks: list[asyncio.Task[CheckpointOutcome]] = []
        echoed = 0
        async with AudioStream(ws, app_rate=16000) as stream:
            async for event in stream:
                if isinstance(event, af.Media):
                    await stream.play(event.pcm, 16000)
                    echoed += 1
                    if echoed % 25 == 0:
                        marks.append(asyncio.create_task(stream.checkpoint()))
                elif isinstance(event, af.Dtmf):
                    marks.append(asyncio.create_task(stream.checkpoint()))
                    outcomes = list(await asyncio.gather(*marks))
                    result.set_result((outcomes, stream.session.played_ms))
                    await stream.stop()

    rng = np.random.default_rng(7)
    async with call(SERVERS["websockets"], app) as platform:
        await platform.ws.send(start_message(encoding="audio/x-mulaw", rate=8000))
        for sequence in range(1, 101):  # 2 s of 20 ms μ-law frames
            noise = rng.integers(0, 256, 160, dtype=np.uint8).tobytes()
            await platform.ws.send(media_message(base64.b64encode(noise).decode(), sequence))
        await platform.ws.send(dtmf_message("#", 101))
        frames = 0
        while (message := await platform.next())["event"] != "stop":
            if message["event"] == "playAudio":
                assert len(base64.b64decode(message["media"]["payload"])) == 160
                frames += 1
            elif message["event"] == "checkpoint":
                await platform.played(message["name"])
        assert frames == 100
        assert await result == ([CheckpointOutcome.PLAYED] * 5, 2000.0)


async def test_barge_in_clears_and_knows_what_was_heard(server: Server) -> None:
    clock = ManualClock()
    result: asyncio.Future[tuple[float, list[CheckpointOutcome]]] = (
        asyncio.get_running_loop().create_future()
    )

    confirmed = asyncio.Event()  # the app has seen the first checkpoint played

    async def app(ws: Any) -> None:
        async with AudioStream(ws, clock=clock) as stream:
            marks = []
            async for event in stream:
                if isinstance(event, CheckpointResolved):
                    confirmed.set()
                elif isinstance(event, af.Start):
                    for _ in range(3):
                        await stream.play(tone(1000, 24000), 24000)
                        marks.append(asyncio.create_task(stream.checkpoint()))
                        await asyncio.sleep(0)
                elif isinstance(event, af.Dtmf):
                    await stream.clear()
                    outcomes = [await m for m in marks]
                    result.set_result((stream.heard_ms(), outcomes))
                    return

    async with call(server, app) as platform:
        await platform.start()
        first = await platform.until("checkpoint")
        for _ in range(2):
            await platform.until("checkpoint")  # all 3 s of audio arrived at t = 0
        assert sum(play_ms(m) for m in first[:-1]) >= 1000
        clock.now = sum(play_ms(m) for m in first[:-1]) / 1000  # the first second played
        await platform.played(first[-1]["name"])
        await confirmed.wait()
        clock.now = 1.5  # the caller speaks over the bot: the platform played 1500 ms
        await platform.dtmf("1")
        await platform.until("clearAudio")
        heard, outcomes = await result
    assert abs(heard - 1500) <= 20
    assert outcomes == [CheckpointOutcome.PLAYED, CheckpointOutcome.CLEARED, "cleared"]


async def test_socket_closed_mid_utterance_resolves_everything(server: Server) -> None:
    result: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        before = set(asyncio.all_tasks())
        async with AudioStream(ws, pace_ms=200) as stream:
            events = []
            chunks = stream.audio(chunk_ms=100)
            async for event in stream:
                events.append(event)
                if isinstance(event, af.Start):
                    await stream.play(tone(100), 16000)
                    waiting = asyncio.create_task(stream.checkpoint("mid"))
                    speaking = asyncio.create_task(stream.play(tone(10_000), 16000))
            await speaking
            got = [chunk async for chunk in chunks]
            outcome = await waiting
            drained = await stream.drain()
            queued = stream.session.queued_ms
            await stream.play(tone(20), 16000)  # the call is gone: nothing left to play into
            assert stream.session.queued_ms == queued
        result.set_result(
            {
                "events": events,
                "outcome": outcome,
                "drained": drained,
                "audio": got,
                "leftovers": leftover_tasks(before),
            }
        )

    async with asyncio.timeout(TIMEOUT), server(app) as url:
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            await platform.media(tone(150))
            await platform.until("checkpoint")
            await platform.next()  # the long reply has begun: hang up
        got = await result
    assert got["outcome"] == CheckpointOutcome.CLOSED
    assert got["drained"] == CheckpointOutcome.CLOSED
    assert got["leftovers"] == set()
    mid = got["events"][-2]
    assert (mid.name, mid.outcome) == ("mid", CheckpointOutcome.CLOSED) and mid.played_ms <= 100
    assert got["events"][-1] == StreamClosed(af.CloseReason.CONNECTION_LOST)
    assert sum(len(c) for c in got["audio"]) == 2400  # all 150 ms, the last chunk short


async def test_audio_chunks_are_exact_and_bounded() -> None:
    result: asyncio.Future[tuple[list[np.ndarray], float]] = (
        asyncio.get_running_loop().create_future()
    )

    async def app(ws: Any) -> None:
        async with AudioStream(ws) as stream:
            chunks = stream.audio(chunk_ms=100, buffer_ms=300)
            while not stream.closed:  # fall behind on purpose
                await asyncio.sleep(0.01)
            result.set_result(([c async for c in chunks], chunks.dropped_ms))

    speech = tone(1000)
    async with asyncio.timeout(TIMEOUT), SERVERS["websockets"](app) as url:
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            await platform.media(speech)
        got, dropped_ms = await result
    assert [len(c) for c in got] == [1600, 1600, 1600]
    np.testing.assert_array_equal(np.concatenate(got), speech[-4800:])
    assert dropped_ms == 700.0


async def test_pace_keeps_at_most_pace_ms_ahead_of_playout() -> None:
    clock = ManualClock()
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        async with AudioStream(ws, clock=clock, pace_ms=200) as stream:
            async for event in stream:
                if isinstance(event, af.Start):
                    await stream.play(tone(1000), 16000)
                    done.set_result(None)

    async with call(SERVERS["websockets"], app) as platform:
        await platform.start()
        received_ms = 0.0
        while received_ms < 1000:
            try:
                async with asyncio.timeout(0.3):
                    received_ms += play_ms(await platform.next())
            except TimeoutError:
                clock.now += 0.1  # nothing more until playout moves on
            assert received_ms <= clock.now * 1000 + 200
        await done
    assert clock.now >= 0.7  # it really had to wait for playout


async def test_a_long_play_lets_the_loop_run_between_seconds_of_audio() -> None:
    ticks_during_play: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        async with AudioStream(ws) as stream:
            async for event in stream:
                if isinstance(event, af.Start):
                    task = asyncio.create_task(ticker())
                    await asyncio.sleep(0)
                    before = ticks
                    await stream.play(tone(30_000), 16000)
                    ticks_during_play.set_result(ticks - before)
                    task.cancel()

    async with call(SERVERS["websockets"], app) as platform:
        await platform.start()
        frames = [await platform.next() for _ in range(1500)]
        assert sum(play_ms(m) for m in frames) == 30_000
        assert await ticks_during_play >= 30  # at least once per second of audio


async def test_hold_after_clear_waits_for_cleared_audio_or_the_deadline() -> None:
    clock = ManualClock()

    async def app(ws: Any) -> None:
        async with AudioStream(ws, clock=clock, hold_after_clear=True) as stream:
            marks = []
            async for event in stream:
                if isinstance(event, af.Start):
                    await stream.play(tone(1000), 16000)
                    for _ in range(2):
                        await stream.clear()
                        await stream.play(tone(100), 16000)
                        marks.append(asyncio.create_task(stream.checkpoint()))

    async with call(SERVERS["websockets"], app) as platform:
        await platform.start()
        await platform.until("clearAudio")
        assert (await platform.next())["event"] == "clearAudio"  # the first hold dropped
        with pytest.raises(TimeoutError):  # held: nothing while the clock stands still
            async with asyncio.timeout(0.3):
                await platform.next()
        clock.now += 1.0  # no clearedAudio: released after a second
        released = await platform.until("checkpoint")
        assert [m["event"] for m in released] == ["playAudio"] * 5 + ["checkpoint"]


async def test_app_closing_closes_the_socket(server: Server) -> None:
    async def app(ws: Any) -> None:
        async with AudioStream(ws) as stream:
            async for event in stream:
                if isinstance(event, af.Start):
                    break

    async with call(server, app) as platform:
        await platform.start()
        with pytest.raises(ConnectionClosed):
            await platform.next()


async def test_malformed_messages_are_counted_not_fatal() -> None:
    result: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        async with AudioStream(ws) as stream:
            media = 0
            async for event in stream:
                media += isinstance(event, af.Media)
            result.set_result((media, stream.protocol_errors))

    async with asyncio.timeout(TIMEOUT), SERVERS["websockets"](app) as url:
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            await platform.ws.send("{oops")
            await platform.ws.send(json.dumps({"event": "playAudio", "media": {}}))
            await platform.media(tone(40))
        assert await result == (2, 2)


async def test_binary_frames_are_read_like_text(server: Server) -> None:
    result: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        async with AudioStream(ws) as stream:
            result.set_result([type(event).__name__ async for event in stream])

    async with asyncio.timeout(TIMEOUT), server(app) as url:
        async with ScriptedPlatform.connect(url) as platform:
            await platform.ws.send(start_message().encode())
            await platform.ws.send(media_message(l16(tone(20)), 1).encode())
        assert await result == ["Start", "Media", "StreamClosed"]


async def test_an_unprepared_aiohttp_response_is_refused() -> None:
    stream = AudioStream(web.WebSocketResponse())
    with pytest.raises(af.StreamStateError, match="prepare"):
        async with asyncio.timeout(TIMEOUT):
            await stream.__aenter__()


def test_unsupported_socket_type_is_refused() -> None:
    with pytest.raises(TypeError, match="send_text"):
        AudioStream(object())
    with pytest.raises(af.ArgumentError, match="pace_ms"):
        AudioStream(SERVERS, pace_ms=0)


class QueueSocket:
    """A duck-typed socket fed by the test: what the app sends is kept in ``sent``."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def receive_text(self) -> str | None:
        return await self.inbox.get()


@pytest.mark.parametrize(
    ("options", "field"),
    [({"pace_ms": "100"}, "pace_ms"), ({"max_events": 1.5}, "max_events")],
)
def test_wrong_option_types_raise_type_error(options: dict[str, Any], field: str) -> None:
    with pytest.raises(TypeError, match=field):
        AudioStream(QueueSocket(), **options)


async def test_wrong_argument_types_raise_type_error_naming_the_field() -> None:
    async with asyncio.timeout(TIMEOUT), AudioStream(QueueSocket()) as stream:
        with pytest.raises(TypeError, match="chunk_ms"):
            stream.audio(chunk_ms=100.0)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="buffer_ms"):
            stream.audio(buffer_ms="1000")  # type: ignore[arg-type]
        with pytest.raises(af.ArgumentError, match="chunk_ms"):
            stream.audio(chunk_ms=0)
        with pytest.raises(TypeError, match="sample_rate"):
            await stream.play(tone(20), 16000.0)  # type: ignore[arg-type]


async def test_a_stream_not_entered_refuses_waits_instead_of_hanging() -> None:
    stream = AudioStream(QueueSocket(), playback_format=af.MediaFormat("audio/x-l16", 16000))
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(af.StreamStateError, match="async with"):
            await stream.drain()
        with pytest.raises(af.StreamStateError, match="async with"):
            await anext(stream)
        with pytest.raises(af.StreamStateError, match="async with"):
            await anext(stream.audio())
    assert stream.session.pending_checkpoints == ()


async def test_closing_an_audio_iterator_ends_its_iteration() -> None:
    async with asyncio.timeout(TIMEOUT), AudioStream(QueueSocket()) as stream:
        chunks = stream.audio()
        reader = asyncio.create_task(anext(chunks))
        await asyncio.sleep(0.01)
        chunks.close()
        with pytest.raises(StopAsyncIteration):
            await reader


@pytest.mark.parametrize("how", ["disconnect_before_connect", "gone_during_accept"])
async def test_a_starlette_client_gone_before_accept_ends_the_stream_quietly(how: str) -> None:
    from starlette.websockets import WebSocket

    inbound: list[dict[str, Any]] = [{"type": "websocket.disconnect", "code": 1006}]
    if how == "gone_during_accept":
        inbound.insert(0, {"type": "websocket.connect"})

    async def receive() -> dict[str, Any]:  # the ASGI server's side
        return inbound.pop(0) if len(inbound) > 1 else inbound[0]

    async def send(message: dict[str, Any]) -> None:
        raise OSError("the client is gone")

    websocket = WebSocket({"type": "websocket", "path": "/ws", "headers": []}, receive, send)
    async with asyncio.timeout(TIMEOUT), AudioStream(websocket) as stream:
        assert [event async for event in stream] == [StreamClosed(af.CloseReason.CONNECTION_LOST)]


async def test_pace_holds_audio_played_before_start_until_playout() -> None:
    clock, socket = ManualClock(), QueueSocket()
    fmt = af.MediaFormat("audio/x-l16", 16000)
    async with (
        asyncio.timeout(TIMEOUT),
        AudioStream(socket, clock=clock, pace_ms=200, playback_format=fmt) as stream,
    ):
        playing = asyncio.create_task(stream.play(tone(1000), 16000))
        await asyncio.sleep(0.05)
        assert not playing.done() and stream.session.queued_ms <= 200
        socket.inbox.put_nowait(start_message())
        while len(socket.sent) < 10:
            await asyncio.sleep(0.01)
        assert sum(play_ms(json.loads(m)) for m in socket.sent) <= 200
        while not playing.done():
            clock.now += 0.1
            await asyncio.sleep(0.01)
        assert sum(play_ms(json.loads(m)) for m in socket.sent) == 1000


async def test_audio_refuses_a_track_that_never_carries_media() -> None:
    async with asyncio.timeout(TIMEOUT), AudioStream(QueueSocket()) as stream:
        with pytest.raises(af.ArgumentError, match=r"track.*inboud"):
            stream.audio(track="inboud")
        with pytest.raises(TypeError, match="track"):
            stream.audio(track=None)  # type: ignore[arg-type]
        assert stream.audio(track="outbound").dropped_ms == 0.0


async def test_play_takes_a_numpy_integer_rate() -> None:
    socket = QueueSocket()
    fmt = af.MediaFormat("audio/x-l16", 16000)
    async with asyncio.timeout(TIMEOUT), AudioStream(socket, playback_format=fmt) as stream:
        socket.inbox.put_nowait(start_message())
        await anext(stream)
        await stream.play(tone(40), np.int64(16000))  # type: ignore[arg-type]
        assert len(socket.sent) == 2


async def test_events_read_after_a_hang_up_can_still_be_answered(server: Server) -> None:
    result: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()

    async def app(ws: Any) -> None:
        async with AudioStream(ws) as stream:
            while not stream.closed:  # the app is behind: the caller hangs up meanwhile
                await asyncio.sleep(0.01)
            outcomes = []
            async for event in stream:  # the README's echo, on the events still queued
                if isinstance(event, af.Media):
                    await stream.play(event.pcm, 16000)
                    outcomes.append(await stream.checkpoint())
            outcomes.append(await stream.drain())
            result.set_result(outcomes)

    async with asyncio.timeout(TIMEOUT), server(app) as url:
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            await platform.media(tone(40))
        assert await result == [CheckpointOutcome.CLOSED] * 3


@pytest.mark.parametrize(("pace_ms", "rate"), [(50, 16000), (30, 16000), (100, 44100)])
async def test_pace_never_waits_on_the_partial_frame_kept_for_more_audio(
    pace_ms: int, rate: int
) -> None:
    clock, socket = ManualClock(), QueueSocket()
    async with asyncio.timeout(5), AudioStream(socket, clock=clock, pace_ms=pace_ms) as stream:
        socket.inbox.put_nowait(start_message())
        await anext(stream)
        playing = asyncio.create_task(stream.play(tone(1000, rate=rate), rate))
        while not playing.done():
            clock.now += 0.01
            await asyncio.sleep(0.001)
        assert sum(play_ms(json.loads(m)) for m in socket.sent) >= 960
