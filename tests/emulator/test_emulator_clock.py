"""Under ``speed`` N the platform plays audio N times faster than real time, so an app that
estimates what the caller has heard between checkpoints must run its session on the
emulator's clock (:attr:`Emulator.clock`). With it, the app's estimate is where the
platform's playout is; with the machine's clock, it lags N-fold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np
import pytest
from aiohttp import web

from audiofork.aio import AudioStream
from audiofork.emulator import Emulator, EmulatorConfig
from audiofork.events import Start
from support.app_servers import serve_aiohttp_app
from support.emulator_platform_apps import ACCOUNT, AUTH, TOKEN, http_client, within

SPEED = 4
REPLY_S = 3


async def heard_and_played(on_emulator_clock: bool) -> tuple[float, float]:
    """An app plays 3 s of audio at once; once the platform has played 1.5 s of it, the
    app's heard estimate and the platform's playout, read in the same instant (ms)."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=SPEED, caller_audio="silence")
    emulator = Emulator(config)
    await within(emulator.start())
    streams: list[AudioStream] = []
    session_clock: Callable[[], float] = emulator.clock if on_emulator_clock else time.monotonic

    async def answer(_request: web.Request) -> web.Response:
        stream = f'<Stream bidirectional="true" keepCallAlive="true">{ws_url}</Stream>'
        return web.Response(text=f"<Response>{stream}</Response>", content_type="application/xml")

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with AudioStream(ws, clock=session_clock) as stream:
            streams.append(stream)
            async for event in stream:
                if isinstance(event, Start):
                    await stream.play(np.full(8000 * REPLY_S, 1000, dtype=np.int16), 8000)
        return ws

    async def readings(call_uuid: str) -> tuple[float, float]:
        while True:
            info = emulator.call_info(call_uuid)
            if info.streams and info.streams[0].stats.played_ms >= 1500 and streams:
                # No await between the two readings: one instant.
                return streams[0].session.heard_ms(), info.streams[0].stats.played_ms
            await asyncio.sleep(0.005)

    app = web.Application()
    app.router.add_post("/answer", answer)
    app.router.add_get("/ws", socket)
    async with serve_aiohttp_app(app) as base:
        ws_url = base.replace("http://", "ws://") + "/ws"
        try:
            async with http_client(headers=AUTH) as http:
                body = {"from": "+1", "to": "+2", "answer_url": base + "/answer"}
                url = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
                async with http.post(url, json=body) as reply:
                    call_uuid = (await reply.json())["call_uuid"]
            return await within(readings(call_uuid))
        finally:
            await within(emulator.close(), 30)  # hangs up: the app's stream ends


async def test_an_app_on_the_emulators_clock_estimates_what_the_platform_played() -> None:
    emulator = Emulator(EmulatorConfig({ACCOUNT: TOKEN}, speed=SPEED))
    with pytest.raises(RuntimeError, match="not started"):
        emulator.clock  # noqa: B018
    await within(emulator.start())
    try:
        before = emulator.clock()
        await asyncio.sleep(0.05)
        assert emulator.clock() - before >= 0.05 * SPEED  # virtual seconds
    finally:
        await within(emulator.close())

    heard, played = await heard_and_played(on_emulator_clock=True)
    # Ahead by the frame the platform had not yet started and the playAudio's transit.
    assert abs(heard - played) < 400, (heard, played)


async def test_an_app_on_the_machines_clock_lags_the_platform_by_the_speed() -> None:
    heard, played = await heard_and_played(on_emulator_clock=False)
    assert heard < played / 2, (heard, played)  # about played / SPEED
