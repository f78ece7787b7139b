"""Typed stream events, one class per protocol message, both directions.

Which side sends what is written once, here: :data:`PLATFORM_EVENTS` (platform → app:
:class:`Start`, :class:`Media`, :class:`PlayedStream`, :class:`ClearedAudio`, :class:`Dtmf`,
:class:`Stop`) and :data:`APP_COMMANDS` (app → platform: :class:`PlayAudio`,
:class:`Checkpoint`, :class:`ClearAudio`, :class:`Stop`); :class:`Stop` goes both ways. Each
has its union type (:data:`PlatformEvent`, :data:`AppCommand`). Anything else parses to
:class:`UnknownEvent`.

The classes are implemented in the Rust core for speed and behave like frozen dataclasses:
keyword construction, read-only snake_case fields, equality, a readable ``repr`` and
``__match_args__`` so they work in ``match`` statements::

    match audiofork.parse_message(text):
        case Media(pcm=pcm): ...
        case PlayedStream(name=name): ...
"""

from __future__ import annotations

from typing import Final, TypeAlias

from audiofork._core import (
    Checkpoint,
    ClearAudio,
    ClearedAudio,
    Dtmf,
    Media,
    PlayAudio,
    PlayedStream,
    Start,
    Stop,
    UnknownEvent,
)

__all__ = [
    "APP_COMMANDS",
    "PLATFORM_EVENTS",
    "AppCommand",
    "Checkpoint",
    "ClearAudio",
    "ClearedAudio",
    "Dtmf",
    "Event",
    "Media",
    "PlatformEvent",
    "PlayAudio",
    "PlayedStream",
    "Start",
    "Stop",
    "UnknownEvent",
]

# Each union and its tuple are written side by side (a type checker cannot read a union from a
# tuple); a test holds them equal.

#: What the platform sends the app.
PlatformEvent: TypeAlias = Start | Media | PlayedStream | ClearedAudio | Dtmf | Stop
#: The classes of :data:`PlatformEvent`, for ``isinstance``.
PLATFORM_EVENTS: Final = (Start, Media, PlayedStream, ClearedAudio, Dtmf, Stop)

#: What the app sends the platform.
AppCommand: TypeAlias = PlayAudio | Checkpoint | ClearAudio | Stop
#: The classes of :data:`AppCommand`, for ``isinstance``.
APP_COMMANDS: Final = (PlayAudio, Checkpoint, ClearAudio, Stop)

#: Any parsed message.
Event: TypeAlias = PlatformEvent | AppCommand | UnknownEvent
