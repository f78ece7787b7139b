"""A voice app written for the tests with plain aiohttp and json (not audiofork's session):
an answer URL serving VobizXML, a status-callback receiver and a WebSocket endpoint that
records what the platform sends and can echo it back. Also the ``app`` fixture serving one
(``conftest.py`` loads this module as a plugin) and a timeout helper for awaits."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pytest
from aiohttp import ClientSession, ClientTimeout, WSMsgType, web

from audiofork.emulator import Emulator, EmulatorConfig
from support.app_servers import LoopbackApp

T = TypeVar("T")

ACCOUNT = "MA_TESTACCOUNT"
TOKEN = "test-token-0123456789"
AUTH = {"X-Auth-ID": ACCOUNT, "X-Auth-Token": TOKEN}


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The HTTP Basic ``Authorization`` header the status page takes."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def within(awaitable: Awaitable[T], seconds: float = 20.0) -> T:
    """``awaitable``, failing the test if it takes longer than ``seconds``."""
    return await asyncio.wait_for(awaitable, seconds)


def http_client(**options: Any) -> ClientSession:
    """An HTTP client whose every request gives up after 20 s."""
    return ClientSession(timeout=ClientTimeout(total=20), **options)


async def place_call(emulator: Emulator, answer_url: str) -> str:
    """A call placed through the emulator's REST API, answered at ``answer_url``."""
    async with http_client(headers=AUTH) as http:
        base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        body = {"from": "+1", "to": "+2", "answer_url": answer_url}
        async with http.post(base, json=body) as reply:
            return str((await reply.json())["call_uuid"])


async def hang_up(emulator: Emulator, call_uuid: str) -> None:
    """The call ended through the REST API."""
    async with http_client(headers=AUTH) as http:
        url = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/{call_uuid}/"
        async with http.delete(url) as reply:
            assert reply.status == 204


def dominant_hz(pcm: np.ndarray, rate: int) -> float:
    """The strongest frequency in ``pcm``."""
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    return float(np.argmax(spectrum) * rate / len(pcm))


@contextlib.asynccontextmanager
async def started_emulator(config: EmulatorConfig, **options: Any) -> AsyncIterator[Emulator]:
    """An emulator started and closed, each under a timeout."""
    emulator = Emulator(config, **options)
    await within(emulator.start())
    try:
        yield emulator
    finally:
        await within(emulator.close(), 30)


@dataclass
class Hit:
    """One HTTP request the app received."""

    method: str
    url: str
    headers: dict[str, str]
    fields: dict[str, str]


@dataclass
class Socket:
    """What one WebSocket connection received, in order."""

    path: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class VoiceApp(LoopbackApp):
    """The test's app. ``xml`` is what the answer URL returns (with ``answer_status``,
    after ``answer_delay_s``);
    ``echo`` sends each inbound media payload back as ``playAudio``; ``on_start`` messages
    are sent after ``start``; ``stop_after_media`` / ``close_after_media`` send ``stop`` or
    close the socket after that many media messages; ``callback_statuses`` are answered to
    the next status callbacks (then 200)."""

    def __init__(self) -> None:
        self.xml = "<Response/>"
        self.echo = False
        self.on_start: list[dict[str, Any]] = []
        self.stop_after_media: int | None = None
        self.close_after_media: int | None = None
        self.answers: list[Hit] = []
        self.answer_status = 200
        self.answer_delay_s = 0.0
        self.callbacks: list[Hit] = []
        self.callback_statuses: list[int] = []
        self.sockets: list[Socket] = []
        self.changed = asyncio.Condition()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/answer", self._answer)
        app.router.add_route("*", "/status", self._status)
        app.router.add_get("/ws", self._ws)

    async def _note(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Any, seconds: float = 20.0) -> None:
        """Wait until ``predicate()`` holds (re-checked on every request or message)."""

        async def wait() -> None:
            async with self.changed:
                await self.changed.wait_for(predicate)

        await within(wait(), seconds)

    @staticmethod
    async def _hit(request: web.Request) -> Hit:
        fields = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            fields.update({k: v for k, v in form.items() if isinstance(v, str)})
        return Hit(request.method, str(request.url), dict(request.headers), fields)

    async def _answer(self, request: web.Request) -> web.Response:
        self.answers.append(await self._hit(request))
        await self._note()
        await asyncio.sleep(self.answer_delay_s)
        return web.Response(
            text=self.xml, content_type="application/xml", status=self.answer_status
        )

    async def _status(self, request: web.Request) -> web.Response:
        self.callbacks.append(await self._hit(request))
        await self._note()
        status = self.callback_statuses.pop(0) if self.callback_statuses else 200
        return web.Response(status=status)

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        socket = Socket(request.path_qs)
        self.sockets.append(socket)
        media = 0
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                socket.messages.append(data)
                stream_id = data.get("start", {}).get("streamId") or data.get("streamId")
                if data.get("event") == "start":
                    for reply in self.on_start:
                        await ws.send_str(json.dumps({**reply, "streamId": stream_id}))
                elif data.get("event") == "media":
                    media += 1
                    if self.echo and data["media"]["track"] == "inbound":
                        await ws.send_str(json.dumps(_play_audio(data, stream_id, socket)))
                    if self.stop_after_media is not None and media >= self.stop_after_media:
                        await ws.send_str(json.dumps({"event": "stop", "streamId": stream_id}))
                    if self.close_after_media is not None and media >= self.close_after_media:
                        await ws.close()
                await self._note()
        finally:
            socket.closed.set()
            await self._note()
        return ws

    def events(self, name: str) -> list[Hit]:
        """The status callbacks received for event ``name``."""
        return [hit for hit in self.callbacks if hit.fields.get("Event") == name]


def _play_audio(media: dict[str, Any], stream_id: str, socket: Socket) -> dict[str, Any]:
    start = socket.messages[0]["start"]["mediaFormat"]
    return {
        "event": "playAudio",
        "streamId": stream_id,
        "media": {
            "contentType": start["encoding"],
            "sampleRate": start["sampleRate"],
            "payload": media["media"]["payload"],
        },
    }


@pytest.fixture
async def app() -> AsyncIterator[VoiceApp]:
    """A started :class:`VoiceApp`, closed after the test."""
    voice_app = VoiceApp()
    await within(voice_app.start())
    yield voice_app
    await within(voice_app.close())
