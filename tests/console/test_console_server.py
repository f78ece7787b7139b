"""The console's server side without a browser: sign-in, the feed WebSocket (views,
coalescing, actions), the softphone WebSocket driven by a plain client, and the pieces
behind them (the stream monitor, the microphone's jitter buffer). These run everywhere."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import time
import wave
from typing import Any

import aiohttp
import numpy as np
import pytest

from audiofork.emulator import EmulatorConfig
from audiofork.emulator.console.latency import Latency
from audiofork.emulator.console.microphone import SLACK_TARGET_MS, WINDOW_READS, MicReader
from audiofork.emulator.monitor import UTTERANCE_GAP_FRAMES, StreamMonitor
from audiofork.formats import MediaFormat
from audiofork.platform import AudioCleared, AudioQueued, CheckpointAnswered, Frame
from audiofork.samples import speech
from support.cli_process import emulator_cli
from support.emulator_platform_apps import (
    ACCOUNT,
    TOKEN,
    VoiceApp,
    basic_auth,
    http_client,
    started_emulator,
    within,
)

SIGN_IN = basic_auth(ACCOUNT, TOKEN)
SECRET = "Zq3-0123456789abcdef_XYZ"


def wav_base64(pcm: np.ndarray, rate: int) -> str:
    """A mono 16-bit WAV file of ``pcm``, base64-encoded, as the page uploads one."""
    data = io.BytesIO()
    with wave.open(data, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.astype("<i2").tobytes())
    return base64.b64encode(data.getvalue()).decode()


def stream_xml(app: VoiceApp) -> str:
    return (
        "<Response><Stream bidirectional='true' keepCallAlive='true' "
        f"statusCallbackUrl='{app.url}/status'>{app.ws_url}?token={SECRET}</Stream></Response>"
    )


async def receive_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await within(ws.receive())
    assert message.type == aiohttp.WSMsgType.TEXT, message
    data: dict[str, Any] = json.loads(message.data)
    return data


class Feed:
    """A client of /console/ws that keeps every view it received and answers actions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.replies: dict[int, dict[str, Any]] = {}
        self.changed = asyncio.Event()
        self._next = 1
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if data["type"] == "reply":
                self.replies[data["id"]] = data
            else:
                self.received.append((time.monotonic(), data))
            self.changed.set()

    async def act(self, op: str, **fields: Any) -> dict[str, Any]:
        ident = self._next
        self._next += 1
        await self.ws.send_str(json.dumps({"id": ident, "op": op, **fields}))
        await self.until(lambda: ident in self.replies)
        return self.replies.pop(ident)

    async def until(self, predicate: Any, seconds: float = 20.0) -> None:
        async def wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await within(wait(), seconds)

    def views(self, kind: str) -> list[dict[str, Any]]:
        return [view for _, view in self.received if view["type"] == kind]

    def wave(self) -> list[list[int]]:
        """The watched stream's peaks per frame, as received: (caller, played)."""
        return [point for view in self.views("stream") for point in view["wave"]]

    def events(self) -> list[dict[str, Any]]:
        return [event for view in self.views("stream") for event in view["events"]]

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


async def test_a_login_link_works_once_and_signs_the_browser_in() -> None:
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    jar = aiohttp.CookieJar(unsafe=True)  # keeps cookies of an IP address such as 127.0.0.1
    async with started_emulator(config) as emulator, http_client(cookie_jar=jar) as http:
        async with http.get(emulator.url + "/") as reply:
            assert reply.status == 401 and reply.headers["WWW-Authenticate"].startswith("Basic ")
        link = emulator.login_link(ACCOUNT)
        async with http.get(link, allow_redirects=False) as reply:
            assert reply.status == 303 and reply.headers["Location"] == "/"
            cookie = reply.cookies["audiofork_console"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with http.get(link, allow_redirects=False) as reply:
            assert reply.status == 403  # used up
        async with http.get(emulator.url + "/") as reply:  # the session cookie
            page = await reply.text()
            csp = reply.headers["Content-Security-Policy"]
        with pytest.raises(ValueError):
            emulator.login_link("MA_NOBODY")
    assert reply.status == 200 and "/console/static/console.js" in page and TOKEN not in page
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_the_feed_needs_a_signed_in_page_of_this_server() -> None:
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    async with started_emulator(config) as emulator, http_client() as http:
        url = emulator.url + "/console/ws"
        for headers, status in [
            ({}, 401),
            (basic_auth(ACCOUNT, "wrong"), 401),
            ({**SIGN_IN, "Origin": "http://evil.example"}, 403),
        ]:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(url, headers=headers)
            assert refused.value.status == status
        origin = {"Origin": emulator.url}
        async with http.ws_connect(url, headers={**SIGN_IN, **origin}) as ws:
            hello = await receive_json(ws)
    assert hello == {"type": "hello", "account": ACCOUNT, "speed": 1.0}


async def test_the_feed_shows_a_call_live_and_acts_on_it(app: VoiceApp) -> None:
    """A call placed through the feed shows in the calls view and, watched, its stream's
    timeline: start, the app's checkpoint answered, the keys, talk-over, a status callback
    refused with HTTP 500 then delivered, the stop. No view carries the stream URL's
    secret; the updates come no more often than the coalescing allows."""
    app.xml = stream_xml(app)
    app.echo = True
    app.on_start = [{"event": "checkpoint", "name": "hello"}]
    app.callback_statuses = [500]  # the first status callback fails once, then is retried
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="speech")
    async with (
        started_emulator(config) as emulator,
        http_client() as http,
        http.ws_connect(emulator.url + "/console/ws", headers=SIGN_IN) as ws,
    ):
        await receive_json(ws)  # hello
        feed = Feed(ws)
        started = time.monotonic()
        placed = await feed.act(
            "call", answer_url=app.url + "/answer", **{"from": "+1", "to": "+2"}
        )
        assert placed["ok"], placed
        call_uuid = placed["call_uuid"]

        def row() -> dict[str, Any]:
            """The call's latest row with a stream (empty before)."""
            for view in reversed(feed.views("calls")):
                for call in view["calls"]:
                    if call["call_uuid"] == call_uuid and call["streams"]:
                        return dict(call)
            return {}

        await feed.until(lambda: bool(row()))
        stream = row()["streams"][0]
        assert (await feed.act("watch", stream=stream["id"]))["ok"]
        await feed.until(lambda: any(e["kind"] == "acknowledged" for e in feed.events()))
        await feed.until(lambda: max((p[1] for p in feed.wave()), default=0) > 1000)  # echo
        assert (await feed.act("dtmf", call=call_uuid, digits="12#"))["ok"]
        spoken = await feed.act("speak", call=call_uuid, audio="tone", seconds=0.5)
        assert spoken["ok"] and spoken["streams"] == [stream["stream_id"]]
        wav = await feed.act("speak", call=call_uuid, wav=wav_base64(speech(8000)[0][:4000], 8000))
        assert wav["ok"], wav
        assert (await feed.act("stop_speaking", call=call_uuid))["ok"]
        not_wav = await feed.act("speak", call=call_uuid, wav=base64.b64encode(b"RIFF").decode())
        bad = await feed.act("dtmf", call=call_uuid, digits="x")
        unknown = await feed.act("speak", call="no-such-call", audio="speech")
        await feed.until(lambda: any("delivered" in e["text"] for e in feed.events()))
        assert (await feed.act("stop", call=call_uuid, stream=stream["id"]))["ok"]
        await feed.until(lambda: any(e["text"].startswith("ended:") for e in feed.events()))
        await feed.until(lambda: row().get("status") == "completed")
        elapsed = time.monotonic() - started
        await feed.close()
    kinds = [event["kind"] for event in feed.events()]
    assert kinds[0] == "start" and "checkpoint" in kinds and "dtmf" in kinds
    callbacks = [e["text"] for e in feed.events() if e["kind"] == "callback"]
    assert callbacks[:2] == [
        "status callback StartStream, try 1: HTTP 500",
        "status callback StartStream: delivered, HTTP 200",
    ], callbacks
    assert not bad["ok"] and "digits" in bad["error"]
    assert not not_wav["ok"] and "not a mono 16-bit PCM WAV" in not_wav["error"]
    assert not unknown["ok"] and "no call 'no-such-call'" in unknown["error"]
    assert stream["service_url"].endswith("?token=***")
    assert all(SECRET not in json.dumps(view) for _, view in feed.received)
    # Coalesced: calls at most every 0.25 s, a stream at most every 0.1 s (+1 each for the
    # first and the watch).
    assert len(feed.views("calls")) <= elapsed / 0.25 + 2
    assert len(feed.views("stream")) <= elapsed / 0.1 + 2


async def test_the_softphone_carries_a_clients_voice_and_brings_the_echo_back(
    echo_app: str,
) -> None:
    """A plain client as the page: 16 kHz PCM in, the echo out at 16 kHz, with the added
    latency reported (printed; no threshold)."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="silence")
    voice, rate = speech(16000)
    chunk = rate // 100
    async with started_emulator(config) as emulator, http_client() as http:
        phone = await http.ws_connect(emulator.url + "/console/phone", headers=SIGN_IN)
        dial = {"op": "dial", "source": "mic", "rate": rate, "from": "+1", "to": "+2"}
        await phone.send_str(json.dumps({**dial, "stream_url": echo_app}))
        dialing = await receive_json(phone)
        heard: list[np.ndarray] = []
        stats: dict[str, Any] = {}

        async def listen() -> None:
            async for message in phone:
                if message.type == aiohttp.WSMsgType.BINARY:
                    heard.append(np.frombuffer(message.data, dtype="<i2"))
                elif json.loads(message.data)["type"] == "stats":
                    stats.update(json.loads(message.data))

        listener = asyncio.ensure_future(listen())
        start = time.monotonic()
        for k, offset in enumerate(range(0, 4 * rate, chunk)):  # four seconds, in real time
            await phone.send_bytes(voice[offset : offset + chunk].astype("<i2").tobytes())
            await asyncio.sleep(max(0.0, start + (k + 1) * 0.01 - time.monotonic()))
        await asyncio.sleep(0.6)
        await phone.send_str(json.dumps({"op": "hangup"}))
        info = await within(emulator.call_ended(dialing["call_uuid"]))
        await within(listener)
    received = np.concatenate(heard)
    assert info.hangup_cause == "caller_hangup"
    assert len(received) >= 3 * rate  # a 20 ms frame at 16 kHz for every frame played
    assert np.sqrt(np.mean(received.astype(np.float64) ** 2)) > 300  # the echo, not silence
    assert stats["mic_to_app_ms"]["p50"] is not None and stats["play_to_ear_ms"]["p50"] is not None
    print(
        f"\nsoftphone (plain client): mic -> app {stats['mic_to_app_ms']}, "
        f"played -> ear {stats['play_to_ear_ms']}"
    )


async def dial_refusal(emulator_speed: float, dial: dict[str, Any]) -> str:
    """What the softphone answers ``dial`` with on an emulator at ``emulator_speed``; no
    call is placed."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=emulator_speed)
    async with (
        started_emulator(config) as emulator,
        http_client() as http,
        http.ws_connect(emulator.url + "/console/phone", headers=SIGN_IN) as phone,
    ):
        await phone.send_str(json.dumps({"op": "dial", **dial}))
        error = await receive_json(phone)
        assert emulator.exchange.calls == {}
    assert error["type"] == "error", error
    text: str = error["error"]
    return text


@pytest.mark.parametrize(
    ("speed", "dial", "why"),
    [
        (5, {"rate": 16000}, "needs the emulator at speed 1"),
        (1, {"rate": 12345}, "rate must be one of"),
        (1, {"rate": 16000, "source": "radio"}, "source must be"),
        (1, {"rate": 16000, "from": "+1", "to": "+2"}, "answer_url is required"),
        (1, {"rate": 16000, "from": "+1", "to": "+2", "stream_url": "http://x/"}, "stream_url"),
    ],
)
async def test_the_softphone_refuses_what_it_cannot_do(
    speed: float, dial: dict[str, Any], why: str
) -> None:
    assert why in await dial_refusal(speed, dial)


# --- the pieces -------------------------------------------------------------------------------


def frame(index: int, played: int, rate: int = 8000) -> Frame:
    samples = rate // 50
    pcm = np.full(samples, 1000, dtype=np.int16)
    heard = np.zeros(samples, dtype=np.int16)
    heard[:played] = 2000
    return Frame(index, 20 * index, {"inbound": pcm}, heard, played, [])


def test_the_monitor_cuts_the_apps_audio_into_replies() -> None:
    now = [0.0]
    monitor = StreamMonitor("call", "stream", "audio/x-l16;rate=8000", 8000, lambda: now[0])
    monitor.watch()
    l16 = MediaFormat.parse("audio/x-l16;rate=8000")
    monitor.notices([AudioQueued(l16, 40.0, 40.0)])
    for k in range(2):  # both frames of it heard
        now[0] += 0.02
        monitor.frame(frame(k, 160), 20.0 - 20 * k)
    for k in range(2, 2 + UTTERANCE_GAP_FRAMES):  # a gap: the reply is over
        now[0] += 0.02
        monitor.frame(frame(k, 0), 0.0)
    monitor.notices([AudioQueued(l16, 100.0, 100.0)])
    now[0] += 0.02
    monitor.frame(frame(20, 160), 80.0)
    monitor.notices([AudioCleared(80.0, 1), CheckpointAnswered("never")])
    first, second = monitor.utterances
    assert (first.outcome, first.queued_ms, first.played_ms) == ("played", 40.0, 40.0)
    assert (second.outcome, second.played_ms, second.cleared_ms) == ("cleared", 20.0, 80.0)
    assert [e.kind for e in monitor.events] == ["clear", "acknowledged"]
    assert list(monitor.wave)[-1] == (1000, 2000) and monitor.frames_played == 3


def test_the_monitor_keeps_a_bounded_history() -> None:
    monitor = StreamMonitor("call", "stream", "audio/x-l16;rate=8000", 8000, lambda: 0.0)
    monitor.watch()
    for k in range(5000):
        monitor.dtmf(str(k % 10))
        monitor.frame(frame(k, 0), 0.0)
    assert len(monitor.events) == monitor.events.maxlen and len(monitor.wave) == monitor.wave.maxlen
    assert monitor.last_event_seq == 5000
    monitor.close("ended: completed (hangup)")
    assert len(monitor.events) <= 100 and len(monitor.wave) == 0


def test_a_stream_nobody_watches_takes_frames_only_while_a_reply_plays() -> None:
    """The runner hands a monitor frames only while it wants them: a page watches (then
    the waveform is kept), a listener listens, or a reply of the app is playing."""
    monitor = StreamMonitor("call", "stream", "audio/x-l16;rate=8000", 8000, lambda: 0.0)
    assert not monitor.wants_frames
    l16 = MediaFormat.parse("audio/x-l16;rate=8000")
    monitor.notices([AudioQueued(l16, 20.0, 20.0)])
    assert monitor.wants_frames
    monitor.frame(frame(0, 160), 0.0)
    for k in range(1, UTTERANCE_GAP_FRAMES + 1):
        monitor.frame(frame(k, 0), 0.0)
    assert not monitor.wants_frames and monitor.utterances[0].outcome == "played"
    assert monitor.frames_played == 1 and len(monitor.wave) == 0  # no page: no waveform
    monitor.watch()
    monitor.watch()
    monitor.unwatch()
    assert monitor.wants_frames
    monitor.frame(frame(20, 0), 0.0)
    monitor.unwatch()
    assert not monitor.wants_frames and len(monitor.wave) == 1
    listener = Latency()  # any object; a listener is only called while it listens
    monitor.add_listener(listener)  # type: ignore[arg-type]
    assert monitor.wants_frames
    monitor.remove_listener(listener)  # type: ignore[arg-type]
    monitor.close("ended")
    monitor.watch()
    assert not monitor.wants_frames


def test_the_microphone_buffer_keeps_its_delay_near_the_jitter() -> None:
    """A standing backlog (as a stall leaves) is trimmed to the target within a window;
    a read with nothing waiting is silence; every read records the wait."""
    latency = Latency()
    reader = MicReader(16000, 8000, latency)
    ten_ms = np.full(160, 5000, dtype=np.int16)
    for _ in range(10):  # 100 ms waiting before the first read
        reader.push(ten_ms, time.monotonic())
    for _ in range(WINDOW_READS):
        reader.push(ten_ms, time.monotonic())
        reader.push(ten_ms, time.monotonic())
        assert len(reader.read(160)) == 160
    waiting_ms = reader.samples * 1000 / 8000
    assert waiting_ms <= SLACK_TARGET_MS + 1 and reader.dropped_samples > 0
    while reader.samples:
        reader.read(160)
    silence = reader.read(160)
    assert not silence.any() and reader.underrun_samples >= 160
    assert latency.summary()["frames"] >= WINDOW_READS


async def test_the_command_prints_a_login_link_that_opens_the_console() -> None:
    """``audiofork emulator`` as a subprocess: one link per account, which signs in once."""
    async with emulator_cli(
        "--account",
        f"{ACCOUNT}:{TOKEN}",
        "--account",
        "MA_OTHER:other-token",
        stderr=asyncio.subprocess.DEVNULL,
    ) as emulator:
        printed = [emulator.banner] + [await emulator.line() for _ in range(3)]
        pattern = r"console for (\S+) \(this link works once\): (\S+)"
        links = dict(re.findall(pattern, "".join(printed)))
        assert set(links) == {ACCOUNT, "MA_OTHER"}, printed
        jar = aiohttp.CookieJar(unsafe=True)
        async with http_client(cookie_jar=jar) as http:
            async with http.get(links["MA_OTHER"]) as reply:
                page = await reply.text()
            async with http.get(links["MA_OTHER"], allow_redirects=False) as again:
                assert again.status == 403
    assert reply.status == 200 and "MA_OTHER" in page and ACCOUNT not in page
    assert TOKEN not in "".join(printed[2:]) and "other-token" not in page
