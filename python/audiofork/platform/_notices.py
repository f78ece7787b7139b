"""What :class:`~audiofork.platform.PlatformStream` reports back to its driver.

:meth:`~audiofork.platform.PlatformStream.receive` and the closing commands return lists of
notices; :meth:`~audiofork.platform.PlatformStream.tick` returns a :class:`Frame` that
carries the frame's audio and its notices. Notices are plain frozen dataclasses, made for
``match`` statements, event logs and status callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from audiofork.formats import MediaFormat

__all__ = [
    "AudioCleared",
    "AudioQueued",
    "BadInput",
    "CheckpointAnswered",
    "CheckpointReceived",
    "ClearAnswered",
    "Degraded",
    "Frame",
    "Notice",
    "Pcm",
    "StopReceived",
    "Track",
]

Pcm: TypeAlias = npt.NDArray[np.int16]
Track: TypeAlias = Literal["inbound", "outbound"]


@dataclass(frozen=True, slots=True)
class AudioQueued:
    """A ``playAudio`` was accepted: ``duration_ms`` of audio joined the playout queue,
    which now holds ``queued_ms``."""

    media_format: MediaFormat
    duration_ms: float
    queued_ms: float


@dataclass(frozen=True, slots=True)
class CheckpointReceived:
    """A ``checkpoint`` was accepted; it is answered once the audio queued before it has
    played (a :class:`CheckpointAnswered` follows, or its drop is counted by a clear or the
    stream's end)."""

    name: str


@dataclass(frozen=True, slots=True)
class CheckpointAnswered:
    """The ``playedStream`` answering checkpoint ``name`` is queued to send."""

    name: str


@dataclass(frozen=True, slots=True)
class AudioCleared:
    """A ``clearAudio`` dropped ``cleared_ms`` of queued audio and ``checkpoints_dropped``
    pending checkpoints (never answered; on Twilio none: each is echoed)."""

    cleared_ms: float
    checkpoints_dropped: int


@dataclass(frozen=True, slots=True)
class ClearAnswered:
    """The ``clearedAudio`` answering a ``clearAudio`` is queued to send."""


@dataclass(frozen=True, slots=True)
class StopReceived:
    """The app sent ``stop``: the stream is closed; send what is queued, then close."""


@dataclass(frozen=True, slots=True)
class BadInput:
    """An app message was refused and left no trace. ``kind`` is machine-readable
    (``bad_json``, ``bad_rate``, ``checkpoint_limit``, …: the kinds are listed in
    :mod:`audiofork.platform`);
    ``detail`` is for people, at most a few hundred characters."""

    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Degraded:
    """The platform could not do all it should: ``overflow`` (a ``playAudio`` did not fit
    the playout queue and was dropped whole) or ``send_backlog`` (a media frame was dropped
    because the send backlog is full: the app is not reading)."""

    kind: Literal["overflow", "send_backlog"]
    detail: str


#: Everything the stream reports.
Notice: TypeAlias = (
    AudioQueued
    | CheckpointReceived
    | CheckpointAnswered
    | AudioCleared
    | ClearAnswered
    | StopReceived
    | BadInput
    | Degraded
)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame boundary (:meth:`~audiofork.platform.PlatformStream.tick`).

    ``sent`` is the audio each forked track carried in this frame (also when its ``media``
    message was dropped for the send backlog); ``played`` is the frame the caller's
    loudspeaker has just finished, silence where no app audio was queued, of which
    ``played_samples`` samples were app audio. ``timestamp_ms`` is the frame's ``media``
    timestamp: the start of its period.
    """

    index: int
    timestamp_ms: int
    sent: dict[Track, Pcm]
    played: Pcm
    played_samples: int
    notices: list[Notice]
