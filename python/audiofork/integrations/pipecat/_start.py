"""``read_start``: the platform's first messages, read off the socket up to ``start``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from audiofork import wire
from audiofork.dialects import Dialect, check_dialect
from audiofork.errors import ProtocolError
from audiofork.events import Connected, Start

__all__ = ["read_start"]

#: Messages read at most before ``start``: Twilio's ``connected``, and some to spare.
MAX_BEFORE_START = 4


class TextSocket(Protocol):
    """What :func:`read_start` reads from: FastAPI's (Starlette's) ``WebSocket``."""

    async def receive(self) -> Mapping[str, Any]: ...


async def read_start(
    websocket: TextSocket, dialect: Dialect | str | None = None
) -> tuple[Start, Dialect]:
    """Read the platform's messages up to its ``start``; return it and the stream's dialect
    (``dialect`` when given, else detected: a Vobiz/Plivo stream reads as ``VOBIZ``).

    Twilio's ``connected`` is skipped. ``ProtocolError`` for a malformed message, one of
    another dialect, or anything else before ``start`` (nothing is lost silently: a
    platform sends ``start`` first), a binary frame included; a closed socket raises
    Starlette's ``WebSocketDisconnect``."""
    given = check_dialect(dialect)
    for _ in range(MAX_BEFORE_START):
        text = _text(await websocket.receive())
        found = given or wire.detect_dialect(text)
        event = wire.parse_message(text, dialect=found)
        if type(event) is Start:
            return event, found or Dialect.VOBIZ
        if type(event) is not Connected:
            raise ProtocolError(
                f"event: expected start before {type(event).__name__}", kind="bad_value"
            )
        given = found
    raise ProtocolError(f"event: no start in the first {MAX_BEFORE_START} messages")


def _text(message: Mapping[str, Any]) -> str:
    """The text of one ASGI websocket message; ``ProtocolError`` for binary."""
    if message.get("type") == "websocket.disconnect":
        from starlette.websockets import WebSocketDisconnect

        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if not isinstance(text, str):
        kinds = sorted(key for key, value in message.items() if value is not None)
        raise ProtocolError(f"message: expected text before start, got {kinds}", kind="bad_value")
    return text
