"""A scripted voice app on a real aiohttp server, for the simulator's tests: it greets,
answers each caller utterance, clears when talked over, answers keys, and can misbehave
on request. Its time is the caller's media frames counted (20 ms each), so it behaves the
same at any ``--speed``."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import numpy as np
from aiohttp import web

from audiofork.codec import decode_payload
from audiofork.formats import MediaFormat
from support.app_servers import serve_aiohttp

VOICED_RMS = 150.0
#: Caller quiet this long (frames) ends an utterance.
END_FRAMES = 15


def tone_l16(ms: float, rate: int = 8000, hz: float = 440.0) -> str:
    """A tone as base64 L16 (little-endian), loud enough to count as speech."""
    t = np.arange(round(ms * rate / 1000)) / rate
    pcm = (8000 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    return base64.b64encode(pcm.tobytes()).decode()


@dataclass
class Behaviour:
    greet_ms: float = 0.0  # a greeting at the start
    reply_ms: float = 0.0  # an answer to each utterance
    key_reply_ms: float = 0.0  # an answer to each key
    clears: bool = True  # clearAudio when the caller talks over a reply
    misbehave: str = ""  # bad_json, odd_l16, bad_rate, close_pending
    stop_after_ms: float = 0.0  # the app ends the stream after this much caller audio


@dataclass
class Seen:
    """What the app saw of each call."""

    stops: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    media: int = 0


class ScriptedApp:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.seen = Seen()

    async def handle(self, ws: web.WebSocketResponse) -> None:
        b = self.behaviour
        stream_id = ""
        fmt = MediaFormat.parse("audio/x-mulaw;rate=8000")
        frame = 0
        playing_until = 0  # frame at which the app's queued audio ends
        voiced = quiet = 0
        talking = False
        replies = 0

        async def play(ms: float, name: str) -> None:
            nonlocal playing_until
            media = {"contentType": "audio/x-l16", "sampleRate": 8000, "payload": tone_l16(ms)}
            await ws.send_str(
                json.dumps({"event": "playAudio", "streamId": stream_id, "media": media})
            )
            await ws.send_str(
                json.dumps({"event": "checkpoint", "streamId": stream_id, "name": name})
            )
            playing_until = max(playing_until, frame) + round(ms / 20)

        async for message in ws:
            data = json.loads(message.data)
            event = data.get("event")
            if event == "start":
                stream_id = data["start"]["streamId"]
                fmt = MediaFormat.parse(
                    f"{data['start']['mediaFormat']['encoding']};"
                    f"rate={data['start']['mediaFormat']['sampleRate']}"
                )
                await self.misbehave(ws, stream_id)
                if b.misbehave == "close_pending":
                    await play(2000, "never")
                    await ws.close()
                    return
                if b.greet_ms:
                    await play(b.greet_ms, "greeting")
            elif event == "media" and data["media"].get("track", "inbound") == "inbound":
                frame += 1
                self.seen.media += 1
                if b.stop_after_ms and frame * 20 >= b.stop_after_ms:
                    await ws.send_str(json.dumps({"event": "stop", "streamId": stream_id}))
                    await ws.close()
                    return
                pcm = decode_payload(data["media"]["payload"], fmt).astype(np.float64)
                loud = float(np.sqrt(np.mean(pcm * pcm))) >= VOICED_RMS
                voiced, quiet = (voiced + 1, 0) if loud else (0, quiet + 1)
                if loud and not talking and voiced >= 2:
                    talking = True
                    if frame < playing_until and b.clears:
                        await ws.send_str(
                            json.dumps({"event": "clearAudio", "streamId": stream_id})
                        )
                        playing_until = frame
                elif talking and quiet >= END_FRAMES:
                    talking = False
                    if b.reply_ms:
                        replies += 1
                        await play(b.reply_ms, f"reply-{replies}")
            elif event == "dtmf":
                key = data["dtmf"]["digit"]
                self.seen.keys.append(key)
                if b.key_reply_ms:
                    await play(b.key_reply_ms, f"key-{key}")
            elif event == "stop":
                self.seen.stops.append(data.get("stop", {}).get("reason", ""))

    async def misbehave(self, ws: web.WebSocketResponse, stream_id: str) -> None:
        """Send the bad message asked for, twice."""
        for _ in range(2):
            await self.bad_message(ws, stream_id)

    async def bad_message(self, ws: web.WebSocketResponse, stream_id: str) -> None:
        kind = self.behaviour.misbehave
        if kind == "bad_json":
            await ws.send_str('{"event": "playAudio", "media": ')
        elif kind in ("odd_l16", "bad_rate"):
            rate = 11025 if kind == "bad_rate" else 8000
            payload = (
                base64.b64encode(b"\x01\x02\x03").decode() if kind == "odd_l16" else tone_l16(20)
            )
            media = {"contentType": "audio/x-l16", "sampleRate": rate, "payload": payload}
            await ws.send_str(
                json.dumps({"event": "playAudio", "streamId": stream_id, "media": media})
            )


@asynccontextmanager
async def scripted_app(**behaviour: object) -> AsyncIterator[tuple[str, ScriptedApp]]:
    """A :class:`ScriptedApp` on loopback: ``(ws URL, app)``."""
    app = ScriptedApp(Behaviour(**behaviour))  # type: ignore[arg-type]
    async with serve_aiohttp(app.handle) as url:
        yield url, app


@asynccontextmanager
async def silent_listener() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers: no WebSocket upgrade."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
