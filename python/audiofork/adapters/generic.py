"""Transport over any object with ``async send_text(str)`` and ``async receive_text()``."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from audiofork.adapters import TransportClosed

__all__ = ["GenericTransport"]

logger = logging.getLogger(__name__)


class GenericTransport:
    """Duck-typed: ``receive_text()`` returning ``None`` or raising means the socket closed.

    The exception ends the stream like a closed socket (it is chained to the
    :class:`TransportClosed` of a send); an optional ``close()`` is awaited on close.
    ``receive_text()`` must be safe to cancel, as ``asyncio.Queue.get()`` and websockets'
    ``recv()`` are. If the object has a ``close()``, it must make a pending
    ``receive_text()`` return; the app's task may then read the socket itself
    (:attr:`~audiofork.adapters.Transport.close_ends_receive`).
    """

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self.close_ends_receive = callable(getattr(ws, "close", None))

    async def open(self) -> None:
        """Nothing to do: the object is expected to be connected."""

    async def send(self, text: str) -> None:
        try:
            await self._ws.send_text(text)
        except Exception as exc:
            raise TransportClosed(str(exc)) from exc

    async def receive(self) -> str | bytes | None:
        try:
            message: str | bytes | None = await self._ws.receive_text()
        except Exception:
            logger.debug("receive_text() raised; treating the socket as closed", exc_info=True)
            return None
        return message

    async def close(self) -> None:
        close = getattr(self._ws, "close", None)
        if callable(close):
            result = close()
            if inspect.isawaitable(result):
                await result
