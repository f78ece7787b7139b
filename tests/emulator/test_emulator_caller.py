"""The emulator behaves like the platform at the ends of a call, and its caller can act.

- Every way the platform ends a stream (the call hung up over the API or by the caller, one
  stream or all stopped, ``streamTimeout``, shutdown) sends ``stop`` before the socket
  closes: an app written with :class:`~audiofork.aio.AudioStream` ends with
  ``stop_received``, not ``connection_lost``.
- The caller presses keys, talks over the app and hangs up, through the emulator-only REST
  endpoints and the :class:`~audiofork.emulator.Emulator`'s methods alike.
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from aiohttp import web

from audiofork.aio import AudioStream
from audiofork.emulator import Emulator, EmulatorConfig
from audiofork.events import Dtmf, Media, Start, Stop
from audiofork.session import CloseReason, SessionEvent, StreamClosed
from support.app_servers import LoopbackApp
from support.emulator_platform_apps import (
    ACCOUNT,
    AUTH,
    TOKEN,
    VoiceApp,
    http_client,
    started_emulator,
    within,
)

Pcm = npt.NDArray[np.int16]


@dataclass
class Connection:
    """One socket the app served: what its AudioStream gave, and how it ended."""

    events: list[SessionEvent] = field(default_factory=list)
    close_reason: CloseReason | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


class AudioStreamApp(LoopbackApp):
    """A voice app written with AudioStream: ``/answer`` serves ``xml`` (``{ws}`` is its
    socket's URL), ``/ws`` runs one AudioStream per connection and keeps its events."""

    def __init__(
        self, xml: str = '<Stream bidirectional="true" keepCallAlive="true">{ws}</Stream>'
    ):
        self.xml = xml
        self.connections: list[Connection] = []
        self.changed = asyncio.Event()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/answer", self._answer)
        app.router.add_get("/ws", self._ws)

    async def _answer(self, _request: web.Request) -> web.Response:
        body = f"<Response>{self.xml.format(ws=self.ws_url)}</Response>"
        return web.Response(text=body, content_type="application/xml")

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = Connection()
        self.connections.append(connection)
        async with AudioStream(ws) as stream:
            async for event in stream:
                connection.events.append(event)
                self.changed.set()
            connection.close_reason = stream.session.close_reason
        connection.done.set()
        self.changed.set()
        return ws

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 20.0) -> None:
        async def wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await within(wait(), seconds)


@pytest.fixture
async def audio_app() -> AsyncIterator[AudioStreamApp]:
    app = AudioStreamApp()
    await within(app.start())
    yield app
    await within(app.close())


def api(emulator: Emulator, call_uuid: str = "") -> str:
    base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
    return base + (f"{call_uuid}/" if call_uuid else "")


def caller_api(emulator: Emulator, call_uuid: str, action: str) -> str:
    return f"{emulator.url}/emulator/v1/Account/{ACCOUNT}/Call/{call_uuid}/{action}/"


async def place_call(emulator: Emulator, answer_url: str) -> str:
    async with http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": answer_url}
        async with http.post(api(emulator), json=body) as reply:
            assert reply.status == 201, await reply.text()
            call_uuid: str = (await reply.json())["call_uuid"]
    return call_uuid


async def request(
    method: str, url: str, *, headers: dict[str, str] = AUTH, **options: Any
) -> tuple[int, Any]:
    async with http_client() as http, http.request(method, url, headers=headers, **options) as r:
        body = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, body


async def connected_call(emulator: Emulator, app: AudioStreamApp, streams: int = 1) -> str:
    """A call placed to ``app``, once ``streams`` of its sockets have had their start."""
    call_uuid = await place_call(emulator, app.url + "/answer")
    await app.wait_for(lambda: len([c for c in app.connections if c.of(Start)]) >= streams)
    return call_uuid


def config(**options: Any) -> EmulatorConfig:
    fields: dict[str, Any] = {"speed": 5, "caller_audio": "silence"}
    fields.update(options)
    return EmulatorConfig({ACCOUNT: TOKEN}, **fields)


# --- the platform's stop --------------------------------------------------------------------


async def _delete_call(emulator: Emulator, call_uuid: str) -> None:
    assert (await request("DELETE", api(emulator, call_uuid)))[0] == 204


async def _caller_hangup(emulator: Emulator, call_uuid: str) -> None:
    assert (await request("POST", caller_api(emulator, call_uuid, "Hangup")))[0] == 204


async def _python_hangup(emulator: Emulator, call_uuid: str) -> None:
    emulator.hangup(call_uuid)


async def _stop_stream(emulator: Emulator, call_uuid: str) -> None:
    stream_id = emulator.call_info(call_uuid).streams[0].stream_id
    url = f"{api(emulator, call_uuid)}Stream/{stream_id}/"
    assert (await request("DELETE", url))[0] == 204


async def _stop_all(emulator: Emulator, call_uuid: str) -> None:
    assert (await request("DELETE", f"{api(emulator, call_uuid)}Stream/"))[0] == 204


async def _shutdown(emulator: Emulator, _call_uuid: str) -> None:
    await within(emulator.close(), 30)


TRIGGERS: dict[str, Callable[[Emulator, str], Awaitable[None]]] = {
    "DELETE call": _delete_call,
    "caller hangup (REST)": _caller_hangup,
    "caller hangup (Emulator.hangup)": _python_hangup,
    "DELETE stream": _stop_stream,
    "DELETE all streams": _stop_all,
    "shutdown": _shutdown,
}


@pytest.mark.parametrize("trigger", list(TRIGGERS))
async def test_every_platform_ending_reaches_the_app_as_a_clean_stop(
    audio_app: AudioStreamApp, trigger: str
) -> None:
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        await TRIGGERS[trigger](emulator, call_uuid)
        (connection,) = audio_app.connections
        await within(connection.done.wait())
    assert connection.close_reason is CloseReason.STOP_RECEIVED, connection.events[-3:]
    assert len(connection.of(Stop)) == 1
    assert connection.events[-2:] == [
        connection.of(Stop)[0],
        StreamClosed(CloseReason.STOP_RECEIVED),
    ]


async def test_stream_timeout_reaches_the_app_as_a_clean_stop(audio_app: AudioStreamApp) -> None:
    audio_app.xml = '<Stream bidirectional="true" streamTimeout="1">{ws}</Stream><Wait length="3"/>'
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        (connection,) = audio_app.connections
        await within(connection.done.wait())
        assert emulator.call_info(call_uuid).live  # the stream ended, not the call
    assert connection.close_reason is CloseReason.STOP_RECEIVED
    assert 49 <= len(connection.of(Media)) <= 50  # one second of frames, then stop


@pytest.mark.parametrize(
    ("end", "reason"),
    [("api_stop", "api_stop"), ("hangup", "hangup"), ("timeout", "timeout")],
)
async def test_the_stop_message_names_its_reason_and_follows_the_owed_answers(
    app: VoiceApp, end: str, reason: str
) -> None:
    timeout = ' streamTimeout="1"' if end == "timeout" else ""
    app.xml = (
        f'<Response><Stream bidirectional="true"{timeout}>{app.ws_url}</Stream>'
        '<Wait length="3"/></Response>'
    )
    app.on_start = [{"event": "checkpoint", "name": "at-once"}]
    async with started_emulator(config()) as emulator:
        call_uuid = await place_call(emulator, app.url + "/answer")
        await app.wait_for(lambda: app.sockets and len(app.sockets[0].messages) > 5)
        if end == "api_stop":
            await _stop_stream(emulator, call_uuid)
        elif end == "hangup":
            emulator.hangup(call_uuid)
        await within(app.sockets[0].closed.wait())
    messages = app.sockets[0].messages
    stop = messages[-1]
    assert stop["event"] == "stop" and stop["stop"] == {"callId": call_uuid, "reason": reason}
    assert stop["streamId"] == messages[0]["start"]["streamId"]
    assert stop["sequenceNumber"] == messages[-2]["sequenceNumber"] + 1
    assert [m["name"] for m in messages if m["event"] == "playedStream"] == ["at-once"]


async def test_a_caller_hangup_is_its_own_cause_and_idempotent(audio_app: AudioStreamApp) -> None:
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        for _ in range(2):
            assert (await request("POST", caller_api(emulator, call_uuid, "Hangup")))[0] == 204
        info = await within(emulator.call_ended(call_uuid))
        status, call = await request("GET", api(emulator, call_uuid))
    assert info.hangup_cause == "caller_hangup" and info.error is None
    assert status == 200 and call["hangup_cause"] == "caller_hangup" and call["error"] is None


# --- keys -----------------------------------------------------------------------------------


async def test_keys_reach_the_app_one_per_spacing_on_every_stream_forking_the_caller(
    audio_app: AudioStreamApp,
) -> None:
    """Three streams: bidirectional, inbound-only and outbound-only. The first two get each
    key, 100 ms apart on the stream's timeline; the callee's stream gets none."""
    audio_app.xml = (
        '<Stream bidirectional="true">{ws}</Stream><Stream>{ws}</Stream>'
        '<Stream audioTrack="outbound">{ws}</Stream><Wait length="100"/>'
    )
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app, streams=3)
        status, reply = await request(
            "POST",
            caller_api(emulator, call_uuid, "DTMF"),
            json={"digits": "12#", "spacing_ms": 100},
        )
        assert status == 202, reply
        streams = {s.stream_id: s for s in emulator.call_info(call_uuid).streams}
        assert reply["message"] == "digits sent" and reply["digits"] == "12#"
        assert sorted(reply["stream_ids"]) == sorted(
            sid for sid, s in streams.items() if "inbound" in s.stats.media_sent
        )
        by_stream = {c.of(Start)[0].stream_id: c for c in audio_app.connections}
        for stream_id in reply["stream_ids"]:
            await audio_app.wait_for(lambda sid=stream_id: len(by_stream[sid].of(Dtmf)) == 3)
        assert emulator.send_dtmf(call_uuid, "A*", spacing_ms=20) == tuple(reply["stream_ids"])
        for stream_id in reply["stream_ids"]:
            await audio_app.wait_for(lambda sid=stream_id: len(by_stream[sid].of(Dtmf)) == 5)
        emulator.hangup(call_uuid)
        ended = {s.stream_id: s for s in (await within(emulator.call_ended(call_uuid))).streams}
    for stream_id, connection in by_stream.items():
        keys = connection.of(Dtmf)
        if stream_id not in reply["stream_ids"]:
            assert keys == []
            continue
        assert [k.digit for k in keys] == ["1", "2", "#", "A", "*"]
        assert {k.track for k in keys} == {"inbound"}
        stamps = [k.timestamp_ms for k in keys]
        assert np.diff(stamps[:3]).tolist() == [100, 100]
        assert stamps[4] - stamps[3] == 20
        assert ended[stream_id].stats.dtmf_sent == 5


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "digits"),
        ({"digits": 12}, "digits"),
        ({"digits": "12x"}, "'x' at position 2"),
        ({"digits": ""}, "digits"),
        ({"digits": "1" * 33}, "at most 32"),
        ({"digits": "1", "spacing_ms": 10}, "spacing_ms"),
        ({"digits": "1", "spacing_ms": "1" + "0" * 700}, "spacing_ms"),
        ({"digits": "1", "spacing_ms": True}, "spacing_ms"),
    ],
)
async def test_bad_keys_are_a_400_naming_the_field_and_nothing_is_sent(
    audio_app: AudioStreamApp, body: dict[str, Any], named: str
) -> None:
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        status, reply = await request("POST", caller_api(emulator, call_uuid, "DTMF"), json=body)
        assert status == 400 and named in reply["error"], reply
        assert emulator.call_info(call_uuid).streams[0].stats.dtmf_sent == 0


async def test_keys_need_a_connected_stream_forking_the_caller_and_a_live_call(
    audio_app: AudioStreamApp,
) -> None:
    audio_app.xml = '<Stream audioTrack="outbound">{ws}</Stream><Wait length="100"/>'
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        url = caller_api(emulator, call_uuid, "DTMF")
        status, reply = await request("POST", url, json={"digits": "1"})
        assert status == 409 and "no connected stream that forks the caller" in reply["error"]
        emulator.hangup(call_uuid)
        await within(emulator.call_ended(call_uuid))
        status, reply = await request("POST", url, json={"digits": "1"})
        assert status == 409 and "not in progress" in reply["error"]
        status, reply = await request("POST", caller_api(emulator, "nope", "DTMF"), json={})
        assert status == 404
        status, reply = await request("POST", url, json={"digits": "1"}, headers={})
        assert status == 401
        other = {"X-Auth-ID": ACCOUNT, "X-Auth-Token": "wrong"}
        assert (await request("POST", url, json={"digits": "1"}, headers=other))[0] == 401
        assert (await request("GET", url))[0] == 405


# --- talk-over -------------------------------------------------------------------------------


def dominant_hz(pcm: Pcm, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum)) * rate / len(pcm)


def level(pcm: Pcm, hz: float, rate: int) -> float:
    """The amplitude of ``hz`` in ``pcm`` (a lock-in: correlation with a sine and cosine)."""
    t = np.arange(len(pcm)) / rate
    i = np.dot(pcm, np.cos(2 * np.pi * hz * t)) * 2 / len(pcm)
    q = np.dot(pcm, np.sin(2 * np.pi * hz * t)) * 2 / len(pcm)
    return float(np.hypot(i, q))


async def _talked(emulator: Emulator, call_uuid: str, frames: int) -> Pcm:
    """The caller track as forked, once ``frames`` more frames have gone out."""
    stream_id = emulator.call_info(call_uuid).streams[0].stream_id
    start = len(emulator.captured_audio(stream_id)[0])

    async def enough() -> None:
        while len(emulator.captured_audio(stream_id)[0]) < start + frames * 160:
            await asyncio.sleep(0.01)

    await within(enough())
    return emulator.captured_audio(stream_id)[0][start:]


@pytest.mark.parametrize("mode", ["replace", "mix"])
async def test_talk_replaces_or_is_mixed_over_the_caller_audio(
    audio_app: AudioStreamApp, mode: str
) -> None:
    """The caller plays a 440 Hz tone; it says 1 s of 1000 Hz over it. Replaced, only the
    1000 Hz tone is heard while it lasts; mixed, both are; the 440 Hz tone comes back after.
    The app receives on the wire what the caller track carried."""
    async with started_emulator(config(caller_audio="tone:440"), capture_audio=True) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        status, reply = await request(
            "POST",
            caller_api(emulator, call_uuid, "Speak"),
            json={"audio": "tone:1000", "seconds": 1, "mode": mode},
        )
        assert status == 202 and reply["duration_ms"] == 1000.0, reply
        assert reply["message"] == "the caller is speaking" and len(reply["stream_ids"]) == 1
        heard = await _talked(emulator, call_uuid, 100)
    # The talk starts at the next frame: find it, and look at its middle and after it.
    start = next(
        i for i in range(0, len(heard), 160) if level(heard[i : i + 160], 1000, 8000) > 3000
    )
    during, after = heard[start + 1600 : start + 6400], heard[start + 8800 : start + 12800]
    assert level(during, 1000, 8000) > 6000
    if mode == "replace":
        assert level(during, 440, 8000) < 100
    else:
        assert level(during, 440, 8000) > 6000
    assert level(after, 1000, 8000) < 100 and level(after, 440, 8000) > 6000


async def test_talk_from_python_and_a_wav_upload_and_stopping_it(
    audio_app: AudioStreamApp,
) -> None:
    rate = 16000
    t = np.arange(rate * 2) / rate
    pcm = (np.sin(2 * np.pi * 700 * t) * 9000).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    async with started_emulator(config(), capture_audio=True) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        url = caller_api(emulator, call_uuid, "Speak")
        headers = {**AUTH, "Content-Type": "audio/wav"}
        status, reply = await request(
            "POST", url + "?seconds=0.5&mode=mix", data=buffer.getvalue(), headers=headers
        )
        assert status == 202 and reply["duration_ms"] == 500.0, reply
        heard = await _talked(emulator, call_uuid, 40)
        assert abs(dominant_hz(heard, 8000) - 700) < 10
        # From Python: PCM at its own rate; then stop it half-way.
        emulator.speak(call_uuid, pcm, rate)
        heard = await _talked(emulator, call_uuid, 10)
        assert abs(dominant_hz(heard, 8000) - 700) < 10
        assert (await request("DELETE", url))[0] == 204
        heard = await _talked(emulator, call_uuid, 20)
        assert not heard[-1600:].any()  # the caller audio again: silence
        assert emulator.speak(call_uuid, "speech", seconds=0.2) == emulator.stop_speaking(call_uuid)


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({"audio": "/etc/passwd"}, 400, "audio must be one of"),
        ({"audio": "speech", "seconds": 0}, 400, "seconds"),
        ({"audio": "speech", "seconds": "lots"}, 400, "seconds"),
        ({"audio": "speech", "seconds": 1e400}, 400, "seconds"),
        ({"audio": "tone"}, 400, "seconds is required"),
        ({"audio": "tone:99999", "seconds": 1}, 400, "tone frequency"),
        ({"audio": "speech", "mode": "over"}, 400, "mode"),
        ({"audio": 5}, 400, "audio"),
        (b"RIFF....WAVE", 400, "not a mono 16-bit PCM WAV"),
    ],
)
async def test_bad_talk_is_a_400_naming_what_and_nothing_is_said(
    audio_app: AudioStreamApp, body: Any, status: int, named: str
) -> None:
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        url = caller_api(emulator, call_uuid, "Speak")
        if isinstance(body, bytes):
            got, reply = await request(
                "POST", url, data=body, headers={**AUTH, "Content-Type": "audio/wav"}
            )
        else:
            got, reply = await request("POST", url, json=body)
        assert got == status and named in reply["error"], reply
        fork = emulator.exchange.calls[call_uuid].forks[0]
        assert fork.runner.talk_room() == (120 * 8000)


async def test_talk_past_what_a_stream_holds_is_refused_whole(audio_app: AudioStreamApp) -> None:
    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        url = caller_api(emulator, call_uuid, "Speak")
        silence = {"audio": "silence", "seconds": 100}
        assert (await request("POST", url, json=silence))[0] == 202
        status, reply = await request("POST", url, json=silence)
        assert status == 409 and "talk room left" in reply["error"], reply
        room = emulator.exchange.calls[call_uuid].forks[0].runner.talk_room()
        assert room > 19 * 8000  # the refused 100 s left nothing behind
        big = b"\0" * (9 << 20)
        status, reply = await request(
            "POST", url, data=big, headers={**AUTH, "Content-Type": "audio/wav"}
        )
        assert status == 413 and "8388608 bytes" in reply["error"]


async def test_the_python_methods_check_like_the_endpoints(audio_app: AudioStreamApp) -> None:
    from audiofork import ArgumentError, StreamStateError

    async with started_emulator(config()) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        with pytest.raises(ArgumentError, match="rate is required"):
            emulator.speak(call_uuid, np.zeros(10, dtype=np.int16))
        with pytest.raises(ArgumentError, match="rate is for PCM"):
            emulator.speak(call_uuid, "speech", 8000)
        with pytest.raises(ArgumentError, match="nothing to say"):
            emulator.speak(call_uuid, np.zeros(0, dtype=np.int16), 8000)
        with pytest.raises(ArgumentError, match="position 0"):
            emulator.send_dtmf(call_uuid, "x")
        with pytest.raises(ArgumentError, match="names no call"):
            emulator.send_dtmf("nope", "1")
        emulator.hangup(call_uuid)
        await within(emulator.call_ended(call_uuid))
        with pytest.raises(StreamStateError, match="not in progress"):
            emulator.speak(call_uuid, "speech")
        emulator.hangup(call_uuid)  # idempotent


async def test_an_ended_stream_lets_its_audio_go(audio_app: AudioStreamApp) -> None:
    """Ended calls are kept for the API (the last 1000, about 10 KB each): their streams
    must not keep the caller's recording or a talk-over queue alive."""
    from audiofork import StreamStateError

    async with started_emulator(config(caller_audio="speech")) as emulator:
        call_uuid = await connected_call(emulator, audio_app)
        emulator.speak(call_uuid, "speech")
        runner = emulator.exchange.calls[call_uuid].forks[0].runner
        assert runner.talk_room() < 120 * 8000
        emulator.hangup(call_uuid)
        await within(emulator.call_ended(call_uuid))
        with pytest.raises(StreamStateError, match="has ended"):
            runner.talk_room()
        assert runner._readers == {} and runner._voice is None
