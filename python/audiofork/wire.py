"""Parse and build stream messages (JSON text), in each platform's :class:`Dialect`.

:func:`parse_message` reads every message of either direction, tolerating each documented
variant; the builders emit the newest documented form with correct JSON escaping, in the
Vobiz dialect unless ``dialect=`` says otherwise. App commands always carry the stream id.
:func:`detect_dialect` says which dialect a message shows, if any.
"""

from __future__ import annotations

from typing_extensions import Buffer

from audiofork import _core
from audiofork._core import (
    DEFAULT_MAX_MESSAGE_BYTES,
    checkpoint,
    clear_audio,
    cleared_audio,
    connected,
    dtmf,
    media,
    parse_message,
    play_audio,
    played_stream,
    send_dtmf,
    start,
    stop,
)
from audiofork.dialects import Dialect

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "Dialect",
    "checkpoint",
    "clear_audio",
    "cleared_audio",
    "connected",
    "detect_dialect",
    "dtmf",
    "media",
    "parse_message",
    "play_audio",
    "played_stream",
    "send_dtmf",
    "start",
    "stop",
]


def detect_dialect(
    text: str | Buffer, *, max_size: int = DEFAULT_MAX_MESSAGE_BYTES
) -> Dialect | None:
    """The dialect ``text`` shows: :attr:`Dialect.TWILIO` (``connected``, ``mark``,
    ``streamSid``…), :attr:`Dialect.VOBIZ` for the Vobiz/Plivo family (``playedStream``,
    ``streamId``…; the two cannot be told apart), or ``None`` when any could have sent it.
    ``ProtocolError`` for a malformed message."""
    name = _core.detect_dialect(text, max_size=max_size)
    return Dialect(name) if name is not None else None
