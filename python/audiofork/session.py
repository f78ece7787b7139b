"""``StreamSession``: one audio stream's protocol state, without I/O (like h11 or wsproto).

Feed each WebSocket message the platform sends to :meth:`StreamSession.receive` and act on
the events it returns; call :meth:`~StreamSession.play`, :meth:`~StreamSession.checkpoint`,
:meth:`~StreamSession.clear` and friends to speak, then send every string
:meth:`~StreamSession.data_to_send` returns, in order. The session never touches a socket or
an event loop; time comes from the injected ``clock``.

It knows what the caller actually heard: audio queued (sent or about to be), audio confirmed
played by ``playedStream``, and an estimate in between (:meth:`~StreamSession.heard_ms`).
Every checkpoint resolves exactly once, as ``played``, ``cleared`` or ``closed``.
"""

from __future__ import annotations

import functools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from audiofork import wire
from audiofork._checks import check_int
from audiofork._core import InboundDecoder, OutboundEncoder
from audiofork._playback import Playback
from audiofork.errors import AudioforkError, FormatError, ProtocolError, StreamStateError
from audiofork.events import (
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
from audiofork.formats import ALLOWED_RATES, MediaFormat

__all__ = [
    "CheckpointOutcome",
    "CheckpointResolved",
    "CloseReason",
    "Pcm",
    "SessionEvent",
    "StreamClosed",
    "StreamSession",
    "StreamState",
]

#: How long ``hold_after_clear`` holds new audio when no ``clearedAudio`` arrives.
HOLD_AFTER_CLEAR_S = 1.0
#: ``media`` messages held while waiting for ``start`` (the oldest beyond are dropped).
MAX_EARLY_MEDIA = 250

#: PCM accepted by :meth:`StreamSession.play`: int16 or float32 arrays, little-endian int16 bytes.
Pcm: TypeAlias = npt.NDArray[np.int16] | npt.NDArray[np.float32] | bytes | bytearray | memoryview

# What playAudio can carry: L16 and μ-law (not A-law), at the rates each allows.
_PLAYABLE = {
    (mime, rate) for mime in ("audio/x-l16", "audio/x-mulaw") for rate in ALLOWED_RATES[mime]
}


class StreamState(str, Enum):
    """Where a stream stands."""

    AWAITING_START = "awaiting_start"
    STREAMING = "streaming"
    CLOSED = "closed"


class CheckpointOutcome(str, Enum):
    """How a checkpoint resolved."""

    #: The platform confirmed everything queued before it played (``playedStream``).
    PLAYED = "played"
    #: A clear dropped the audio before it was confirmed.
    CLEARED = "cleared"
    #: The stream ended (stop, close or lost connection) before it was confirmed.
    CLOSED = "closed"


class CloseReason(str, Enum):
    """Why a stream ended; also the session's closing triggers."""

    STOP_RECEIVED = "stop_received"
    STOPPED = "stopped"
    CLOSED = "closed"
    CONNECTION_LOST = "connection_lost"


@dataclass(frozen=True, slots=True)
class CheckpointResolved:
    """A checkpoint left the pending set.

    ``played_ms`` is the playback position (ms since the stream started) it resolved at: the
    checkpoint's own position when played, the heard estimate when cleared or closed.
    """

    name: str
    outcome: CheckpointOutcome
    played_ms: float


@dataclass(frozen=True, slots=True)
class StreamClosed:
    """The stream ended; always the last event of a session."""

    reason: CloseReason


#: Everything :meth:`StreamSession.receive` and the closing calls return.
SessionEvent: TypeAlias = (
    Start
    | Media
    | PlayedStream
    | ClearedAudio
    | Dtmf
    | Stop
    | UnknownEvent
    | CheckpointResolved
    | StreamClosed
)

_Trigger: TypeAlias = "CloseReason | type[Start]"

# The whole state machine: (state, trigger) -> next state. Anything else is not allowed.
_TRANSITIONS: dict[tuple[StreamState, _Trigger], StreamState] = {
    (StreamState.AWAITING_START, Start): StreamState.STREAMING,
    **{(StreamState.AWAITING_START, reason): StreamState.CLOSED for reason in CloseReason},
    **{(StreamState.STREAMING, reason): StreamState.CLOSED for reason in CloseReason},
}

_APP_MESSAGES = (PlayAudio, Checkpoint, ClearAudio)
# Enum member lookups go through a descriptor on Python 3.11; the per-frame paths use this.
_CLOSED = StreamState.CLOSED


def _playable(media_format: MediaFormat) -> bool:
    return (media_format.encoding, media_format.sample_rate) in _PLAYABLE


class StreamSession:
    """One stream's state machine, playback truth and outbox. Not thread-safe.

    Args:
        app_rate: sample rate of the PCM in inbound ``Media`` events.
        app_dtype: ``"int16"`` or ``"float32"`` for that PCM.
        playback_format: the ``playAudio`` format. ``None`` uses the ``start`` format when
            ``playAudio`` can carry it (L16 at 8, 16 or 24 kHz, or μ-law at 8 kHz).
        frame_ms: duration of each ``playAudio`` frame.
        quality: resampler quality, ``"default"`` or ``"high"``.
        hold_after_clear: after :meth:`clear`, hold new audio until ``clearedAudio`` answers
            it (and every earlier clear) or one second passes, so it cannot race the
            platform's flush.
        clock: monotonic seconds; injected so tests drive time.
    """

    def __init__(
        self,
        app_rate: int = 16000,
        app_dtype: Literal["int16", "float32"] = "int16",
        playback_format: MediaFormat | None = None,
        frame_ms: int = 20,
        quality: Literal["default", "high"] = "default",
        hold_after_clear: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if playback_format is not None and not isinstance(playback_format, MediaFormat):
            raise TypeError(
                f"playback_format must be a MediaFormat or None, got {playback_format!r}"
            )
        if not callable(clock):
            raise TypeError(f"clock must be a callable returning seconds, got {clock!r}")
        if not isinstance(hold_after_clear, bool):
            raise TypeError(f"hold_after_clear must be a bool, got {hold_after_clear!r}")
        if playback_format is not None and not _playable(playback_format):
            raise FormatError(
                f"playback_format: {playback_format.content_type} cannot be sent in playAudio"
                " (L16 at 8000, 16000 or 24000 Hz, or μ-law at 8000 Hz)"
            )
        check_int("app_rate", app_rate, 1)
        check_int("frame_ms", frame_ms, 1)
        if app_dtype not in ("int16", "float32"):
            if not isinstance(app_dtype, str):
                raise TypeError(f"app_dtype must be a str, got {app_dtype!r}")
            raise FormatError(f"app_dtype must be 'int16' or 'float32', got {app_dtype!r}")
        # The core checks the rest; building once here reports bad values at once.
        probe = MediaFormat("audio/x-mulaw", 8000)
        InboundDecoder(probe, app_rate, app_dtype, quality=quality)
        OutboundEncoder(playback_format or probe, "", frame_ms, quality=quality)
        self.app_rate = app_rate
        self.app_dtype = app_dtype
        self.frame_ms = frame_ms
        self.quality = quality
        self.hold_after_clear = hold_after_clear
        #: The injected clock (monotonic seconds).
        self.clock = clock
        self._requested_format = playback_format
        self._state = StreamState.AWAITING_START
        self._start: Start | None = None
        self._decoder: InboundDecoder | None = None
        self._encoder: OutboundEncoder | None = None
        self._playback = Playback(clock)
        self._outbox: list[str] = []
        # Held after a clear until clearedAudio or the deadline: (text, ms of audio).
        self._held: list[tuple[str, float]] = []
        # Checkpoints marked whose message is not in the outbox yet (held, or before start):
        # the platform cannot have played them, whatever a stale playedStream says.
        self._unsent: set[str] = set()
        self._hold_until: float | None = None
        # clearAudio messages sent that no clearedAudio answered yet; the hold waits for all.
        self._clears_unanswered = 0
        # Before start: media messages, and the app's play/flush/checkpoint calls to replay.
        self._early_media: deque[str | bytes] = deque(maxlen=MAX_EARLY_MEDIA)
        self._early_calls: list[Callable[[], None]] = []
        # Before start, the app's audio also goes through an encoder without a stream id:
        # it refuses bad calls at once and counts what is queued (ms in whole frames).
        self._early_encoder: OutboundEncoder | None = None
        self._early_ms = 0.0
        self._next_checkpoint = 1
        self._expected_sequence: int | None = None
        self._close_reason: CloseReason | None = None
        self._messages = self._media = self._frames = 0
        self._stats = dict.fromkeys(
            (
                "sequence_gaps",
                "sequence_duplicates",
                "early_media_dropped",
                "unmatched_played",
                "ignored_after_close",
            ),
            0,
        )
        self._cleared_ms = 0.0

    # --- state -------------------------------------------------------------------------

    @property
    def state(self) -> StreamState:
        """``AWAITING_START``, ``STREAMING`` or ``CLOSED``."""
        return self._state

    @property
    def closed(self) -> bool:
        """The stream ended (``state`` is ``CLOSED``)."""
        return self._state is _CLOSED

    @property
    def start(self) -> Start | None:
        """The ``start`` event, once received."""
        return self._start

    @property
    def stream_id(self) -> str | None:
        """The platform's stream id, once ``start`` arrived."""
        return self._start.stream_id if self._start is not None else None

    @property
    def close_reason(self) -> CloseReason | None:
        """Why the stream ended, once it did."""
        return self._close_reason

    @property
    def playback_format(self) -> MediaFormat | None:
        """The ``playAudio`` format: given, or taken from ``start``; ``None`` if not known."""
        if self._encoder is not None:
            return self._encoder.media_format
        return self._requested_format

    @property
    def has_data_to_send(self) -> bool:
        """Whether :meth:`data_to_send` may return anything: the outbox has messages, or
        audio is held after a clear (its release may be due)."""
        return bool(self._outbox) or self._hold_until is not None

    @property
    def hold_deadline(self) -> float | None:
        """Clock time at which audio held after a clear is released anyway, while holding.

        Nothing runs on its own: the release happens in the first :meth:`data_to_send`,
        :meth:`receive`, :meth:`play`, :meth:`flush` or :meth:`checkpoint` call at or after
        this time, so a driver with no other traffic calls :meth:`data_to_send` then
        (``AudioStream`` does).
        """
        return self._hold_until

    @property
    def stats(self) -> dict[str, float]:
        """Counters: messages, media, sequence gaps and duplicates, drops, frames, cleared ms.

        ``frames`` counts ``playAudio`` frames put in the outbox, not those held after a
        clear and then dropped; ``cleared_ms`` is the audio a clear dropped.
        """
        counts = {"messages": self._messages, "media": self._media, "frames": self._frames}
        return {**counts, **self._stats, "cleared_ms": self._cleared_ms}

    def _transition(self, trigger: _Trigger) -> None:
        try:
            self._state = _TRANSITIONS[(self._state, trigger)]
        except KeyError:
            what = "start" if trigger is Start else trigger
            raise ProtocolError(
                f"event: {what!s} is not allowed in state {self._state.value}"
            ) from None

    # --- playback truth ------------------------------------------------------------------

    @property
    def queued_ms(self) -> float:
        """End of the playback timeline: audio played, playing or waiting to play.

        Counts audio sent, held after a clear, kept before ``start``, and not yet cut into
        frames; a :meth:`clear` cuts it back to the heard estimate.
        """
        encoder = self._encoder
        pending = encoder.pending_ms if encoder is not None else self._early_queued_ms()
        return self._playback.sent_ms + self._held_ms() + pending

    @property
    def playable_ms(self) -> float:
        """:attr:`queued_ms` less the partial frame kept until more audio, flush or checkpoint.

        What will play without another call: pacing waits on this, since the partial frame
        never plays on its own.
        """
        return self._playback.sent_ms + self._held_ms() + self._early_ms

    @property
    def played_ms(self) -> float:
        """Position confirmed by the platform (``playedStream`` of a checkpoint)."""
        return self._playback.played_ms

    def heard_ms(self) -> float:
        """Estimated position: the last known one plus the time since, capped at what was sent.

        The last known position is the one a ``playedStream`` confirmed, or the end of the
        audio when more is sent after the platform's queue ran dry (playout resumes then).

        Right after :meth:`clear` this is how much of the timeline the caller heard; it then
        stays put until new audio is sent. Once the stream ended it stays put for good.
        """
        return self._playback.heard_ms()

    @property
    def pending_checkpoints(self) -> tuple[str, ...]:
        """Names of checkpoints not yet resolved, oldest first."""
        return tuple(self._playback.pending)

    def _held_ms(self) -> float:
        return sum(ms for _, ms in self._held)

    def _early_queued_ms(self) -> float:
        if self._early_encoder is None:
            return 0.0
        return self._early_ms + self._early_encoder.pending_ms

    # --- inbound ---------------------------------------------------------------------------

    def receive(self, message: str | bytes) -> list[SessionEvent]:
        """Events for one platform message; ``ProtocolError`` (state unchanged) if malformed.

        ``media`` before ``start`` is held (the oldest beyond a bound dropped) and returned,
        decoded, with the ``start`` event. Messages after the stream closed are ignored.
        """
        if self._state is _CLOSED:
            self._stats["ignored_after_close"] += 1
            return []
        if self._decoder is None:
            event = wire.parse_message(message)
            if isinstance(event, Media):
                if len(self._early_media) == self._early_media.maxlen:
                    self._stats["early_media_dropped"] += 1
                self._early_media.append(message)
                return []
        else:
            event = self._decoder.decode_message(message)
        if self._hold_until is not None:
            self._release_if_due()
        if type(event) is Media:  # the hot path, _count inlined: one per 20 ms per track
            self._messages += 1
            self._media += 1
            sequence = event.sequence_number
            if sequence is not None:
                if sequence == self._expected_sequence:
                    self._expected_sequence = sequence + 1
                else:
                    self._check_sequence(sequence)
            return [event]
        if isinstance(event, _APP_MESSAGES):
            raise ProtocolError(f"event: {type(event).EVENT!r} is sent by the app, not received")
        if isinstance(event, Start):
            return self._on_start(event)
        self._count(event)
        events: list[SessionEvent] = [event]
        if isinstance(event, PlayedStream):
            unsent = event.name in self._unsent
            resolved = [] if unsent else self._playback.confirm(event.name)
            if not resolved:
                self._stats["unmatched_played"] += 1
            events += [CheckpointResolved(n, CheckpointOutcome.PLAYED, p) for n, p in resolved]
        elif isinstance(event, ClearedAudio):
            self._clears_unanswered = max(self._clears_unanswered - 1, 0)
            if self._hold_until is not None and not self._clears_unanswered:
                self._release()
        elif isinstance(event, Stop):
            events += self._end(CloseReason.STOP_RECEIVED)
        return events

    def _count(self, event: SessionEvent) -> None:
        self._messages += 1
        if type(event) is Media:
            self._media += 1
        sequence = getattr(event, "sequence_number", None)
        if sequence is not None:
            self._check_sequence(sequence)

    def _check_sequence(self, sequence: int) -> None:
        expected = self._expected_sequence
        if expected is not None and sequence != expected:
            if sequence < expected:
                self._stats["sequence_duplicates"] += 1
                return
            self._stats["sequence_gaps"] += sequence - expected
        self._expected_sequence = sequence + 1

    def _on_start(self, start: Start) -> list[SessionEvent]:
        media_format = self._requested_format
        if media_format is None and _playable(start.media_format):
            media_format = start.media_format
        decoder = InboundDecoder(
            start.media_format, self.app_rate, self.app_dtype, quality=self.quality
        )
        encoder = None
        if media_format is not None:
            encoder = OutboundEncoder(
                media_format, start.stream_id, self.frame_ms, quality=self.quality
            )
        self._transition(Start)  # refuses a second start before anything changed
        self._start, self._decoder, self._encoder = start, decoder, encoder
        self._count(start)
        calls, self._early_calls = self._early_calls, []
        self._drop_early()
        events: list[SessionEvent] = [start]
        while self._early_media:
            try:
                media = decoder.decode_message(self._early_media.popleft())
            except AudioforkError:
                self._stats["early_media_dropped"] += 1
                continue
            assert isinstance(media, Media)  # it parsed as media before start
            self._count(media)
            events.append(media)
        for call in calls:
            call()
        return events

    # --- outbound --------------------------------------------------------------------------

    def _require_playback(self, what: str) -> None:
        if self._state is _CLOSED:
            reason = self._close_reason.value if self._close_reason else "closed"
            raise StreamStateError(f"cannot {what}: the stream is closed ({reason})")
        if self._encoder is None and self._requested_format is None:
            if self._state is StreamState.AWAITING_START:
                raise StreamStateError(
                    f"cannot {what} before start: the playback format is not known yet"
                    " (pass playback_format, or wait for the start event)"
                )
            assert self._start is not None
            raise StreamStateError(
                f"cannot {what}: start.mediaFormat {self._start.media_format.content_type}"
                " cannot be sent in playAudio; pass playback_format"
            )

    def play(self, pcm: Pcm, sample_rate: int) -> None:
        """Queue PCM of any rate and length; whole ``frame_ms`` frames go to the outbox.

        Before ``start`` (with ``playback_format`` given) the audio is checked and counted
        in :attr:`queued_ms` at once, kept, and sent once ``start`` arrives.
        ``StreamStateError`` on a closed stream.
        """
        encoder = self._encoder
        if encoder is None or self._state is _CLOSED:
            self._require_playback("play")
            check_int("sample_rate", sample_rate, 1)
            self._early_ms += len(self._early_queue().push(pcm, sample_rate)) * self.frame_ms
            copy = pcm.copy() if isinstance(pcm, np.ndarray) else bytes(pcm)
            self._early_calls.append(functools.partial(self.play, copy, sample_rate))
            return
        if self._hold_until is not None:
            self._release_if_due()
        try:
            frames = encoder.push(pcm, sample_rate)
        except TypeError:
            check_int("sample_rate", sample_rate, 1)  # name the field if the rate is wrong
            raise
        self._emit_frames(frames)

    def flush(self) -> None:
        """End an utterance: send the resampler's delay tail and the partial frame, padded
        with silence to a whole frame."""
        self._require_playback("flush")
        if self._encoder is None:
            self._flush_early()
            self._early_calls.append(self.flush)
            return
        self._release_if_due()
        self._emit_frames(self._encoder.flush())

    def checkpoint(self, name: str | None = None) -> str:
        """Mark the current end of playback; returns the name (``cp-1``, …).

        A partial frame queued is sent first, padded with silence to a whole frame; unlike
        :meth:`flush`, the resampler keeps its history, so audio played after a checkpoint
        continues seamlessly and adds nothing when the app plays whole frames. When the app
        rate differs from the wire rate, the last few ms played (the resampler's delay) are
        still inside it, so ``played`` comes that much before they are heard.

        The checkpoint resolves (see :class:`CheckpointResolved`) as ``played`` when the
        platform confirms it, else ``cleared`` or ``closed``, exactly once. The platform
        answers by name only, so a name reused while a late ``playedStream`` for its earlier
        use may still arrive is ambiguous; the automatic names never repeat one another.
        """
        self._require_playback("checkpoint")
        if name is None:
            name = f"cp-{self._next_checkpoint}"
            while name in self._playback.pending:
                self._next_checkpoint += 1
                name = f"cp-{self._next_checkpoint}"
            self._next_checkpoint += 1
        elif not isinstance(name, str):
            raise TypeError(f"checkpoint name must be a str, got {name!r}")
        elif not name:
            raise ProtocolError("checkpoint.name must not be empty")
        elif name in self._playback.pending:
            raise StreamStateError(f"checkpoint name {name!r} is already pending")
        if self._encoder is None:
            self._early_ms += len(self._early_queue().pad_frame()) * self.frame_ms
            self._playback.mark(name, self._early_ms)  # placed for real when start arrives
            self._unsent.add(name)
            self._early_calls.append(functools.partial(self._send_checkpoint, name))
        else:
            self._send_checkpoint(name)
        return name

    def _send_checkpoint(self, name: str) -> None:
        assert self._encoder is not None
        self._release_if_due()
        self._emit_frames(self._encoder.pad_frame())
        self._playback.mark(name, self._playback.sent_ms + self._held_ms())
        if self._hold_until is None:
            self._unsent.discard(name)
        else:
            self._unsent.add(name)
        self._emit(wire.checkpoint(self._encoder.stream_id, name), 0.0)

    def clear(self) -> list[SessionEvent]:
        """Drop all queued audio (``clearAudio``); pending checkpoints resolve ``cleared``.

        With ``hold_after_clear``, audio played next is held until a ``clearedAudio`` has
        answered each clear or one second passes. Does nothing on a closed stream.
        """
        if self._state is _CLOSED:
            return []
        resolved = self._resolve_all(CheckpointOutcome.CLEARED)
        self._cleared_ms += self._drop_early()
        if self._encoder is not None:
            # pending_ms, not clear()'s whole-ms count, so queued_ms falls by exactly this.
            self._cleared_ms += self._encoder.pending_ms + self._held_ms()
            self._encoder.clear()
            self._held.clear()
            self._cleared_ms += self._playback.cut()
            self._outbox.append(wire.clear_audio(self._encoder.stream_id))
            self._clears_unanswered += 1
            if self.hold_after_clear:
                self._hold_until = self.clock() + HOLD_AFTER_CLEAR_S
        return resolved

    def stop(self) -> list[SessionEvent]:
        """Ask the platform to end the stream (``stop``) and close the session."""
        if self._state is _CLOSED:
            return []
        if self._start is not None:
            self._outbox.append(wire.stop(self._start.stream_id))
        return self._end(CloseReason.STOPPED)

    def close(self) -> list[SessionEvent]:
        """Close the session (sending nothing); pending checkpoints resolve ``closed``."""
        if self._state is _CLOSED:
            return []
        return self._end(CloseReason.CLOSED)

    def connection_lost(self) -> list[SessionEvent]:
        """The socket is gone: unsent messages are dropped, checkpoints resolve ``closed``."""
        self._outbox.clear()
        if self._state is _CLOSED:
            return []
        return self._end(CloseReason.CONNECTION_LOST)

    def _end(self, reason: CloseReason) -> list[SessionEvent]:
        self._transition(reason)
        self._close_reason = reason
        events = self._resolve_all(CheckpointOutcome.CLOSED)
        self._playback.stop()
        self._held.clear()
        self._hold_until = None
        self._drop_early()
        self._early_media.clear()
        events.append(StreamClosed(reason))
        return events

    def _resolve_all(self, outcome: CheckpointOutcome) -> list[SessionEvent]:
        self._unsent.clear()
        return [CheckpointResolved(n, outcome, p) for n, p in self._playback.drop_pending()]

    def data_to_send(self) -> list[str]:
        """Wire messages to send, in order; drains the outbox."""
        if self._hold_until is not None:
            self._release_if_due()
        out, self._outbox = self._outbox, []
        return out

    # --- before start ----------------------------------------------------------------------

    def _early_queue(self) -> OutboundEncoder:
        if self._early_encoder is None:
            assert self._requested_format is not None  # checked by _require_playback
            self._early_encoder = OutboundEncoder(
                self._requested_format, "", self.frame_ms, quality=self.quality
            )
        return self._early_encoder

    def _flush_early(self) -> None:
        self._early_ms += len(self._early_queue().flush()) * self.frame_ms

    def _drop_early(self) -> float:
        """Forget the calls kept before ``start``; returns the ms of audio they queued."""
        dropped = self._early_queued_ms()
        self._early_calls.clear()
        self._early_encoder = None
        self._early_ms = 0.0
        return dropped

    # --- outbox and hold -------------------------------------------------------------------

    def _emit_frames(self, frames: list[str]) -> None:
        count = len(frames)
        if not count:
            return
        if self._hold_until is None:
            self._frames += count
            self._outbox += frames
            self._playback.send(count * self.frame_ms)
        else:
            self._held += [(frame, float(self.frame_ms)) for frame in frames]

    def _emit(self, text: str, ms: float) -> None:
        if self._hold_until is not None:
            self._held.append((text, ms))
            return
        self._outbox.append(text)
        if ms:  # a playAudio frame, released after a hold
            self._frames += 1
            self._playback.send(ms)

    def _release_if_due(self) -> None:
        if self._hold_until is not None and self.clock() >= self._hold_until:
            self._release()

    def _release(self) -> None:
        self._hold_until = None
        self._clears_unanswered = 0  # past the deadline, a late answer must not count
        self._unsent.clear()  # only held checkpoints can be unsent once started
        held, self._held = self._held, []
        for text, ms in held:
            self._emit(text, ms)
