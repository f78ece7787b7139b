"""The emulator's stream runner against real loopback apps.

Every app here is written with plain ``websockets`` + ``json`` + ``base64`` (and numpy for
samples), not audiofork's session or builders, so the wire output is checked independently.
Clocks run at 20x real time; every await is under a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import itertools
import json
import pathlib
import socket
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from audiofork.emulator.audio import AudioSource
from audiofork.emulator.clock import ManualTime, VirtualClock
from audiofork.emulator.stream import StreamEnd, StreamNotice, StreamRunner, StreamSpec
from audiofork.vobiz.xml import StreamElement

SPEED = 20.0
TIMEOUT_S = 20.0  # real seconds any one test may take

Handler = Callable[[ServerConnection], Awaitable[None]]
Pcm = npt.NDArray[np.int16]


def ulaw_to_linear(data: bytes) -> Pcm:
    """G.711 mu-law decoding, written out here independently of audiofork."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


def pcm_of(payload: str, content_type: str) -> Pcm:
    raw = base64.b64decode(payload, validate=True)
    if content_type.startswith("audio/x-mulaw"):
        return ulaw_to_linear(raw)
    return np.frombuffer(raw, dtype="<i2").astype(np.int16)


def dominant_hz(pcm: Pcm, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum)) * rate / len(pcm)


def tone(hz: float, rate: int, seconds: float) -> Pcm:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(8000 * np.cos(2 * np.pi * hz * t)).astype(np.int16)  # first sample loud


def play_audio_message(
    payload: str, content_type: str, rate: int, *, stream_id: str | None = "x"
) -> str:
    message: dict[str, Any] = {
        "event": "playAudio",
        "media": {"contentType": content_type, "sampleRate": rate, "payload": payload},
    }
    if stream_id is not None:
        message["streamId"] = stream_id
    return json.dumps(message)


def play_audio(pcm: Pcm, rate: int, *, stream_id: str | None = "x") -> str:
    payload = base64.b64encode(pcm.astype("<i2").tobytes()).decode()
    return play_audio_message(payload, "audio/x-l16", rate, stream_id=stream_id)


@asynccontextmanager
async def app_server(handler: Handler) -> AsyncIterator[str]:
    """A WebSocket app on loopback; yields its URL."""
    async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/stream"


class Harness:
    """A runner with its notices, on a fast clock (or, with ``manual``, on a clock the test
    steps by hand: :meth:`step_to`)."""

    def __init__(
        self,
        url: str,
        tmp: pathlib.Path | None = None,
        *,
        speed: float = SPEED,
        manual: bool = False,
        **spec: Any,
    ) -> None:
        self.time = ManualTime()
        self.clock = VirtualClock(time_source=self.time) if manual else VirtualClock(speed)
        self.notices: list[StreamNotice] = []
        ids = (f"stream-{n}" for n in itertools.count(2))
        fields: dict[str, Any] = {
            "stream_id": "stream-1",
            "call_uuid": "call-1",
            "account_id": "MA_TEST",
            "service_url": url,
            "audio_track": "inbound",
            "bidirectional": False,
            "content_type": "audio/x-l16;rate=8000",
            "stream_timeout": 1.0,
            "max_retries": 0,
            "extra_headers": None,
        }
        caller = spec.pop("caller", "speech")
        callee = spec.pop("callee", "silence")
        fields.update(spec)
        self.runner = StreamRunner(
            StreamSpec(**fields),
            clock=self.clock,
            caller=AudioSource.from_spec(caller),
            callee=AudioSource.from_spec(callee),
            notify=self.notices.append,
            new_stream_id=lambda: next(ids),
            record_dir=tmp,
            capture_audio=True,
        )

    async def run(self) -> StreamEnd:
        async with asyncio.timeout(TIMEOUT_S):
            return await self.runner.run()

    def events(self) -> list[tuple[str, str]]:
        return [(n.event, n.stream_id) for n in self.notices if n.event != "DegradedStream"]

    async def step_to(self, frame: int, media_seen: Callable[[], int]) -> None:
        """Move the manual clock just past the end of ``frame``'s period (the stream's time
        0 is the clock's) and wait until the app has received that frame's media."""
        self.time.advance(max(0.0, frame * 0.02 + 1e-6 - self.time.now()))
        async with asyncio.timeout(TIMEOUT_S):
            while media_seen() < frame:
                await asyncio.sleep(0.001)


async def collect(ws: ServerConnection, into: list[dict[str, Any]]) -> None:
    async for text in ws:
        into.append(json.loads(text))


async def run_collecting(**spec: Any) -> tuple[Harness, StreamEnd, list[dict[str, Any]]]:
    """Run a stream against an app that only records what it receives."""
    messages: list[dict[str, Any]] = []

    async def app(ws: ServerConnection) -> None:
        await collect(ws, messages)

    async with app_server(app) as url:
        h = Harness(url, **spec)
        end = await h.run()
    return h, end, messages


def media_of(messages: list[dict[str, Any]], track: str = "inbound") -> list[dict[str, Any]]:
    return [m for m in messages if m["event"] == "media" and m["media"]["track"] == track]


async def wait_until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(TIMEOUT_S):
        while not predicate():
            await asyncio.sleep(0.001)


def ramp_pcm(n: int) -> Pcm:
    return np.arange(1, n + 1, dtype=np.int16)


def checkpoint_message(name: str) -> str:
    return json.dumps({"event": "checkpoint", "streamId": "s", "name": name})


@pytest.mark.parametrize(
    ("content_type", "encoding", "rate", "frame_bytes"),
    [
        ("audio/x-mulaw;rate=8000", "audio/x-mulaw", 8000, 160),
        ("audio/x-l16;rate=8000", "audio/x-l16", 8000, 320),
        ("audio/x-l16;rate=16000", "audio/x-l16", 16000, 640),
        ("audio/x-l16;rate=24000", "audio/x-l16", 24000, 960),
    ],
)
async def test_content_types_on_the_wire(
    content_type: str, encoding: str, rate: int, frame_bytes: int
) -> None:
    h, end, messages = await run_collecting(
        content_type=content_type,
        caller="tone:1000",
        stream_timeout=0.5,
        extra_headers="tenant=acme,lang=en",
    )
    assert end == StreamEnd("completed", "timeout")
    start, media, stop = messages[0], messages[1:-1], messages[-1]
    assert stop == {
        "event": "stop",
        "sequenceNumber": 26,
        "streamId": "stream-1",
        "stop": {"callId": "call-1", "reason": "timeout"},
    }
    assert start == {
        "event": "start",
        "sequenceNumber": 0,
        "start": {
            "callId": "call-1",
            "streamId": "stream-1",
            "accountId": "MA_TEST",
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": encoding, "sampleRate": rate},
        },
        "extra_headers": '{"tenant":"acme","lang":"en"}',
    }
    assert len(media) == 25, h.runner.stats
    assert [m["sequenceNumber"] for m in media] == list(range(1, 26))
    assert [m["media"]["chunk"] for m in media] == list(range(1, 26))
    stamps = [int(m["media"]["timestamp"]) for m in media]
    assert all(isinstance(m["media"]["timestamp"], str) for m in media)
    assert np.diff(stamps).tolist() == [20] * 24
    assert {m["streamId"] for m in media} == {"stream-1"}
    assert {m["extra_headers"] for m in media} == {'{"tenant":"acme","lang":"en"}'}
    assert {len(base64.b64decode(m["media"]["payload"])) for m in media} == {frame_bytes}
    heard = np.concatenate([pcm_of(m["media"]["payload"], content_type) for m in media])
    assert abs(dominant_hz(heard, rate) - 1000) < 5
    sent = h.runner.sent_audio
    if encoding == "audio/x-l16":
        assert np.array_equal(heard, sent)
    else:  # mu-law keeps about 38 dB of signal to noise on a tone
        error = (heard - sent.astype(np.float64)).std()
        assert 20 * np.log10(sent.std() / error) > 30
    assert h.events() == [("StartStream", "stream-1"), ("StopStream", "stream-1")]


@pytest.mark.parametrize(
    ("audio_track", "tracks"),
    [("inbound", ["inbound"]), ("outbound", ["outbound"]), ("both", ["inbound", "outbound"])],
)
async def test_audio_tracks(audio_track: str, tracks: list[str]) -> None:
    _, end, messages = await run_collecting(
        audio_track=audio_track,
        content_type="audio/x-l16;rate=16000",
        caller="tone:500",
        callee="tone:1500",
        stream_timeout=0.4,
    )
    assert end == StreamEnd("completed", "timeout")

    assert messages[0]["start"]["tracks"] == tracks
    assert [m["sequenceNumber"] for m in messages] == list(range(len(messages)))
    for track, hz in (("inbound", 500), ("outbound", 1500)):
        frames = media_of(messages, track)
        if track not in tracks:
            assert frames == []
            continue
        assert len(frames) == 20
        assert [m["media"]["chunk"] for m in frames] == list(range(1, 21))
        pcm = np.concatenate([pcm_of(m["media"]["payload"], "audio/x-l16") for m in frames])
        assert abs(dominant_hz(pcm, 16000) - hz) < 5
    if audio_track == "both":  # one frame per track per period, same timestamps
        stamps = {t: [m["media"]["timestamp"] for m in media_of(messages, t)] for t in tracks}
        assert stamps["inbound"] == stamps["outbound"]


async def test_pacing_follows_the_virtual_clock() -> None:
    """Frame k leaves at (k + 1) x 20 ms of virtual time, never earlier, none missing."""
    arrivals: list[tuple[int, float]] = []
    clock_box: list[VirtualClock] = []

    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            message = json.loads(text)
            if message["event"] == "media":
                arrivals.append((message["media"]["chunk"], clock_box[0].now()))

    async with app_server(app) as url:
        h = Harness(url, stream_timeout=3.0)
        clock_box.append(h.clock)
        started = h.clock.now()
        end = await h.run()
        finished = h.clock.now()

    assert end.reason == "timeout"
    assert [chunk for chunk, _ in arrivals] == list(range(1, 151))  # 3 s exactly, no drift
    origin = h.runner.started_at
    assert origin is not None and started <= origin
    assert finished - origin >= 3.0
    assert all(at >= origin + chunk * 0.02 for chunk, at in arrivals)  # never early


async def test_bidirectional_echo_checkpoint_and_clear(tmp_path: pathlib.Path) -> None:
    """On a clock stepped by hand, each step taken once the app and the runner have handled
    everything the other sent, so what plays when is exact."""
    received: list[dict[str, Any]] = []
    echoed: list[str] = []
    replies_sent = 0

    async def app(ws: ServerConnection) -> None:
        nonlocal replies_sent
        async for text in ws:
            message = json.loads(text)
            event = message["event"]
            replies: list[str] = []
            if event == "media":
                chunk = message["media"]["chunk"]
                echo = {
                    "event": "playAudio",
                    "streamId": message["streamId"],
                    "media": {
                        "contentType": "audio/x-mulaw",
                        "sampleRate": 8000,
                        "payload": message["media"]["payload"],
                    },
                }
                if chunk <= 10:
                    echoed.append(message["media"]["payload"])
                    replies.append(json.dumps(echo))
                if chunk == 10:
                    replies.append(checkpoint_message("ten"))
            elif event == "playedStream" and message["name"] == "ten":
                # Queue 3 s, checkpoint it, then barge in: the checkpoint must never come back.
                replies.append(play_audio(tone(700, 8000, 3.0), 8000))
                replies.append(checkpoint_message("lost"))
                replies.append(json.dumps({"event": "clearAudio", "streamId": "s"}))
            elif event == "clearedAudio":
                replies.append(checkpoint_message("empty"))
            elif event == "playedStream" and message["name"] == "empty":
                replies.append(json.dumps({"event": "stop", "streamId": "s"}))
            replies_sent += len(replies)  # counted before it is seen as received
            received.append(message)
            for reply in replies:
                await ws.send(reply)

    def settled(frame: int) -> bool:
        """The runner has passed ``frame``'s boundary, and each side has handled all the
        other sent (or the stream has ended)."""
        if task.done():
            return True
        stats = h.runner.stats
        if stats.media_sent["inbound"] < frame:
            return False
        queued = 1 + stats.media_sent["inbound"]  # start, media
        queued += stats.checkpoints_acknowledged + stats.clears_answered
        handled = stats.play_audio_received + stats.checkpoints_received + stats.clears
        return len(received) == queued and handled == replies_sent

    async with app_server(app) as url:
        h = Harness(
            url,
            tmp_path,
            bidirectional=True,
            content_type="audio/x-mulaw;rate=8000",
            stream_timeout=30.0,
            caller="tone:450",
            manual=True,
        )
        task = asyncio.ensure_future(h.run())
        frame = 0
        while not task.done():
            await wait_until(functools.partial(settled, frame))
            frame += 1
            h.time.advance(frame * 0.02 + 1e-6 - h.time.now())
            assert frame < 200
        end = await task

    assert end == StreamEnd("completed", "app_stop")
    answers = [m for m in received if m["event"] in ("playedStream", "clearedAudio")]
    assert [(m["event"], m.get("name")) for m in answers] == [
        ("playedStream", "ten"),
        ("clearedAudio", None),
        ("playedStream", "empty"),
    ]
    assert all(m["streamId"] == "stream-1" for m in answers)
    sequence = [m["sequenceNumber"] for m in received]
    assert sequence == list(range(len(received)))
    stats = h.runner.stats
    assert stats.play_audio_received == 11
    assert stats.checkpoints_received == 3
    assert stats.checkpoints_acknowledged == 2
    assert stats.checkpoints_dropped == 1
    assert stats.clears == 1
    assert stats.played_ms == pytest.approx(200.0)  # the ten echoed frames, all heard
    assert 0 < stats.cleared_ms <= 3000.0
    assert stats.bad_frames == {}
    events = [n.event for n in h.notices]
    assert events == ["StartStream", "PlayedStream", "ClearedAudio", "PlayedStream", "StopStream"]
    # The echo is what the caller heard, frame by frame, at least a frame after saying it.
    sent, played = h.runner.sent_audio, h.runner.played_audio
    assert len(sent) == len(played)
    frames = played[: len(played) // 160 * 160].reshape(-1, 160)
    heard = [i for i, frame in enumerate(frames) if frame.any()]
    assert heard[0] >= 1
    echo = [pcm_of(p, "audio/x-mulaw") for p in echoed]
    assert all(np.array_equal(frames[i], e) for i, e in zip(heard, echo, strict=False))
    assert (tmp_path / "call-1" / "stream-1" / "played.wav").exists()


async def test_checkpoint_waits_for_its_audio() -> None:
    """playedStream for audio queued before a checkpoint comes no sooner than it plays."""
    clock_box: list[VirtualClock] = []
    timings: dict[str, float] = {}

    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            message = json.loads(text)
            if message["event"] == "start":
                timings["sent"] = clock_box[0].now()
                await ws.send(play_audio(tone(400, 16000, 1.0), 16000))
                await ws.send(json.dumps({"event": "checkpoint", "streamId": "s", "name": "one"}))
            elif message["event"] == "playedStream":
                timings["played"] = clock_box[0].now()
                await ws.send(json.dumps({"event": "stop", "streamId": "s"}))

    async with app_server(app) as url:
        h = Harness(url, bidirectional=True, stream_timeout=30.0)
        clock_box.append(h.clock)
        assert await h.run() == StreamEnd("completed", "app_stop")

    assert timings["played"] - timings["sent"] >= 1.0
    assert h.runner.stats.played_ms == pytest.approx(1000.0)  # 16 kHz resampled to 8 kHz
    played = h.runner.played_audio
    assert abs(dominant_hz(played[np.flatnonzero(played)[0] :][:8000], 8000) - 400) < 5


async def test_play_audio_without_stream_id_is_played() -> None:
    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            if json.loads(text)["event"] == "start":
                await ws.send(play_audio(tone(300, 8000, 0.2), 8000, stream_id=None))
                await ws.send(json.dumps({"event": "checkpoint", "streamId": "s", "name": "n"}))
            elif json.loads(text)["event"] == "playedStream":
                await ws.send(json.dumps({"event": "stop", "streamId": "s"}))

    async with app_server(app) as url:
        h = Harness(url, bidirectional=True, stream_timeout=30.0)
        assert await h.run() == StreamEnd("completed", "app_stop")
    assert h.runner.stats.played_ms == pytest.approx(200.0)
    assert h.runner.stats.bad_frames == {}


async def test_one_way_stream_ignores_app_audio() -> None:
    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            if json.loads(text)["event"] == "start":
                await ws.send(play_audio(tone(300, 8000, 0.2), 8000))

    async with app_server(app) as url:
        h = Harness(url, bidirectional=False, stream_timeout=0.5)
        assert await h.run() == StreamEnd("completed", "timeout")
    assert h.runner.stats.bad_frames == {"not_bidirectional": 1}
    assert h.runner.stats.played_ms == 0
    assert not np.any(h.runner.played_audio)


async def test_max_retries_reconnects_with_a_new_stream_id() -> None:
    starts: list[dict[str, Any]] = []

    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            message = json.loads(text)
            if message["event"] == "start":
                starts.append(message["start"])
            elif message["event"] == "media" and message["media"]["chunk"] == 5:
                if len(starts) < 3:
                    await ws.close()  # the app drops the socket
                else:
                    await ws.send(json.dumps({"event": "stop", "streamId": "s"}))

    async with app_server(app) as url:
        h = Harness(url, max_retries=3, stream_timeout=30.0)
        end = await h.run()

    assert end == StreamEnd("completed", "app_stop")
    assert [s["streamId"] for s in starts] == ["stream-1", "stream-2", "stream-3"]
    assert {s["callId"] for s in starts} == {"call-1"}
    assert h.runner.stream_id == "stream-3"
    assert h.runner.stats.reconnects == 2
    assert h.events() == [
        ("StartStream", "stream-1"),
        ("DroppedStream", "stream-1"),
        ("StartStream", "stream-2"),
        ("DroppedStream", "stream-2"),
        ("StartStream", "stream-3"),
        ("StopStream", "stream-3"),
    ]


async def test_app_closing_the_socket_is_a_dropped_stream() -> None:
    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            if json.loads(text)["event"] == "media":
                await ws.close(1000, "bye")

    async with app_server(app) as url:
        h = Harness(url, stream_timeout=30.0)
        end = await h.run()

    assert (end.status, end.reason) == ("completed", "dropped")
    assert "1000" in end.error
    assert h.events() == [("StartStream", "stream-1"), ("DroppedStream", "stream-1")]
    assert h.notices[-1].error == end.error


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_unreachable_service_url_fails() -> None:
    h = Harness(f"ws://127.0.0.1:{closed_port()}/ws", max_retries=2)
    end = await h.run()
    assert (end.status, end.reason) == ("failed", "unreachable")
    assert "cannot connect" in end.error
    assert h.events() == [("DroppedStream", "stream-1")]
    assert h.runner.stats.media_sent == {"inbound": 0}


async def test_refused_upgrade_is_unreachable_after_every_retry() -> None:
    attempts: list[float] = []

    async def refuse(connection: ServerConnection, request: Any) -> Any:
        attempts.append(clock_box[0].now())
        return connection.respond(404, "no such app\n")

    clock_box: list[VirtualClock] = []
    async with serve(lambda ws: asyncio.sleep(0), "127.0.0.1", 0, process_request=refuse) as s:
        port = s.sockets[0].getsockname()[1]
        h = Harness(f"ws://127.0.0.1:{port}/ws", max_retries=2, stream_timeout=30.0)
        clock_box.append(h.clock)
        end = await h.run()
    assert (end.status, end.reason) == ("failed", "unreachable")
    assert "404" in end.error
    assert len(attempts) == 3  # the first try and two retries, a virtual second apart
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(attempts))
    assert h.runner.stream_id == "stream-1"  # no start was sent: the id was never used
    assert h.events() == [("DroppedStream", "stream-1")]


@pytest.mark.parametrize("reason", ["api_stop", "hangup"])
async def test_stop_from_the_platform_closes_the_socket(reason: Any) -> None:
    closed = asyncio.Event()
    frames: list[int] = []

    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            if json.loads(text)["event"] == "media":
                frames.append(1)
        closed.set()

    async with app_server(app) as url:
        h = Harness(url, stream_timeout=60.0)
        task = asyncio.ensure_future(h.run())
        async with asyncio.timeout(TIMEOUT_S):
            while len(frames) < 3:
                await asyncio.sleep(0.001)
            h.runner.stop(reason)
            h.runner.stop("api_stop" if reason == "hangup" else "hangup")  # first one wins
            end = await task
            await closed.wait()
    assert end == StreamEnd("completed", reason)
    assert h.events()[-1] == ("StopStream", "stream-1")


async def test_recordings(tmp_path: pathlib.Path) -> None:
    """caller.wav is what was forked; played.wav has the app's audio where it was heard."""
    forked: list[Pcm] = []
    clock_box: list[VirtualClock] = []
    times: dict[str, float] = {}
    reply = tone(1000, 16000, 0.2)

    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            message = json.loads(text)
            if message["event"] == "media":
                forked.append(pcm_of(message["media"]["payload"], "audio/x-l16"))
                if message["media"]["chunk"] == 25:  # 0.5 s into the call
                    await ws.send(play_audio(reply, 16000))
                    await ws.send(json.dumps({"event": "checkpoint", "streamId": "s", "name": "r"}))
            elif message["event"] == "playedStream":
                times["played"] = clock_box[0].now()

    async with app_server(app) as url:
        h = Harness(url, tmp_path, bidirectional=True, content_type="audio/x-l16;rate=16000")
        clock_box.append(h.clock)
        assert await h.run() == StreamEnd("completed", "timeout")

    directory = tmp_path / "call-1" / "stream-1"
    assert h.runner.recording_dirs == [directory]
    assert sorted(p.name for p in directory.iterdir()) == ["caller.wav", "played.wav"]
    recordings = {}
    for name in ("caller", "played"):
        with wave.open(str(directory / f"{name}.wav"), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
            recordings[name] = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert np.array_equal(recordings["caller"], np.concatenate(forked))
    played = recordings["played"]
    assert len(played) == len(recordings["caller"]) == 16000  # 1 s each, one timeline
    start = int(np.flatnonzero(played)[0])
    assert np.array_equal(played[start : start + len(reply)], reply)  # same rate: exact
    assert np.count_nonzero(played[start + len(reply) :]) == 0
    # Heard no sooner than the frame after the one that prompted it (the frame that starts
    # as media frame 25 leaves is already in the loudspeaker), and played out before
    # playedStream said so.
    assert start >= 26 * 320
    origin = h.runner.started_at
    assert origin is not None
    assert (start + len(reply)) / 16000 <= times["played"] - origin


async def test_misbehaving_app_does_not_take_the_runner_down() -> None:
    """Garbage, bad frames, a 10 MB message, 5,000 playAudio at once, then a broken frame."""
    tasks_before = asyncio.all_tasks()
    good = play_audio(tone(300, 8000, 0.02), 8000)

    async def app(ws: ServerConnection) -> None:
        async for text in ws:
            event = json.loads(text)["event"]
            if event == "clearedAudio":  # all of the above was handled: break the socket
                # Close mid-frame: a text frame header promising 4 KiB, 10 bytes, then abort.
                ws.transport.write(b"\x81\x7e\x10\x00" + b"x" * 10)
                ws.transport.abort()
                return
            if event != "start":
                continue
            await ws.send("not json at all {")
            await ws.send(b"\x00\x01binary")
            await ws.send(play_audio_message("", "audio/x-wav", 8000))
            await ws.send(play_audio_message("AAAA", "audio/x-l16", 8000))  # 3 bytes
            await ws.send(play_audio_message("@@@@", "audio/x-l16", 8000))
            await ws.send(json.dumps({"event": "dance"}))
            huge = base64.b64encode(bytes(7_500_000)).decode()  # 10 MB message, 15+ min
            await ws.send(play_audio_message(huge, "audio/x-mulaw", 8000))
            for _ in range(5000):
                await ws.send(good)
            await ws.send(json.dumps({"event": "checkpoint", "streamId": "s", "name": "after"}))
            await ws.send(json.dumps({"event": "clearAudio", "streamId": "s"}))

    async with app_server(app) as url:
        h = Harness(url, bidirectional=True, stream_timeout=60.0)
        end = await h.run()

    assert (end.status, end.reason) == ("failed", "dropped"), end
    stats = h.runner.stats
    assert stats.bad_frames == {
        "bad_json": 1,
        "binary": 1,
        "bad_encoding": 1,
        "odd_length": 1,
        "bad_base64": 1,
        "unexpected_event": 1,
    }
    # Refused frames count only in bad_frames; the huge one was well-formed but did not fit
    # the 10-minute queue: dropped whole and reported, and the 5,000 after it fit.
    assert stats.play_audio_received == 1 + 5000, (end, stats)
    assert stats.overflow_ms == pytest.approx(7_500_000 / 8)
    assert stats.checkpoints_received == 1
    assert stats.checkpoints_dropped == 1
    assert stats.clears == 1
    degraded = [n.error.split(":")[0] for n in h.notices if n.event == "DegradedStream"]
    assert len(degraded) == len(set(degraded))  # one notice per kind of trouble
    kinds = {*stats.bad_frames, "overflow"}
    if stats.media_dropped:  # the app stopped reading while it sent all that
        kinds.add("send_backlog")
    assert len(degraded) == len(kinds)
    assert h.notices[-1].event == "DroppedStream"
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == tasks_before


async def test_app_that_never_reads_cannot_hold_the_stream_open() -> None:
    """Media beyond the send backlog is dropped and counted; the timeout still ends it."""

    done = asyncio.Event()

    async def app(ws: ServerConnection) -> None:
        await done.wait()  # accepts, then never reads until the runner has finished
        ws.transport.abort()  # its reading is paused: it would never see the close

    async with app_server(app) as url:
        h = Harness(url, content_type="audio/x-l16;rate=24000", stream_timeout=300.0, speed=400)
        try:
            end = await h.run()
        finally:
            done.set()

    assert end == StreamEnd("completed", "timeout")
    stats = h.runner.stats
    assert stats.media_dropped > 0
    assert stats.media_sent["inbound"] + stats.media_dropped == 15000
    assert [n.event for n in h.notices] == ["StartStream", "DegradedStream", "StopStream"]


async def test_answers_to_an_app_that_does_not_read_wait_and_are_never_dropped() -> None:
    """3,000 checkpoints with 10 kB names while the app reads nothing: what is owed stays
    within its 4 MiB budget, so checkpoints past it are refused at once (and reported once);
    every accepted one is answered, in order, once the app reads again."""
    resume = asyncio.Event()
    received: list[dict[str, Any]] = []
    name = "n" * 10_000

    async def app(ws: ServerConnection) -> None:
        start = json.loads(await ws.recv())
        received.append(start)
        ws.transport.pause_reading()
        stream_id = start["start"]["streamId"]
        for i in range(3000):
            checkpoint = {"event": "checkpoint", "streamId": stream_id, "name": f"{i}-{name}"}
            await ws.send(json.dumps(checkpoint))
        await resume.wait()
        ws.transport.resume_reading()
        with contextlib.suppress(ConnectionClosed):
            await collect(ws, received)

    def handled() -> int:
        stats = h.runner.stats
        return stats.checkpoints_received + stats.bad_frames.get("checkpoint_limit", 0)

    async with app_server(app) as url:
        h = Harness(url, bidirectional=True, stream_timeout=600.0)
        task = asyncio.ensure_future(h.run())
        async with asyncio.timeout(TIMEOUT_S):
            while handled() < 3000:
                await asyncio.sleep(0.01)
            resume.set()
            accepted = h.runner.stats.checkpoints_received
            while sum(m["event"] == "playedStream" for m in received) < accepted:
                await asyncio.sleep(0.01)
            h.runner.stop("hangup")
            end = await task
    assert end == StreamEnd("completed", "hangup")
    stats = h.runner.stats
    refused = stats.bad_frames["checkpoint_limit"]
    assert refused > 0 and accepted + refused == 3000
    assert stats.checkpoints_acknowledged == accepted
    played = [int(m["name"].split("-")[0]) for m in received if m["event"] == "playedStream"]
    assert len(played) == accepted and played == sorted(played)
    degraded = [n.error for n in h.notices if n.event == "DegradedStream"]
    assert sum("checkpoint_limit" in error for error in degraded) == 1
    assert len(degraded) == len(set(degraded)) <= 2  # and perhaps media dropped, once


async def test_stop_before_run() -> None:
    h = Harness(f"ws://127.0.0.1:{closed_port()}/ws")
    h.runner.stop("hangup")
    assert await h.run() == StreamEnd("completed", "hangup")
    assert h.notices == []


async def test_stop_during_the_handshake_sends_no_start() -> None:
    """A stop while the app's upgrade is pending abandons it: no ``start``, no notices."""
    handshake = asyncio.Event()
    release = asyncio.Event()
    received: list[dict[str, Any]] = []

    async def hold(connection: ServerConnection, request: Any) -> None:
        handshake.set()
        await release.wait()

    async def app(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            await collect(ws, received)

    async with serve(app, "127.0.0.1", 0, process_request=hold) as server:
        port = server.sockets[0].getsockname()[1]
        h = Harness(f"ws://127.0.0.1:{port}/stream", stream_timeout=60.0)
        task = asyncio.ensure_future(h.run())
        async with asyncio.timeout(TIMEOUT_S):
            await handshake.wait()
            h.runner.stop("hangup")
            await asyncio.sleep(0.05)  # let the runner see the stop before the upgrade ends
            release.set()
            end = await task
    assert end == StreamEnd("completed", "hangup")
    assert h.notices == []
    assert received == []
    assert h.runner.started_at is None


async def test_message_over_the_size_limit_drops_the_stream() -> None:
    """Above 16 MiB the socket is closed with 1009 (message too big): dropped, not a crash."""

    async def app(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):  # the runner closes it with 1009
            async for text in ws:
                if json.loads(text)["event"] == "start":
                    payload = base64.b64encode(bytes(13_000_000)).decode()  # 17.3 MB message
                    await ws.send(play_audio_message(payload, "audio/x-mulaw", 8000))

    async with app_server(app) as url:
        h = Harness(url, bidirectional=True, stream_timeout=60.0)
        end = await h.run()
    assert (end.status, end.reason) == ("failed", "dropped"), end
    assert "exceeds limit" in end.error
    assert h.runner.stats.play_audio_received == 0
    assert h.events() == [("StartStream", "stream-1"), ("DroppedStream", "stream-1")]


# --- on a clock stepped by hand ------------------------------------------------------------


class RecordingApp:
    """An app that sends ``on_start`` after ``start`` and records, in order, what it
    receives: ``("media", chunk)``, ``("playedStream", name)``, ``(event, None)``."""

    def __init__(self, on_start: list[str]) -> None:
        self.on_start = on_start
        self.log: list[tuple[str, Any]] = []
        self.media = 0

    async def __call__(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for text in ws:
                message = json.loads(text)
                event = message["event"]
                if event == "media":
                    self.media += 1
                    self.log.append(("media", message["media"]["chunk"]))
                else:
                    self.log.append((event, message.get("name")))
                if event == "start":
                    for reply in self.on_start:
                        await ws.send(reply)

    def played(self) -> list[str]:
        return [name for event, name in self.log if event == "playedStream"]


async def test_a_manual_clock_steps_the_stream_frame_by_frame() -> None:
    """Five frames of app audio queued before the first boundary play in frames 1-5; the
    checkpoint after them is answered at the sixth boundary, right after its media."""
    reply = ramp_pcm(800)
    app = RecordingApp([play_audio(reply, 8000), checkpoint_message("c")])
    async with app_server(app) as url:
        h = Harness(url, bidirectional=True, stream_timeout=60.0, manual=True, caller="tone")
        task = asyncio.ensure_future(h.run())
        await wait_until(lambda: h.runner.stats.checkpoints_received == 1)
        assert h.runner.started_at == 0.0 and app.media == 0
        for frame in range(1, 9):
            await h.step_to(frame, lambda: app.media)
        await wait_until(lambda: len(app.log) == 10)
        h.runner.stop("hangup")
        async with asyncio.timeout(TIMEOUT_S):
            end = await task
    assert end == StreamEnd("completed", "hangup")
    assert app.log == [
        ("start", None),
        *[("media", k) for k in range(1, 7)],
        ("playedStream", "c"),
        ("media", 7),
        ("media", 8),
        ("stop", None),  # the hangup: the platform's stop, before the socket closes
    ]
    played = h.runner.played_audio
    assert len(played) == len(h.runner.sent_audio) == 8 * 160
    assert not played[:160].any() and not played[960:].any()
    assert np.array_equal(played[160:960], reply)
    assert h.runner.stats.played_ms == 100.0


async def test_no_frame_passes_the_instant_of_the_stop_however_late_it_is_noticed() -> None:
    """The stop comes 50 ms into the fourth frame period; a second passes before the runner
    runs again. Its media ends with frame 3, the last whole period before the stop, as its
    bill and end time do: the caller's audio stops when the call is hung up."""
    app = RecordingApp([])
    async with app_server(app) as url:
        h = Harness(url, stream_timeout=60.0, manual=True, caller="tone")
        task = asyncio.ensure_future(h.run())
        await wait_until(lambda: app.log == [("start", None)])
        for frame in range(1, 4):
            await h.step_to(frame, lambda: app.media)
        h.time.advance(0.005)
        h.runner.stop("hangup")  # at 65 ms
        h.time.advance(1.0)  # the runner has not run yet
        async with asyncio.timeout(TIMEOUT_S):
            end = await task
    assert end == StreamEnd("completed", "hangup")
    assert app.log == [("start", None), *[("media", k) for k in range(1, 4)], ("stop", None)]
    assert h.runner.stats.media_sent == {"inbound": 3}
    assert h.runner.ended_at == pytest.approx(0.065, abs=1e-5)


async def test_a_burst_of_checkpoints_is_answered_paced_while_media_flows() -> None:
    """50,000 checkpoints behind a second of audio. What the stream owes stays within its
    budget: the checkpoints past it are refused at once and reported once; every accepted
    one is answered, in order, at most 200 per frame and never ahead of that frame's media;
    and no media frame is dropped."""
    flood = [checkpoint_message(f"cp-{i:05d}") for i in range(50_000)]
    app = RecordingApp([play_audio(np.zeros(8000, dtype=np.int16), 8000), *flood])
    async with app_server(app) as url:
        h = Harness(url, bidirectional=True, stream_timeout=600.0, manual=True)
        task = asyncio.ensure_future(h.run())

        def handled() -> int:
            stats = h.runner.stats
            return stats.checkpoints_received + stats.bad_frames.get("checkpoint_limit", 0)

        await wait_until(lambda: handled() == 50_000)
        accepted = h.runner.stats.checkpoints_received
        frame = 0
        while len(app.played()) < accepted:
            frame += 1
            assert frame < 1000
            await h.step_to(frame, lambda: app.media)
        h.runner.stop("hangup")
        async with asyncio.timeout(TIMEOUT_S):
            end = await task
    assert end == StreamEnd("completed", "hangup")
    stats = h.runner.stats
    assert 0 < accepted < 50_000
    assert stats.bad_frames == {"checkpoint_limit": 50_000 - accepted}
    assert app.played() == [f"cp-{i:05d}" for i in range(accepted)]
    assert stats.checkpoints_acknowledged == accepted and stats.checkpoints_dropped == 0
    media = [chunk for event, chunk in app.log if event == "media"]
    assert media == list(range(1, len(media) + 1)) and stats.media_dropped == 0
    between: list[int] = []  # answers between one media frame and the next
    for event, _ in app.log[2:]:
        if event == "media":
            between.append(0)
        elif event == "playedStream":
            between[-1] += 1
    assert max(between) == 200
    degraded = [n.error for n in h.notices if n.event == "DegradedStream"]
    assert len(degraded) == 1 and "checkpoint_limit" in degraded[0]


def test_spec_from_a_stream_element() -> None:
    element = StreamElement(
        "wss://app.example/ws",
        bidirectional=True,
        audio_track="inbound",
        stream_timeout=90,
        content_type="audio/x-mulaw;rate=8000",
        extra_headers="k=v",
        max_retries=2,
    )
    spec = StreamSpec.from_element(element, stream_id="s", call_uuid="c", account_id="a")
    assert spec == StreamSpec(
        stream_id="s",
        call_uuid="c",
        account_id="a",
        service_url="wss://app.example/ws",
        audio_track="inbound",
        bidirectional=True,
        content_type="audio/x-mulaw;rate=8000",
        stream_timeout=90.0,
        max_retries=2,
        extra_headers="k=v",
    )
    assert spec.tracks == ("inbound",)
    both = StreamSpec.from_element(
        StreamElement("wss://a/ws", audio_track="both"),
        stream_id="s",
        call_uuid="c",
        account_id="a",
    )
    assert both.tracks == ("inbound", "outbound")
