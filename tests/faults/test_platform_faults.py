"""The platform misbehaving on a real socket.

- It disconnects, or sends a 10 MB message, mid-utterance: an app on
  :class:`~audiofork.AudioStream` (aiohttp) is speaking with a checkpoint pending when the
  platform (a :class:`~audiofork.PlatformStream` over a ``websockets`` client,
  tests/support) aborts the TCP connection or sends more than the app's socket takes
  (4 MiB). Every wait ends (``play`` returns, the checkpoint resolves ``closed``, iteration
  ends) and the handler returns. The same with the speech handles: a ``say()`` waiting for
  its confirmation and a ``say_stream()`` being written both resolve ``closed``, and the
  writes return.
- Its status-callback endpoint is down or slow: the emulator's call streams, hangs up and
  closes regardless, and counts the callbacks it could not deliver.

Each case is bounded by timeouts, and leaves as many file descriptors and asyncio tasks as
it found.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable

import numpy as np
import numpy.typing as npt
import pytest
from aiohttp import web
from resources import released

import audiofork as af
from audiofork.emulator import EmulatorConfig, RetrySchedule
from support.app_servers import serve_aiohttp_app
from support.emulator_platform_apps import (
    ACCOUNT,
    AUTH,
    TOKEN,
    VoiceApp,
    http_client,
    started_emulator,
    within,
)
from support.platform_driver import PlatformDriver, bidirectional_stream

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")

RATE = 8000


def application(*routes: web.RouteDef) -> web.Application:
    app = web.Application()
    app.add_routes(routes)
    return app


class FaultedApp:
    """An app that, once the stream has started, speaks a ten-second tone (paced 500 ms ahead
    of the playout) as :meth:`speak` says, and records how each wait ended."""

    def __init__(self) -> None:
        self.outcomes: dict[str, object] = {}
        self.done = asyncio.Event()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            async with af.AudioStream(ws, app_rate=RATE, pace_ms=500) as stream:
                async for event in stream:
                    if isinstance(event, af.Start):
                        break
                tone = (3000 * np.sin(np.arange(10 * RATE) * 0.2)).astype(np.int16)
                await self.speak(stream, tone)
        finally:
            self.done.set()
        return ws

    async def speak(self, stream: af.AudioStream, tone: npt.NDArray[np.int16]) -> None:
        raise NotImplementedError


class SpeakingApp(FaultedApp):
    """Plays one second, checkpoints it, then plays the whole tone."""

    async def speak(self, stream: af.AudioStream, tone: npt.NDArray[np.int16]) -> None:
        await stream.play(tone[:RATE], RATE)
        mark = asyncio.ensure_future(stream.checkpoint("first-second"))
        await stream.play(tone, RATE)
        self.outcomes["play"] = "returned"
        self.outcomes["checkpoint"] = await mark
        async for _ in stream:  # what was read before the end, then the end
            pass
        self.outcomes["iteration"] = "ended"
        self.outcomes["drain"] = await stream.drain()
        self.outcomes["closed"] = stream.closed


class UtteringApp(FaultedApp):
    """Says one second, then streams the tone as an utterance in 100 ms writes."""

    async def speak(self, stream: af.AudioStream, tone: npt.NDArray[np.int16]) -> None:
        said = stream.say(tone[:RATE], RATE)
        streamed = stream.say_stream(RATE)
        for offset in range(0, len(tone), RATE // 10):
            await streamed.write(tone[offset : offset + RATE // 10])
        streamed.end()
        self.outcomes["writes"] = "returned"
        self.outcomes["say"] = await said
        self.outcomes["say_stream"] = await streamed
        async for _ in stream:  # what was read before the end, then the end
            pass
        self.outcomes["iteration"] = "ended"
        self.outcomes["states"] = (said.state, streamed.state)
        self.outcomes["speaking"] = stream.speaking


async def send_ten_megabytes(platform: PlatformDriver) -> None:
    """A 10 MB message: past what the app's aiohttp socket takes (4 MiB), which closes."""
    await platform.ws.send('{"event": "media", "media": {"payload": "' + "A" * 10_000_000)


async def abort(platform: PlatformDriver) -> None:
    platform.abort()  # no close frame, no stop: the connection is gone


Fault = Callable[[PlatformDriver], Awaitable[None]]
FAULTS = pytest.mark.parametrize("fault", [abort, send_ten_megabytes], ids=["disconnect", "10 MB"])


async def speak_until(fault: Fault, app: FaultedApp) -> None:
    """``app`` speaks to a platform that, once a checkpoint is pending, does ``fault``; the
    app's handler must return, leaving no file descriptor or task behind."""
    async with released(), serve_aiohttp_app(application(web.get("/ws", app.handle))) as url:
        stream = bidirectional_stream()
        async with PlatformDriver(url.replace("http", "ws") + "/ws", stream) as platform:
            # Mid-utterance: the first second's checkpoint is pending, its audio playing.
            await within(platform.run_until(lambda: stream.checkpoints_pending > 0))
            await fault(platform)
            await within(app.done.wait())


@FAULTS
async def test_the_platform_failing_mid_utterance_ends_every_wait_as_closed(fault: Fault) -> None:
    app = SpeakingApp()
    await speak_until(fault, app)
    assert app.outcomes == {
        "play": "returned",
        "checkpoint": af.CheckpointOutcome.CLOSED,
        "iteration": "ended",
        "drain": af.CheckpointOutcome.CLOSED,
        "closed": True,
    }


@FAULTS
async def test_the_platform_failing_mid_utterance_resolves_every_utterance_closed(
    fault: Fault,
) -> None:
    app = UtteringApp()
    await speak_until(fault, app)
    closed = af.CheckpointOutcome.CLOSED
    assert app.outcomes == {
        "writes": "returned",
        "say": closed,
        "say_stream": closed,
        "iteration": "ended",
        "states": (af.UtteranceState.CLOSED, af.UtteranceState.CLOSED),
        "speaking": False,
    }


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("endpoint", ["down", "slow"])
async def test_a_callback_endpoint_down_or_slow_never_holds_the_call(endpoint: str) -> None:
    """The call streams, the app stops the stream, ``<Hangup/>`` ends the call, and the
    emulator closes; the stream's callbacks (``StartStream``, ``StopStream``) each fail
    after their attempts. The slow endpoint answers only when the test ends."""
    answer = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        await answer.wait()
        return web.Response()

    retry = RetrySchedule(attempts=2, backoff_s=0.01, timeout_s=0.5)
    config = EmulatorConfig(
        {ACCOUNT: TOKEN}, speed=20, caller_audio="silence", callback_retry=retry
    )
    voice = VoiceApp()
    voice.stop_after_media = 10
    async with released(), serve_aiohttp_app(application(web.post("/status", slow))) as slow_url:
        await within(voice.start())
        status = f"http://127.0.0.1:{unused_port()}" if endpoint == "down" else slow_url
        status += "/status"
        voice.xml = (
            '<Response><Stream bidirectional="true" keepCallAlive="true"'
            f' statusCallbackUrl="{status}">{voice.ws_url}</Stream><Hangup/></Response>'
        )
        async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
            body = {"from": "+1", "to": "+2", "answer_url": voice.url + "/answer"}
            calls = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
            async with http.post(calls, json=body) as reply:
                call = emulator.exchange.calls[(await reply.json())["call_uuid"]]
            await within(call.finished())
            assert call.hangup_cause == "xml_hangup"
            sender = emulator.exchange.services.callbacks
            await within(sender.flush(10))
            assert (sender.delivered, sender.failed) == (0, 2)
        answer.set()
        await within(voice.close())
    assert [s.messages[0]["event"] for s in voice.sockets] == ["start"]
