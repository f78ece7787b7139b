"""Parse and build stream messages (JSON text), following the Vobiz wire protocol.

:func:`parse_message` reads every message of either direction, tolerating each documented
variant; the builders emit the newest documented form with correct JSON escaping. App
commands always carry ``streamId``.
"""

from __future__ import annotations

from audiofork._core import (
    DEFAULT_MAX_MESSAGE_BYTES,
    checkpoint,
    clear_audio,
    cleared_audio,
    dtmf,
    media,
    parse_message,
    play_audio,
    played_stream,
    start,
    stop,
)

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "checkpoint",
    "clear_audio",
    "cleared_audio",
    "dtmf",
    "media",
    "parse_message",
    "play_audio",
    "played_stream",
    "start",
    "stop",
]
