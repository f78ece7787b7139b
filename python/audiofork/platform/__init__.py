"""The platform's role of an audio stream, without I/O: :class:`PlatformStream`.

:class:`~audiofork.session.StreamSession` is the app's half of the protocol; this is the
platform's (Vobiz's) half, for anything that plays the platform: the emulator, a scripted
caller, a load generator, a softphone. Each brings its own socket and clock: it calls
:meth:`~PlatformStream.start`, then :meth:`~PlatformStream.tick` at every 20 ms frame
boundary and :meth:`~PlatformStream.receive` for every app message, and sends what
:meth:`~PlatformStream.data_to_send` returns, in order. The caller's voice is pushed with
:meth:`~PlatformStream.send_audio` (or read from a :class:`TrackSource` per track, such as a
:class:`TalkOver`: a recording with speech pushed over it); keys with
:meth:`~PlatformStream.press`; what the caller hears comes back in each :class:`Frame`.
``docs/platform.md`` has a worked example.

The stream owns the rules: the playout of the app's audio; checkpoints, answered once all
audio queued before them has played (at once when nothing is queued or playing); clears,
which drop the queue and the pending checkpoints and are answered; and the refusal of bad
input. A refused message is reported as :class:`BadInput` with a machine-readable kind,
counted in :attr:`PlatformStats.bad_frames`, and leaves no trace:

- ``binary``: a binary WebSocket frame;
- what the parser or codec refused, by the error's :attr:`~audiofork.AudioforkError.kind`:
  ``bad_json``, ``too_deep``, ``too_large``, ``bad_encoding`` or ``bad_rate`` (a format
  ``playAudio`` cannot carry), ``bad_base64``, ``odd_length``, ``field_missing``,
  ``wrong_type``, …;
- ``unexpected_event``: a message only the platform sends, or an unknown event;
- ``not_bidirectional``: ``playAudio``, ``checkpoint`` or ``clearAudio`` on a one-way stream;
- ``unsupported``: Plivo's ``sendDTMF`` (playing digits into the call is not emulated);
- ``checkpoint_limit``, ``answer_limit``: a checkpoint or clear whose answer would not fit
  what the stream may owe the app (:class:`PlatformLimits`).

Everything the app can fill is bounded in bytes (:class:`PlatformLimits`), and every
checkpoint accepted is answered or counted as dropped by a clear or the stream's end.
"""

from __future__ import annotations

from audiofork.platform._audio_queue import AudioQueue, PcmInput, TrackSource
from audiofork.platform._keypad import DTMF_DIGITS, MAX_PENDING_KEYS, check_digits
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
from audiofork.platform._stream import (
    DTMF_SPACING_MS,
    FRAME_MS,
    MAX_DTMF_SPACING_MS,
    PlatformState,
    PlatformStream,
)
from audiofork.platform._talk_over import TALK_MODES, TalkMode, TalkOver, check_talk_mode

__all__ = [
    "DTMF_DIGITS",
    "DTMF_SPACING_MS",
    "FRAME_MS",
    "MAX_DTMF_SPACING_MS",
    "MAX_PENDING_KEYS",
    "TALK_MODES",
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
    "TalkMode",
    "TalkOver",
    "Track",
    "TrackSource",
    "check_digits",
    "check_talk_mode",
]
