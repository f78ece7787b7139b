"""What a stream keeps before ``start``: the platform's early media, the app's audio and
checkpoints.

Media that arrives before ``start`` is held, bounded in count and in bytes, and decoded once
``start`` names its format. Audio the app plays before ``start`` (with ``playback_format``
given) goes straight into the stream's own encoder, which checks it and counts it at once
but holds its frames until ``start`` gives the stream id; a checkpoint records how many
frames come before it. At ``start`` the encoder is addressed and the frames and checkpoint
messages leave in the order the app made them: each sample is encoded once.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass

from audiofork import wire
from audiofork._core import InboundDecoder, OutboundEncoder
from audiofork.dialects import Dialect
from audiofork.errors import AudioforkError
from audiofork.events import Media
from audiofork.session._outbox import Outbox
from audiofork.session._types import Pcm

__all__ = ["MAX_EARLY_MEDIA", "MAX_EARLY_MEDIA_BYTES", "EarlyCheckpoint", "PreStart"]

#: ``media`` messages held while waiting for ``start`` (the oldest beyond are dropped).
MAX_EARLY_MEDIA = 250
#: Memory those messages may take, in bytes (``sys.getsizeof``); the oldest beyond are
#: dropped, and a message larger than this on its own is dropped itself.
MAX_EARLY_MEDIA_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class EarlyCheckpoint:
    """``checkpoint(name)`` before ``start``: sent after the first ``frames`` frames."""

    name: str
    frames: int


class PreStart:
    """The early media and the app's audio and checkpoints, until ``start`` or the end."""

    __slots__ = ("_checkpoints", "_frame_ms", "encoder", "media", "media_bytes", "media_dropped")

    def __init__(self, encoder: OutboundEncoder | None, frame_ms: int) -> None:
        #: The stream's encoder, not yet addressed (``None`` while the format is unknown).
        self.encoder = encoder
        self._frame_ms = frame_ms
        self._checkpoints: list[EarlyCheckpoint] = []
        #: ``media`` messages held, oldest first.
        self.media: deque[str | bytes] = deque()
        #: Their size in memory (``sys.getsizeof``), at most :data:`MAX_EARLY_MEDIA_BYTES`.
        self.media_bytes = 0
        #: Messages dropped: beyond the bounds, or not decodable in the ``start`` format.
        self.media_dropped = 0

    # --- the platform's media ---------------------------------------------------------------

    def hold_media(self, message: str | bytes) -> None:
        """Keep a ``media`` message for ``start``, dropping the oldest beyond the bounds."""
        size = sys.getsizeof(message)
        if size > MAX_EARLY_MEDIA_BYTES:
            self.media_dropped += 1
            return
        media = self.media
        while len(media) >= MAX_EARLY_MEDIA or self.media_bytes + size > MAX_EARLY_MEDIA_BYTES:
            self.media_bytes -= sys.getsizeof(media.popleft())
            self.media_dropped += 1
        media.append(message)
        self.media_bytes += size

    def decode_media(self, decoder: InboundDecoder) -> list[Media]:
        """The media held, decoded in order, and forgotten; a message that does not decode
        in the ``start`` format is dropped and counted."""
        decoded = []
        media = self.media
        while media:
            message = media.popleft()
            try:
                event = decoder.decode_message(message)
            except AudioforkError:
                self.media_dropped += 1
                continue
            assert isinstance(event, Media)  # it parsed as media before start
            decoded.append(event)
        self.media_bytes = 0
        return decoded

    # --- the app's audio ----------------------------------------------------------------------

    @property
    def queued_ms(self) -> float:
        """Audio played so far, whole frames and the partial one."""
        return self.encoder.pending_ms if self.encoder is not None else 0.0

    @property
    def playable_ms(self) -> float:
        """Audio played so far in whole frames."""
        return self.encoder.held_frames * self._frame_ms if self.encoder is not None else 0.0

    def _audio(self) -> OutboundEncoder:
        assert self.encoder is not None, "the session refuses audio while the format is unknown"
        return self.encoder

    def play(self, pcm: Pcm, sample_rate: int) -> None:
        """Encode ``pcm`` now (refused at once if bad), for sending at ``start``."""
        self._audio().push(pcm, sample_rate)

    def flush(self) -> None:
        """End an utterance (see :meth:`OutboundEncoder.flush`)."""
        self._audio().flush()

    def checkpoint(self, name: str) -> float:
        """Record a checkpoint after the audio played so far, padded to a whole frame;
        returns its position. ``ArgumentError`` if the name cannot be sent."""
        encoder = self._audio()
        wire.checkpoint("", name)  # refuses the name now rather than at start
        encoder.pad_frame()
        frames = encoder.held_frames
        self._checkpoints.append(EarlyCheckpoint(name, frames))
        return float(frames * self._frame_ms)

    def clear(self) -> float:
        """Drop the audio and checkpoints kept; returns the ms of audio dropped."""
        self._checkpoints.clear()
        if self.encoder is None:
            return 0.0
        dropped = self.encoder.pending_ms
        self.encoder.clear()
        return dropped

    # --- start, or the end --------------------------------------------------------------------

    def begin(
        self, stream_id: str, outbox: Outbox, dialect: Dialect = Dialect.VOBIZ
    ) -> OutboundEncoder | None:
        """``start`` arrived: the frames and checkpoints kept go to ``outbox`` in order;
        returns the encoder, now addressed, for the rest of the stream."""
        # Built first: nothing can fail once the frames leave the encoder.
        texts = [
            wire.checkpoint(stream_id, mark.name, dialect=dialect) for mark in self._checkpoints
        ]
        encoder, self.encoder = self.encoder, None
        frames = encoder.address(stream_id, dialect) if encoder is not None else []
        sent = 0
        for mark, text in zip(self._checkpoints, texts, strict=True):
            outbox.add_frames(frames[sent : mark.frames])
            outbox.add_checkpoint(text)
            sent = mark.frames
        outbox.add_frames(frames[sent:])
        self._checkpoints.clear()
        return encoder

    def discard(self) -> None:
        """The stream ended before ``start``: forget everything kept."""
        self.encoder = None
        self._checkpoints.clear()
        self.media.clear()
        self.media_bytes = 0
