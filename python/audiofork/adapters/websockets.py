"""Transport over a ``websockets`` connection (the asyncio API or the legacy one)."""

from __future__ import annotations

from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from audiofork.adapters import TransportClosed

__all__ = ["WebsocketsTransport"]


class WebsocketsTransport:
    """``send``/``recv`` of a websockets connection; ``ConnectionClosed`` means gone.

    ``recv()`` is safe to cancel, and ``send()`` writes its message before it waits for the
    write buffer (websockets documents both). A send on a connection that is closing fails
    at once, instead of waiting in ``send()`` for the close to finish.
    """

    close_ends_receive = True

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    async def open(self) -> None:
        """Nothing to do: a websockets handler receives an open connection."""

    async def send(self, text: str) -> None:
        if self._ws.state is not State.OPEN:
            raise TransportClosed(f"the websockets connection is {self._ws.state.name}")
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
