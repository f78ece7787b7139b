"""One small transport per WebSocket library, chosen by the connection's type.

:func:`transport_for` wraps a websockets connection, a Starlette (FastAPI) ``WebSocket``, an
aiohttp ``WebSocketResponse``, or any object with ``async send_text(str)`` and
``async receive_text()``, in a :class:`Transport`: text out, text or bytes in, ``None`` once
the socket is gone. The libraries are imported only when such a connection is passed.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Transport", "TransportClosed", "transport_for"]


class TransportClosed(Exception):
    """The socket is gone; raised by :meth:`Transport.send`."""


class Transport(Protocol):
    """What :class:`~audiofork.aio.AudioStream` needs from a WebSocket.

    ``receive()`` must be safe to cancel (no message lost), and only one call at a time is
    made. A ``send()`` that has to wait (a full write buffer) may be finished by a task of
    the stream's own, so that cancelling the app's task never cuts a message.
    """

    #: ``close()`` makes a pending ``receive()`` return, so an app's task may await
    #: ``receive()`` itself (the stream's own task does otherwise).
    close_ends_receive: bool

    async def open(self) -> None:
        """Make the socket ready (e.g. accept a Starlette WebSocket not yet accepted)."""

    async def send(self, text: str) -> None:
        """Send one text message; :class:`TransportClosed` if the socket is gone."""

    async def receive(self) -> str | bytes | None:
        """The next message, or ``None`` once the socket closed."""

    async def close(self) -> None:
        """Close the socket if it is still open; never raises for an already closed one."""


def _library(ws: object) -> str:
    for cls in type(ws).__mro__:
        root = cls.__module__.partition(".")[0]
        if root in ("websockets", "starlette", "aiohttp"):
            return root
    return ""


def transport_for(ws: Any) -> Transport:
    """The transport for ``ws``, by its type; ``TypeError`` for an unsupported object."""
    library = _library(ws)
    if library == "websockets":
        from audiofork.adapters.websockets import WebsocketsTransport

        return WebsocketsTransport(ws)
    if library == "starlette":
        from audiofork.adapters.starlette import StarletteTransport

        return StarletteTransport(ws)
    if library == "aiohttp":
        from audiofork.adapters.aiohttp import AiohttpTransport

        return AiohttpTransport(ws)
    if callable(getattr(ws, "send_text", None)) and callable(getattr(ws, "receive_text", None)):
        from audiofork.adapters.generic import GenericTransport

        return GenericTransport(ws)
    raise TypeError(
        "ws must be a websockets connection, a Starlette/FastAPI WebSocket, an aiohttp"
        f" WebSocketResponse, or have async send_text() and receive_text(); got {type(ws)!r}"
    )
