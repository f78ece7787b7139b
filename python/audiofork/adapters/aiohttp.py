"""Transport over an aiohttp ``WebSocketResponse`` (already prepared by the handler)."""

from __future__ import annotations

from aiohttp import WSMsgType, web

from audiofork.adapters import TransportClosed
from audiofork.errors import StreamStateError

__all__ = ["AiohttpTransport"]


class AiohttpTransport:
    """``send_str``/``receive`` of a prepared response; close frames and errors mean gone."""

    close_ends_receive = True

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    async def open(self) -> None:
        if not self._ws.prepared:
            raise StreamStateError(
                "the aiohttp WebSocketResponse is not prepared: await ws.prepare(request) first"
            )

    async def send(self, text: str) -> None:
        if self._ws.closed:
            raise TransportClosed("the aiohttp WebSocket is closed")
        try:
            await self._ws.send_str(text)
        except ConnectionError as exc:
            raise TransportClosed(str(exc)) from exc

    async def receive(self) -> str | bytes | None:
        if self._ws.closed:
            return None
        message = await self._ws.receive()
        if message.type is WSMsgType.TEXT:
            text: str = message.data
            return text
        if message.type is WSMsgType.BINARY:
            data: bytes = message.data
            return data
        return None

    async def close(self) -> None:
        await self._ws.close()
