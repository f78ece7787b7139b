"""Typed stream events, one class per protocol message, both directions.

Which side sends what is written once, here: :data:`PLATFORM_EVENTS` (platform → app:
:class:`Connected` (Twilio only), :class:`Start`, :class:`Media`, :class:`PlayedStream`,
:class:`ClearedAudio`, :class:`Dtmf`, :class:`Stop`) and :data:`APP_COMMANDS` (app →
platform: :class:`PlayAudio`, :class:`Checkpoint`, :class:`ClearAudio`, :class:`Stop`,
:class:`SendDtmf` (Plivo only)); :class:`Stop` goes both ways. Each has its union type
(:data:`PlatformEvent`, :data:`AppCommand`). Anything else parses to :class:`UnknownEvent`.
The events are the same in every :class:`~audiofork.dialects.Dialect`: a Twilio ``mark``
from the platform is a :class:`PlayedStream`, Twilio's ``clear`` a :class:`ClearAudio`.

The classes are implemented in the Rust core for speed and behave like frozen dataclasses:
keyword construction, read-only snake_case fields, equality, a readable ``repr`` and
``__match_args__`` so they work in ``match`` statements. An :class:`InboundDecoder` (which
:class:`~audiofork.session.StreamSession` runs) decodes ``media`` as it parses: its
:class:`Media` carries ``pcm``, the samples at the app's rate, and ``level_dbfs``, the
frame's level:

>>> import numpy as np
>>> from audiofork import InboundDecoder, MediaFormat, encode_payload, wire
>>> from audiofork.events import Media, PlayedStream
>>> decoder = InboundDecoder(MediaFormat("mulaw", 8000), out_rate=16000)
>>> def describe(text: str) -> str:
...     match decoder.decode_message(text):
...         case Media(pcm=pcm, level_dbfs=level) if pcm is not None:
...             return f"{len(pcm)} samples, {level:.1f} dBFS"
...         case PlayedStream(name=name):
...             return f"{name} played"
...         case _:
...             return "something else"
>>> tone = encode_payload(np.full(160, 8192, np.int16), "mulaw")  # 20 ms at 8 kHz
>>> describe(wire.media("s", tone, sequence_number=1, chunk=1, timestamp_ms=0))
'320 samples, -11.9 dBFS'
>>> describe(wire.played_stream("greeting", "s"))
'greeting played'

:func:`~audiofork.wire.parse_message` only parses: its :class:`Media` has the base64
``payload`` and no samples (``pcm`` and ``level_dbfs`` are ``None``), so match it on
``payload``:

>>> match wire.parse_message(wire.media("s", tone, sequence_number=2, chunk=2, timestamp_ms=20)):
...     case Media(payload=payload, pcm=None):
...         print(len(payload), "base64 characters")
216 base64 characters
"""

from __future__ import annotations

from typing import Final, TypeAlias

from audiofork._core import (
    Checkpoint,
    ClearAudio,
    ClearedAudio,
    Connected,
    Dtmf,
    Media,
    PlayAudio,
    PlayedStream,
    SendDtmf,
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
    "Connected",
    "Dtmf",
    "Event",
    "Media",
    "PlatformEvent",
    "PlayAudio",
    "PlayedStream",
    "SendDtmf",
    "Start",
    "Stop",
    "UnknownEvent",
]

# Each union and its tuple are written side by side (a type checker cannot read a union from a
# tuple); a test holds them equal.

#: What the platform sends the app.
PlatformEvent: TypeAlias = Connected | Start | Media | PlayedStream | ClearedAudio | Dtmf | Stop
#: The classes of :data:`PlatformEvent`, for ``isinstance``.
PLATFORM_EVENTS: Final = (Connected, Start, Media, PlayedStream, ClearedAudio, Dtmf, Stop)

#: What the app sends the platform.
AppCommand: TypeAlias = PlayAudio | Checkpoint | ClearAudio | Stop | SendDtmf
#: The classes of :data:`AppCommand`, for ``isinstance``.
APP_COMMANDS: Final = (PlayAudio, Checkpoint, ClearAudio, Stop, SendDtmf)

#: Any parsed message.
Event: TypeAlias = PlatformEvent | AppCommand | UnknownEvent
