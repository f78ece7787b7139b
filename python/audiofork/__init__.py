"""audiofork: fast, correct telephony audio streams for Python media servers."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audiofork._core import (
        InboundDecoder,
        OutboundEncoder,
        Resampler,
        Ring,
        __version__,
        resample,
    )
    from audiofork.aio import AudioChunks, AudioStream, Utterance
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
        ArgumentError,
        AudioforkError,
        BufferOverflowError,
        CodecError,
        ConcurrentUseError,
        ErrorKind,
        FormatError,
        ProtocolError,
        SignatureError,
        StreamStateError,
        ValidationError,
    )
    from audiofork.events import (
        APP_COMMANDS,
        PLATFORM_EVENTS,
        AppCommand,
        Checkpoint,
        ClearAudio,
        ClearedAudio,
        Dtmf,
        Event,
        Media,
        PlatformEvent,
        PlayAudio,
        PlayedStream,
        Start,
        Stop,
        UnknownEvent,
    )
    from audiofork.formats import MediaFormat
    from audiofork.platform import PlatformStream
    from audiofork.session import (
        CheckpointOutcome,
        CheckpointResolved,
        CloseReason,
        StreamClosed,
        StreamSession,
        StreamState,
        UtteranceResolved,
        UtteranceState,
    )
    from audiofork.stats import InboundStats, OutboundStats
    from audiofork.wire import parse_message

#: Each public name → the module it comes from: imported on first use, so importing a
#: submodule alone (the pytest plugin, the errors) loads neither the Rust extension nor numpy.
_SOURCES = {
    "APP_COMMANDS": "audiofork.events",
    "ApiError": "audiofork.errors",
    "AppCommand": "audiofork.events",
    "ArgumentError": "audiofork.errors",
    "AudioChunks": "audiofork.aio",
    "AudioStream": "audiofork.aio",
    "AudioforkError": "audiofork.errors",
    "BufferOverflowError": "audiofork.errors",
    "Checkpoint": "audiofork.events",
    "CheckpointOutcome": "audiofork.session",
    "CheckpointResolved": "audiofork.session",
    "ClearAudio": "audiofork.events",
    "ClearedAudio": "audiofork.events",
    "CloseReason": "audiofork.session",
    "CodecError": "audiofork.errors",
    "ConcurrentUseError": "audiofork.errors",
    "Dtmf": "audiofork.events",
    "ErrorKind": "audiofork.errors",
    "Event": "audiofork.events",
    "FormatError": "audiofork.errors",
    "InboundDecoder": "audiofork._core",
    "InboundStats": "audiofork.stats",
    "Media": "audiofork.events",
    "MediaFormat": "audiofork.formats",
    "OutboundEncoder": "audiofork._core",
    "OutboundStats": "audiofork.stats",
    "PLATFORM_EVENTS": "audiofork.events",
    "PlatformEvent": "audiofork.events",
    "PlatformStream": "audiofork.platform",
    "PlayAudio": "audiofork.events",
    "PlayedStream": "audiofork.events",
    "ProtocolError": "audiofork.errors",
    "Resampler": "audiofork._core",
    "Ring": "audiofork._core",
    "SignatureError": "audiofork.errors",
    "Start": "audiofork.events",
    "Stop": "audiofork.events",
    "StreamClosed": "audiofork.session",
    "StreamSession": "audiofork.session",
    "StreamState": "audiofork.session",
    "StreamStateError": "audiofork.errors",
    "UnknownEvent": "audiofork.events",
    "Utterance": "audiofork.aio",
    "UtteranceResolved": "audiofork.session",
    "UtteranceState": "audiofork.session",
    "ValidationError": "audiofork.errors",
    "__version__": "audiofork._core",
    "alaw2lin": "audiofork.codec",
    "alaw_decode": "audiofork.codec",
    "alaw_encode": "audiofork.codec",
    "decode_payload": "audiofork.codec",
    "encode_payload": "audiofork.codec",
    "l16_decode": "audiofork.codec",
    "l16_encode": "audiofork.codec",
    "lin2alaw": "audiofork.codec",
    "lin2ulaw": "audiofork.codec",
    "parse_message": "audiofork.wire",
    "resample": "audiofork._core",
    "ulaw2lin": "audiofork.codec",
    "ulaw_decode": "audiofork.codec",
    "ulaw_encode": "audiofork.codec",
}

__all__ = [
    "APP_COMMANDS",
    "PLATFORM_EVENTS",
    "ApiError",
    "AppCommand",
    "ArgumentError",
    "AudioChunks",
    "AudioStream",
    "AudioforkError",
    "BufferOverflowError",
    "Checkpoint",
    "CheckpointOutcome",
    "CheckpointResolved",
    "ClearAudio",
    "ClearedAudio",
    "CloseReason",
    "CodecError",
    "ConcurrentUseError",
    "Dtmf",
    "ErrorKind",
    "Event",
    "FormatError",
    "InboundDecoder",
    "InboundStats",
    "Media",
    "MediaFormat",
    "OutboundEncoder",
    "OutboundStats",
    "PlatformEvent",
    "PlatformStream",
    "PlayAudio",
    "PlayedStream",
    "ProtocolError",
    "Resampler",
    "Ring",
    "SignatureError",
    "Start",
    "Stop",
    "StreamClosed",
    "StreamSession",
    "StreamState",
    "StreamStateError",
    "UnknownEvent",
    "Utterance",
    "UtteranceResolved",
    "UtteranceState",
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
    "resample",
    "ulaw2lin",
    "ulaw_decode",
    "ulaw_encode",
]


if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = _SOURCES.get(name)
        if module is None:
            raise AttributeError(f"module 'audiofork' has no attribute {name!r}")
        value = getattr(import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_SOURCES})
