"""Typed stream events, one class per protocol message, both directions.

Platform → app: :class:`Start`, :class:`Media`, :class:`PlayedStream`, :class:`ClearedAudio`,
:class:`Dtmf`, :class:`Stop`. App → platform: :class:`PlayAudio`, :class:`Checkpoint`,
:class:`ClearAudio`, :class:`Stop`. Anything else parses to :class:`UnknownEvent`.

The classes are implemented in the Rust core for speed and behave like frozen dataclasses:
keyword construction, read-only snake_case fields, equality, a readable ``repr`` and
``__match_args__`` so they work in ``match`` statements::

    match audiofork.parse_message(text):
        case Media(pcm=pcm): ...
        case PlayedStream(name=name): ...
"""

from __future__ import annotations

from typing import TypeAlias

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
    "Checkpoint",
    "ClearAudio",
    "ClearedAudio",
    "Dtmf",
    "Event",
    "Media",
    "PlayAudio",
    "PlayedStream",
    "Start",
    "Stop",
    "UnknownEvent",
]

#: Any parsed message.
Event: TypeAlias = (
    Start
    | Media
    | PlayedStream
    | ClearedAudio
    | Dtmf
    | Stop
    | PlayAudio
    | Checkpoint
    | ClearAudio
    | UnknownEvent
)
