"""Transport over a ``websockets`` connection (the asyncio API or the legacy one)."""

from __future__ import annotations

from typing import Any

from websockets.exceptions import ConnectionClosed

from audiofork.adapters import TransportClosed

__all__ = ["WebsocketsTransport"]


class WebsocketsTransport:
    """``send``/``recv`` of a websockets connection; ``ConnectionClosed`` means gone."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    async def open(self) -> None:
        """Nothing to do: a websockets handler receives an open connection."""

    async def send(self, text: str) -> None:
        try:
            await self._ws.send(text)
        except ConnectionClosed as exc:
            raise TransportClosed(str(exc)) from exc

    async def receive(self) -> str | bytes | None:
        try:
            message: str | bytes = await self._ws.recv()
        except ConnectionClosed:
            return None
        return message

    async def close(self) -> None:
        await self._ws.close()
