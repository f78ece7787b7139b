"""Twilio Media Streams messages, written with plain json as Twilio's documentation shows
them, and one scripted Twilio connection over a real WebSocket.

Independent of audiofork's builders and parsers, so tests check the library against the
documented wire shapes, not against itself.
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

from audiofork.codec import ulaw_encode

STREAM_SID = "MZ18ad3ab5a668481ce02b83e7395059f0"
CALL_SID = "CA5f8a3b4c5d6e7f8091a2b3c4d5e6f708"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
TIMEOUT = 10.0


def connected() -> str:
    return json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})


def start(sequence: int = 1, custom: dict[str, str] | None = None) -> str:
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": str(sequence),
            "start": {
                "accountSid": ACCOUNT_SID,
                "streamSid": STREAM_SID,
                "callSid": CALL_SID,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": custom if custom is not None else {"FirstName": "Jane"},
            },
            "streamSid": STREAM_SID,
        }
    )


def media(payload: str, sequence: int, chunk: int, track: str = "inbound") -> str:
    return json.dumps(
        {
            "event": "media",
            "sequenceNumber": str(sequence),
            "media": {
                "track": track,
                "chunk": str(chunk),
                "timestamp": str(20 * (chunk - 1)),
                "payload": payload,
            },
            "streamSid": STREAM_SID,
        }
    )


def mark(name: str, sequence: int) -> str:
    return json.dumps(
        {
            "event": "mark",
            "sequenceNumber": str(sequence),
            "streamSid": STREAM_SID,
            "mark": {"name": name},
        }
    )


def dtmf(digit: str, sequence: int) -> str:
    return json.dumps(
        {
            "event": "dtmf",
            "streamSid": STREAM_SID,
            "sequenceNumber": str(sequence),
            "dtmf": {"track": "inbound_track", "digit": digit},
        }
    )


def stop(sequence: int) -> str:
    return json.dumps(
        {
            "event": "stop",
            "sequenceNumber": str(sequence),
            "streamSid": STREAM_SID,
            "stop": {"accountSid": ACCOUNT_SID, "callSid": CALL_SID},
        }
    )


def ulaw_frames(pcm: npt.NDArray[np.int16]) -> list[str]:
    """8 kHz ``pcm`` as base64 μ-law payloads of 20 ms each."""
    data = ulaw_encode(pcm)
    return [base64.b64encode(data[i : i + 160]).decode() for i in range(0, len(data), 160)]


def payload_bytes(messages: list[dict[str, Any]]) -> bytes:
    """The μ-law bytes of the app's ``media`` messages."""
    return b"".join(base64.b64decode(m["media"]["payload"]) for m in messages)


class ScriptedTwilio:
    """One Twilio stream's connection: sends connected/start/media/mark, reads the app's
    messages."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.sequence = 0
        self.chunk = 0

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str) -> AsyncIterator[ScriptedTwilio]:
        async with connect(url, open_timeout=TIMEOUT, close_timeout=1) as ws:
            yield cls(ws)

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    async def begin(self) -> None:
        await self.ws.send(connected())
        await self.ws.send(start(self._next()))

    async def media(self, pcm: npt.NDArray[np.int16]) -> None:
        """Send 8 kHz ``pcm`` as 20 ms μ-law frames."""
        for payload in ulaw_frames(pcm):
            self.chunk += 1
            await self.ws.send(media(payload, self._next(), self.chunk))

    async def mark(self, name: str) -> None:
        await self.ws.send(mark(name, self._next()))

    async def next(self) -> dict[str, Any]:
        """The next message the app sent."""
        async with asyncio.timeout(TIMEOUT):
            message: dict[str, Any] = json.loads(await self.ws.recv())
        return message

    async def until(self, event: str) -> list[dict[str, Any]]:
        """Messages up to and including the first ``event``."""
        got = [await self.next()]
        while got[-1]["event"] != event:
            got.append(await self.next())
        return got
