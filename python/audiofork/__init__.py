"""audiofork: fast, correct telephony audio streams for Python media servers."""

from __future__ import annotations

from audiofork._core import Ring, __version__
from audiofork.codec import (
    alaw2lin,
    alaw_decode,
    alaw_encode,
    decode_payload,
    encode_payload,
    l16_decode,
    l16_encode,
    lin2alaw,
    lin2ulaw,
    ulaw2lin,
    ulaw_decode,
    ulaw_encode,
)
from audiofork.errors import (
    ApiError,
    AudioforkError,
    BufferOverflowError,
    CodecError,
    FormatError,
    ProtocolError,
    SignatureError,
    StreamStateError,
    ValidationError,
)
from audiofork.events import (
    Checkpoint,
    ClearAudio,
    ClearedAudio,
    Dtmf,
    Event,
    Media,
    PlayAudio,
    PlayedStream,
    Start,
    Stop,
    UnknownEvent,
)
from audiofork.formats import MediaFormat
from audiofork.wire import parse_message

__all__ = [
    "ApiError",
    "AudioforkError",
    "BufferOverflowError",
    "Checkpoint",
    "ClearAudio",
    "ClearedAudio",
    "CodecError",
    "Dtmf",
    "Event",
    "FormatError",
    "Media",
    "MediaFormat",
    "PlayAudio",
    "PlayedStream",
    "ProtocolError",
    "Ring",
    "SignatureError",
    "Start",
    "Stop",
    "StreamStateError",
    "UnknownEvent",
    "ValidationError",
    "__version__",
    "alaw2lin",
    "alaw_decode",
    "alaw_encode",
    "decode_payload",
    "encode_payload",
    "l16_decode",
    "l16_encode",
    "lin2alaw",
    "lin2ulaw",
    "parse_message",
    "ulaw2lin",
    "ulaw_decode",
    "ulaw_encode",
]
