"""The bounds of one :class:`~audiofork.platform.PlatformStream`, and its counters.

Every buffer the app can fill is bounded in bytes:

- one app message: :attr:`PlatformLimits.max_message_bytes` (16 MiB), refused as
  ``too_large`` beyond;
- the playout queue: :attr:`PlatformLimits.max_queue_s` (10 minutes) of audio at the
  stream's rate, 2 bytes a sample (9.6 MB at 8 kHz, 28.8 MB at 24 kHz); a ``playAudio``
  that does not fit is dropped whole and counted (``overflow_ms``);
- what is owed to the app: checkpoints waiting for their audio plus answers
  (``playedStream``, ``clearedAudio``) waiting to leave share
  :attr:`PlatformLimits.max_answer_bytes` (4 MiB), each costing the size of its answer
  message; a checkpoint or ``clearAudio`` that would exceed it is refused at once
  (``checkpoint_limit``, ``answer_limit``), so everything accepted is answered;
- the send backlog (messages queued but not yet taken by ``data_to_send``):
  :attr:`PlatformLimits.max_send_backlog_bytes` (1 MiB); a media frame beyond it is
  dropped and counted (``media_dropped``), answers wait in the owed budget instead.

Answers leave paced: at most :attr:`PlatformLimits.answers_per_tick` messages or
:attr:`PlatformLimits.answer_bytes_per_tick` bytes per frame (at least one), after that
frame's media, so a flood of answers never holds media back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from audiofork._checks import check_int
from audiofork.errors import ArgumentError

__all__ = ["PlatformLimits", "PlatformStats"]


@dataclass(frozen=True)
class PlatformLimits:
    """The bounds of one stream; the defaults are the emulator's."""

    max_message_bytes: int = 16 << 20
    max_queue_s: float = 600.0
    max_answer_bytes: int = 4 << 20
    max_send_backlog_bytes: int = 1 << 20
    answers_per_tick: int = 200
    answer_bytes_per_tick: int = 64 << 10

    def __post_init__(self) -> None:
        check_int("max_message_bytes", self.max_message_bytes, 1)
        check_int("max_answer_bytes", self.max_answer_bytes, 1)
        check_int("max_send_backlog_bytes", self.max_send_backlog_bytes, 1)
        check_int("answers_per_tick", self.answers_per_tick, 1)
        check_int("answer_bytes_per_tick", self.answer_bytes_per_tick, 1)
        queue = self.max_queue_s
        if isinstance(queue, bool) or not isinstance(queue, (int, float)):
            raise TypeError(f"max_queue_s must be a number, got {queue!r}")
        if not 0 < queue <= 86400:
            raise ArgumentError(f"max_queue_s must be in (0, 86400], got {queue!r}")


@dataclass
class PlatformStats:
    """Counters of a stream; durations in ms of audio at the stream's rate.

    Every accepted checkpoint ends counted once: ``checkpoints_acknowledged`` (its
    ``playedStream`` was queued to send) or ``checkpoints_dropped`` (a clear or the stream's
    end came first); until then it is pending. Refused app messages are counted only in
    ``bad_frames``, by kind.
    """

    media_sent: dict[str, int] = field(default_factory=dict)  # per track
    media_dropped: int = 0  # media not queued: the send backlog was full
    play_audio_received: int = 0  # well-formed playAudio, queued or dropped for overflow
    bad_frames: dict[str, int] = field(default_factory=dict)  # refused app input, per kind
    played_ms: float = 0.0  # app audio the caller heard
    cleared_ms: float = 0.0  # app audio dropped by clearAudio before it played
    overflow_ms: float = 0.0  # app audio dropped because the playout queue was full
    checkpoints_received: int = 0
    checkpoints_acknowledged: int = 0
    checkpoints_dropped: int = 0  # by clearAudio or the stream's end, unanswered
    clears: int = 0
    clears_answered: int = 0
    clears_unanswered: int = 0  # clearedAudio never sent: the connection was lost first
    dtmf_sent: int = 0
    dtmf_dropped: int = 0  # keys pressed but not yet due when the stream ended

    def copy(self) -> PlatformStats:
        """A snapshot (the per-track and per-kind dicts copied too)."""
        return dataclasses.replace(
            self, media_sent=dict(self.media_sent), bad_frames=dict(self.bad_frames)
        )

    def add(self, other: PlatformStats) -> None:
        """Add ``other``'s counters to these (a stream's connections summed)."""
        for f in dataclasses.fields(PlatformStats):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for key, value in theirs.items():
                    mine[key] = mine.get(key, 0) + value
            else:
                setattr(self, f.name, mine + theirs)
