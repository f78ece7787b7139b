"""The platform's role of an audio stream, without I/O: :class:`PlatformStream`.

:class:`~audiofork.session.StreamSession` is the app's half of the protocol; this is the
platform's (Vobiz's) half, for anything that plays the platform: the emulator, a scripted
caller, a load generator, a softphone. Each brings its own socket and clock::

    stream = PlatformStream(
        "audio/x-mulaw;rate=8000", stream_id="s1", call_id="c1", bidirectional=True
    )
    stream.start()
    stream.send_audio(pcm, 16000)          # the caller speaks (any rate, any chunking)
    ws.send_all(stream.data_to_send())     # start
    every 20 ms:
        frame = stream.tick()              # media out, playout one frame on
        speaker.play(frame.played)         # what the caller hears now
        ws.send_all(stream.data_to_send())
    for each message from the app:
        for notice in stream.receive(message): ...
        ws.send_all(stream.data_to_send())

It owns the playout, checkpoints, clears and the refusal of bad input (every refusal
counted by kind, leaving no trace), and keeps everything the app can fill bounded in bytes
(:class:`PlatformLimits`).
"""

from __future__ import annotations

from audiofork.platform._audio_queue import AudioQueue, PcmInput, TrackSource
from audiofork.platform._limits import PlatformLimits, PlatformStats
from audiofork.platform._notices import (
    AudioCleared,
    AudioQueued,
    BadInput,
    CheckpointAnswered,
    CheckpointReceived,
    ClearAnswered,
    Degraded,
    Frame,
    Notice,
    Pcm,
    StopReceived,
    Track,
)
from audiofork.platform._stream import FRAME_MS, PlatformState, PlatformStream

__all__ = [
    "FRAME_MS",
    "AudioCleared",
    "AudioQueue",
    "AudioQueued",
    "BadInput",
    "CheckpointAnswered",
    "CheckpointReceived",
    "ClearAnswered",
    "Degraded",
    "Frame",
    "Notice",
    "Pcm",
    "PcmInput",
    "PlatformLimits",
    "PlatformState",
    "PlatformStats",
    "PlatformStream",
    "StopReceived",
    "Track",
    "TrackSource",
]
