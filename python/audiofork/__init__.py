"""audiofork: fast, correct telephony audio streams for Python media servers."""

from __future__ import annotations

from audiofork._core import __version__
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
from audiofork.formats import MediaFormat

__all__ = [
    "ApiError",
    "AudioforkError",
    "BufferOverflowError",
    "CodecError",
    "FormatError",
    "MediaFormat",
    "ProtocolError",
    "SignatureError",
    "StreamStateError",
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
    "ulaw2lin",
    "ulaw_decode",
    "ulaw_encode",
]
