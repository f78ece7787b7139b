"""The platform side of a stream, scripted by tests with plain json and base64.

Deliberately independent of audiofork's own builders and parsers, so the tests check the
library against the wire protocol as written, not against itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from websockets.asyncio.client import ClientConnection, connect

STREAM_ID = "c4dfd815-a92a-4140-ab85-5ff28c004116"
TIMEOUT = 10.0


def start_message(
    encoding: str = "audio/x-l16",
    rate: int = 16000,
    tracks: tuple[str, ...] = ("inbound",),
    stream_id: str = STREAM_ID,
    sequence: int = 0,
) -> str:
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": sequence,
            "start": {
                "callId": "5401fd2e-6344-40df-a22c-c8ffea7a92e7",
                "streamId": stream_id,
                "accountId": "500025",
                "tracks": list(tracks),
                "mediaFormat": {"encoding": encoding, "sampleRate": rate},
            },
            "extra_headers": "{}",
        }
    )


def l16(pcm: npt.NDArray[np.int16]) -> str:
    return base64.b64encode(pcm.astype("<i2").tobytes()).decode()


def media_message(
    payload: str, sequence: int, track: str = "inbound", stream_id: str = STREAM_ID
) -> str:
    return json.dumps(
        {
            "event": "media",
            "sequenceNumber": sequence,
            "streamId": stream_id,
            "media": {
                "track": track,
                "timestamp": str(1778597597091 + 20 * sequence),
                "chunk": sequence,
                "payload": payload,
            },
            "extra_headers": "{}",
        }
    )


def played_message(name: str) -> str:
    return json.dumps({"event": "playedStream", "name": name})


def cleared_message(sequence: int) -> str:
    return json.dumps({"event": "clearedAudio", "streamId": STREAM_ID, "sequenceNumber": sequence})


def dtmf_message(digit: str, sequence: int) -> str:
    return json.dumps(
        {
            "event": "dtmf",
            "sequenceNumber": sequence,
            "streamId": STREAM_ID,
            "dtmf": {"track": "inbound", "digit": digit, "timestamp": "1778597597091"},
        }
    )


def tone(ms: int, rate: int = 16000, hz: float = 440.0) -> npt.NDArray[np.int16]:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16)


def play_ms(message: dict[str, Any]) -> float:
    """Duration of one playAudio message's audio."""
    media = message["media"]
    data = base64.b64decode(media["payload"])
    width = 2 if media["contentType"] == "audio/x-l16" else 1
    return len(data) / width * 1000.0 / int(media["sampleRate"])


class ScriptedPlatform:
    """One platform connection: sends start/media/dtmf/playedStream, reads app commands."""

    def __init__(self, ws: ClientConnection, rate: int = 16000) -> None:
        self.ws = ws
        self.rate = rate
        self.sequence = 0
        self.received: list[dict[str, Any]] = []

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str, rate: int = 16000) -> AsyncIterator[ScriptedPlatform]:
        async with connect(url, open_timeout=TIMEOUT, close_timeout=1) as ws:
            yield cls(ws, rate)

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    async def start(self, tracks: tuple[str, ...] = ("inbound",)) -> None:
        await self.ws.send(start_message(rate=self.rate, tracks=tracks))

    async def media(self, pcm: npt.NDArray[np.int16], track: str = "inbound") -> None:
        """Send ``pcm`` as 20 ms media frames."""
        frame = self.rate // 50
        for i in range(0, len(pcm), frame):
            await self.ws.send(media_message(l16(pcm[i : i + frame]), self._next(), track))

    async def dtmf(self, digit: str) -> None:
        await self.ws.send(dtmf_message(digit, self._next()))

    async def played(self, name: str) -> None:
        await self.ws.send(played_message(name))

    async def cleared(self) -> None:
        await self.ws.send(cleared_message(self._next()))

    async def next(self) -> dict[str, Any]:
        """The next message the app sent."""
        async with asyncio.timeout(TIMEOUT):
            message: dict[str, Any] = json.loads(await self.ws.recv())
        self.received.append(message)
        return message

    async def until(self, event: str) -> list[dict[str, Any]]:
        """Messages up to and including the first ``event``."""
        got = [await self.next()]
        while got[-1]["event"] != event:
            got.append(await self.next())
        return got
