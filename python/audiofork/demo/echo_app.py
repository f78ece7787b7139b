"""The example echo app of ``audiofork demo``: a voice app that plays every caller frame
straight back, written with :class:`audiofork.aio.AudioStream` over an aiohttp server.

It serves its answer URL (``/answer``: VobizXML forking the call to its socket) and the
stream (``/ws``). Each inbound frame is played back at once; every ``checkpoint_every``
frames it sends a checkpoint and counts how they resolve. It times its own work per frame
(from the event to the ``playAudio`` sent), and notes how much of its audio its session
estimates the caller heard when the stream ended.

Its sessions run on ``clock`` when given: under the emulator's ``--speed N`` that is the
emulator's clock (:attr:`audiofork.emulator.Emulator.clock`), so the heard estimates
between checkpoints advance as fast as the platform plays.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from aiohttp import web

from audiofork.aio import AudioStream
from audiofork.events import Media
from audiofork.session import CheckpointOutcome
from audiofork.vobiz.xml import Response, StreamElement

__all__ = ["EchoApp", "EchoStats"]


@dataclass
class EchoStats:
    """What the app saw and did."""

    frames_in: int = 0
    processing_s: list[float] = field(default_factory=list)
    checkpoints_sent: int = 0
    checkpoints: dict[str, int] = field(default_factory=dict)  # outcome → count
    heard_ms: float | None = None  # the session's heard estimate when the last stream ended

    def processing_us(self, percentile: float) -> float:
        """A percentile of the per-frame processing time, in µs (0 before any frame)."""
        if not self.processing_s:
            return 0.0
        return float(np.percentile(self.processing_s, percentile)) * 1e6


class EchoApp:
    """The echo app on ``127.0.0.1``; :meth:`start` it, point a call at :attr:`answer_url`."""

    def __init__(
        self,
        *,
        content_type: str = "audio/x-mulaw;rate=8000",
        app_rate: int = 8000,
        checkpoint_every: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.content_type = content_type
        self.app_rate = app_rate
        self.checkpoint_every = checkpoint_every
        self.clock = clock
        self.stats = EchoStats()
        self._runner: web.AppRunner | None = None
        self._checkpoints: set[asyncio.Task[None]] = set()
        self.url = ""

    @property
    def answer_url(self) -> str:
        """The app's answer URL."""
        return f"{self.url}/answer"

    @property
    def ws_url(self) -> str:
        """The app's stream URL."""
        return self.url.replace("http://", "ws://", 1) + "/ws"

    async def start(self) -> None:
        """Serve on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/answer", self._answer)
        app.router.add_get("/ws", self._stream)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop serving (open streams are closed)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _answer(self, _request: web.Request) -> web.Response:
        element = StreamElement(
            self.ws_url, bidirectional=True, keep_call_alive=True, content_type=self.content_type
        )
        return web.Response(text=Response([element]).to_xml(), content_type="application/xml")

    async def _stream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with AudioStream(ws, app_rate=self.app_rate, clock=self.clock) as stream:
            async for event in stream:
                if isinstance(event, Media) and event.track == "inbound" and event.pcm is not None:
                    started = time.perf_counter()
                    await stream.play(event.pcm, self.app_rate)
                    self.stats.processing_s.append(time.perf_counter() - started)
                    self.stats.frames_in += 1
                    if self.stats.frames_in % self.checkpoint_every == 0:
                        self._checkpoint(stream)
            await asyncio.gather(*self._checkpoints)
            self.stats.heard_ms = stream.session.heard_ms()  # frozen when the stream ended
        return ws

    def _checkpoint(self, stream: AudioStream) -> None:
        self.stats.checkpoints_sent += 1
        task = asyncio.create_task(self._await_checkpoint(stream, self.stats.checkpoints_sent))
        self._checkpoints.add(task)
        task.add_done_callback(self._checkpoints.discard)

    async def _await_checkpoint(self, stream: AudioStream, number: int) -> None:
        outcome: CheckpointOutcome = await stream.checkpoint(f"second-{number}")
        self.stats.checkpoints[outcome.value] = self.stats.checkpoints.get(outcome.value, 0) + 1
