"""Transport over a Starlette (or FastAPI) ``WebSocket``, accepted on open if need be."""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from audiofork.adapters import TransportClosed

__all__ = ["StarletteTransport"]


class StarletteTransport:
    """Raw ASGI messages, so text and bytes both arrive and a disconnect is not an error."""

    close_ends_receive = True

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws

    async def open(self) -> None:
        if self._ws.client_state is not WebSocketState.CONNECTING:
            return
        # A client gone before the accept (Starlette: RuntimeError for a disconnect instead
        # of the connect, WebSocketDisconnect or OSError from the accept itself) is a stream
        # that ends at once: receive() then reports the socket closed.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self._ws.accept()

    async def send(self, text: str) -> None:
        # Starlette raises RuntimeError after a close and the server an OSError subclass
        # when the client vanished mid-send.
        try:
            await self._ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            raise TransportClosed(str(exc)) from exc

    async def receive(self) -> str | bytes | None:
        if self._ws.client_state is not WebSocketState.CONNECTED:
            return None
        message = await self._ws.receive()
        if message["type"] != "websocket.receive":
            return None
        text: str | None = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    async def close(self) -> None:
        if (
            self._ws.application_state is WebSocketState.CONNECTED
            and self._ws.client_state is WebSocketState.CONNECTED
        ):
            # The client left meanwhile: Starlette raises WebSocketDisconnect (or RuntimeError)
            # and the server an OSError subclass.
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self._ws.close()
