"""``StreamSession``: the properties, ``receive()`` and the playback commands.

The work is handed off: :mod:`._options` checks the arguments, :mod:`._state` says what is
allowed, :mod:`._prestart` keeps what comes before ``start``, :mod:`._counters` counts the
platform's messages, :mod:`._outbox` holds the messages to send, :mod:`._playback` keeps the
timeline, and :mod:`._utterance_commands` has the utterance commands. Each input is checked
in full before anything changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from audiofork import wire
from audiofork._checks import check_int, shown
from audiofork._core import InboundDecoder, OutboundEncoder
from audiofork.dialects import Dialect, check_dialect
from audiofork.errors import ArgumentError, StreamStateError
from audiofork.events import ClearedAudio, Event, Media, PlayedStream, Start, Stop
from audiofork.formats import MediaFormat
from audiofork.session._counters import InboundCounters
from audiofork.session._echoes import ClearedMarks
from audiofork.session._options import check_options, playable
from audiofork.session._outbox import HOLD_AFTER_CLEAR_S, Outbox
from audiofork.session._playback import Playback
from audiofork.session._prestart import PreStart
from audiofork.session._state import (
    START,
    CheckpointOutcome,
    CloseReason,
    Lifecycle,
    StreamState,
    check_inbound,
    check_playback,
)
from audiofork.session._types import CheckpointResolved, Pcm, SessionEvent, StreamClosed
from audiofork.session._utterance_commands import UtteranceCommands
from audiofork.session._utterances import Utterances

__all__ = ["StreamSession"]


class StreamSession(UtteranceCommands):
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
        dialect: the platform's :class:`~audiofork.Dialect`; ``None`` takes the first one a
            message shows (``connected`` or ``streamSid`` for Twilio, ``start.streamId`` for
            Vobiz), and a message of the other family is then a ``ProtocolError``. On a Twilio
            stream ``checkpoint()`` sends a ``mark``, ``clear()`` a ``clear`` (the marks it
            echoes back stay ``cleared``; nothing is held after it), and ``stop()`` sends
            nothing (closing the socket ends the stream).
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
        dialect: Dialect | str | None = None,
    ) -> None:
        dialect = check_dialect(dialect)
        check_options(app_rate, app_dtype, playback_format, frame_ms, hold_after_clear, clock)
        # The core checks the rest; building once here reports bad values at once.
        probe = MediaFormat("audio/x-mulaw", 8000)
        InboundDecoder(probe, app_rate, app_dtype, quality=quality)
        # Audio played before start goes into this encoder, addressed when start arrives.
        early = OutboundEncoder(
            playback_format or probe, None, frame_ms, quality=quality, dialect=dialect or "vobiz"
        )
        self.app_rate = app_rate
        self.app_dtype = app_dtype
        self.frame_ms = frame_ms
        self.quality = quality
        self.hold_after_clear = hold_after_clear
        #: The injected clock (monotonic seconds).
        self.clock = clock
        self._requested_format = playback_format
        self._playback_format = playback_format
        self._lifecycle = Lifecycle()
        self._start: Start | None = None
        # Set exactly while streaming (the per-frame paths test these, not the state).
        self._decoder: InboundDecoder | None = None
        self._encoder: OutboundEncoder | None = None  # and only if the format is known
        self._playback = Playback(clock)
        self._outbox = Outbox(self._playback, frame_ms, clock)
        self._prestart = PreStart(early if playback_format is not None else None, frame_ms)
        self._next_checkpoint = 1
        self._counters = InboundCounters()
        self._cleared_ms = 0.0
        self._dialect = dialect
        self._cleared_marks = ClearedMarks()
        self._utterances = Utterances()

    # --- state -------------------------------------------------------------------------

    @property
    def state(self) -> StreamState:
        """``AWAITING_START``, ``STREAMING`` or ``CLOSED``."""
        return self._lifecycle.state

    @property
    def closed(self) -> bool:
        """The stream ended (``state`` is ``CLOSED``)."""
        return self._lifecycle.closed

    @property
    def start(self) -> Start | None:
        """The ``start`` event, once received."""
        return self._start

    @property
    def dialect(self) -> Dialect | None:
        """The platform's dialect: given, or detected; ``None`` until a message shows it."""
        return self._dialect

    @property
    def stream_id(self) -> str | None:
        """The platform's stream id, once ``start`` arrived."""
        return self._start.stream_id if self._start is not None else None

    @property
    def close_reason(self) -> CloseReason | None:
        """Why the stream ended, once it did."""
        return self._lifecycle.close_reason

    @property
    def playback_format(self) -> MediaFormat | None:
        """The ``playAudio`` format: given, or taken from ``start``; ``None`` if not known."""
        return self._playback_format

    @property
    def has_data_to_send(self) -> bool:
        """Whether :meth:`data_to_send` may return anything: the outbox has messages, or
        audio is held after a clear (its release may be due)."""
        outbox = self._outbox
        return bool(outbox.messages) or outbox.hold_until is not None

    @property
    def hold_deadline(self) -> float | None:
        """Clock time at which audio held after a clear is released anyway, while holding.

        Nothing runs on its own: the release happens in the first :meth:`data_to_send`,
        :meth:`receive`, :meth:`play`, :meth:`flush` or :meth:`checkpoint` call at or after
        this time, so a driver with no other traffic calls :meth:`data_to_send` then
        (``AudioStream`` does).
        """
        return self._outbox.hold_until

    @property
    def stats(self) -> dict[str, float]:
        """Counters: messages, media, frames, sequence gaps and duplicates, drops, cleared ms.

        ``frames`` counts ``playAudio`` frames put in the outbox, not those held after a
        clear and then dropped; ``early_media_dropped`` counts ``media`` messages held
        before ``start`` and dropped (beyond the bounds, or not decodable);
        ``cleared_ms`` is the audio a clear dropped.
        """
        counters = self._counters
        return {
            "messages": counters.media + counters.other_messages,
            "media": counters.media,
            "frames": self._outbox.frames,
            "sequence_gaps": counters.sequence_gaps,
            "sequence_duplicates": counters.sequence_duplicates,
            "early_media_dropped": self._prestart.media_dropped,
            "unmatched_played": counters.unmatched_played,
            "ignored_after_close": counters.ignored_after_close,
            "cleared_ms": self._cleared_ms,
        }

    # --- playback truth ------------------------------------------------------------------

    @property
    def queued_ms(self) -> float:
        """End of the playback timeline: audio played, playing or waiting to play.

        Counts audio sent, held after a clear, kept before ``start``, and not yet cut into
        frames; a :meth:`clear` cuts it back to the heard estimate. Once the stream ended,
        it is the audio sent.
        """
        encoder = self._encoder
        pending = encoder.pending_ms if encoder is not None else self._prestart.queued_ms
        return self._playback.sent_ms + self._outbox.held_ms + pending

    @property
    def playable_ms(self) -> float:
        """:attr:`queued_ms` less the partial frame kept until more audio, flush or checkpoint.

        What will play without another call: pacing waits on this, since the partial frame
        never plays on its own.
        """
        return self._playback.sent_ms + self._outbox.held_ms + self._prestart.playable_ms

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
        return self._playback.pending()

    # --- inbound ---------------------------------------------------------------------------

    def receive(self, message: str | bytes) -> list[SessionEvent]:
        """Events for one platform message; ``ProtocolError`` (nothing changed) if malformed
        or not allowed (a second ``start``, a message only the app sends).

        ``media`` before ``start`` is held (the oldest beyond the bounds dropped) and
        returned, decoded, with the ``start`` event. Messages after the stream closed are
        ignored (counted in ``stats["ignored_after_close"]``).
        """
        decoder = self._decoder
        if decoder is None:  # before start, or closed
            return self._receive_unstarted(message)
        event = decoder.decode_message(message)
        if type(event) is Media:  # the hot path, count() inlined: one per 20 ms per track
            outbox = self._outbox
            if outbox.hold_until is not None:
                outbox.release_if_due()
            counters = self._counters
            counters.media += 1
            sequence = event.sequence_number
            if sequence is not None:
                if sequence == counters.expected_sequence:
                    counters.expected_sequence = sequence + 1
                else:
                    counters.check_sequence(sequence)
            return [event]
        return self._on_event(event)

    def _receive_unstarted(self, message: str | bytes) -> list[SessionEvent]:
        if self._lifecycle.closed:
            self._counters.ignored_after_close += 1
            return []
        dialect = self._dialect
        if dialect is None:
            dialect = wire.detect_dialect(message)
        event = wire.parse_message(message, dialect=dialect)
        if type(event) is Media:
            self._prestart.hold_media(message)
            return []
        events = self._on_event(event, dialect)
        self._dialect = self._dialect or dialect  # learnt once a message is accepted
        return events

    def _on_event(self, message: Event, dialect: Dialect | None = None) -> list[SessionEvent]:
        """Any message but ``media``: refused if only the app sends it, else handled;
        ``dialect`` is the one a ``start`` begins the stream in."""
        event = check_inbound(message)
        if type(event) is Start:
            return self._on_start(event, dialect or Dialect.VOBIZ)
        self._outbox.release_if_due()
        self._counters.count(event)
        events: list[SessionEvent] = [event]
        if type(event) is PlayedStream:
            if self._cleared_marks.absorb(event.name):
                return events  # Twilio's echo of a mark a clear dropped: it stays cleared
            resolved = self._playback.confirm(event.name)
            if not resolved:
                self._counters.unmatched_played += 1
            events += self._checkpoints_resolved(CheckpointOutcome.PLAYED, resolved)
        elif type(event) is ClearedAudio:
            self._outbox.clear_answered()
        elif type(event) is Stop:
            events += self._end(CloseReason.STOP_RECEIVED)
        return events

    def _on_start(self, start: Start, dialect: Dialect) -> list[SessionEvent]:
        self._lifecycle.check(START)  # a second start is refused before anything changes
        decoder = InboundDecoder(
            start.media_format,
            self.app_rate,
            self.app_dtype,
            quality=self.quality,
            follow_start=False,
            dialect=dialect,
        )
        playback_format = self._requested_format
        if playback_format is None and playable(start.media_format):
            playback_format = start.media_format
        encoder = None
        if playback_format is not None:  # built even with an early encoder: checks the dialect
            encoder = OutboundEncoder(
                playback_format,
                start.stream_id,
                self.frame_ms,
                quality=self.quality,
                dialect=dialect,
            )
        # Everything is checked: from here on, nothing can fail.
        self._lifecycle.move(START)
        self._dialect = dialect
        self._start, self._decoder = start, decoder
        self._playback_format = playback_format
        counters = self._counters
        counters.count(start)
        events: list[SessionEvent] = [start]
        for media in self._prestart.decode_media(decoder):
            counters.count(media)
            events.append(media)
        early = self._prestart.begin(start.stream_id, self._outbox, dialect)
        self._encoder = early if early is not None else encoder
        self._playback.all_sent()
        return events

    # --- outbound --------------------------------------------------------------------------

    def _unstarted(self, what: str) -> PreStart:
        """Where ``what`` goes without an encoder: refused unless before start with the
        format known."""
        check_playback(what, self._lifecycle, self._playback_format is not None, self._start)
        return self._prestart

    def play(self, pcm: Pcm, sample_rate: int) -> None:
        """Queue PCM of any rate and length; whole ``frame_ms`` frames go to the outbox.

        Before ``start`` (with ``playback_format`` given) the audio is encoded and counted
        in :attr:`queued_ms` at once, and its frames are sent once ``start`` arrives.
        ``StreamStateError`` on a closed stream.
        """
        encoder = self._encoder
        if encoder is None:
            prestart = self._unstarted("play")
            check_int("sample_rate", sample_rate, 1)
            prestart.play(pcm, sample_rate)
            return
        try:
            frames = encoder.push(pcm, sample_rate)
        except TypeError:
            check_int("sample_rate", sample_rate, 1)  # name the field if the rate is wrong
            raise
        self._outbox.add_frames(frames)

    def flush(self) -> None:
        """End an utterance: send the resampler's delay tail and the partial frame, padded
        with silence to a whole frame.

        ``StreamStateError`` while an utterance is open: its padding would count as the
        utterance's audio (:meth:`end_utterance` flushes).
        """
        self._utterances.check_none_open("flush")
        encoder = self._encoder
        if encoder is None:
            self._unstarted("flush").flush()
            return
        self._outbox.add_frames(encoder.flush())

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

        ``TypeError`` for a name that is not a ``str``, ``ArgumentError`` for an empty one
        or one the message cannot carry (not valid UTF-8), ``StreamStateError`` for a name
        pending already, or while an utterance is open (the padding would count as its
        audio).
        """
        self._utterances.check_none_open("checkpoint")
        encoder = self._encoder
        prestart = self._unstarted("checkpoint") if encoder is None else None
        name = self._checked_name(name) if name is not None else self._new_name()
        playback = self._playback
        if prestart is not None:
            playback.mark(name, prestart.checkpoint(name), sent=False)
            return name
        assert encoder is not None and self._start is not None
        # Refuses the name before anything changes.
        text = wire.checkpoint(self._start.stream_id, name, dialect=self._dialect or "vobiz")
        outbox = self._outbox
        outbox.add_frames(encoder.pad_frame())
        position = playback.sent_ms + outbox.held_ms
        playback.mark(name, position, sent=outbox.add_checkpoint(text))
        return name

    def _new_name(self) -> str:
        while True:
            name = f"cp-{self._next_checkpoint}"
            self._next_checkpoint += 1
            if name not in self._playback:
                return name

    def _checked_name(self, name: object) -> str:
        if not isinstance(name, str):
            raise TypeError(f"checkpoint name must be a str, got {name!r}")
        if not name:
            raise ArgumentError("checkpoint name must not be empty")
        if name in self._playback:
            raise StreamStateError(f"checkpoint name {shown(name)} is already pending")
        return name

    def clear(self) -> list[SessionEvent]:
        """Drop all queued audio (``clearAudio``); pending checkpoints resolve ``cleared``.

        With ``hold_after_clear``, audio played next is held until a ``clearedAudio`` has
        answered each clear or one second passes. Before ``start`` it drops the audio kept
        and sends nothing. Does nothing on a closed stream.
        """
        if self._lifecycle.closed:
            return []
        resolved = self._resolve_all(CheckpointOutcome.CLEARED)
        encoder = self._encoder
        if encoder is None:
            self._cleared_ms += self._prestart.clear()
            return resolved
        assert self._start is not None
        # pending_ms, not clear()'s whole-ms count, so queued_ms falls by exactly this.
        self._cleared_ms += encoder.pending_ms + self._outbox.drop_held()
        encoder.clear()
        self._cleared_ms += self._playback.cut()
        dialect = self._dialect or Dialect.VOBIZ
        # Twilio plays messages in order and answers a clear with no clearedAudio, only the
        # echoes of its marks: nothing to hold for, and those echoes are not "played".
        twilio = dialect is Dialect.TWILIO
        hold_s = HOLD_AFTER_CLEAR_S if self.hold_after_clear and not twilio else None
        if twilio:
            self._cleared_marks.add(e.name for e in resolved if type(e) is CheckpointResolved)
        self._outbox.add_clear(wire.clear_audio(self._start.stream_id, dialect=dialect), hold_s)
        return resolved

    def stop(self) -> list[SessionEvent]:
        """Ask the platform to end the stream (``stop``) and close the session."""
        if self._lifecycle.closed:
            return []
        if self._start is not None and self._dialect is not Dialect.TWILIO:
            self._outbox.add_stop(wire.stop(self._start.stream_id))
        return self._end(CloseReason.STOPPED)

    def close(self) -> list[SessionEvent]:
        """Close the session (sending nothing); pending checkpoints resolve ``closed``."""
        if self._lifecycle.closed:
            return []
        return self._end(CloseReason.CLOSED)

    def connection_lost(self) -> list[SessionEvent]:
        """The socket is gone: unsent messages are dropped, checkpoints resolve ``closed``."""
        self._outbox.drop()
        if self._lifecycle.closed:
            return []
        return self._end(CloseReason.CONNECTION_LOST)

    def _end(self, reason: CloseReason) -> list[SessionEvent]:
        self._lifecycle.move(reason)
        events = self._resolve_all(CheckpointOutcome.CLOSED)
        self._playback.stop()
        self._outbox.end()
        self._prestart.discard()
        self._decoder = self._encoder = None
        events.append(StreamClosed(reason))
        return events

    def _resolve_all(self, outcome: CheckpointOutcome) -> list[SessionEvent]:
        events = self._checkpoints_resolved(outcome, self._playback.drop_pending())
        if self._utterances:
            events += self._utterances.resolve_all(outcome, self.heard_ms(), self.queued_ms)
        return events

    def _checkpoints_resolved(
        self, outcome: CheckpointOutcome, resolved: list[tuple[str, float]]
    ) -> list[SessionEvent]:
        """The events for checkpoints resolved at their positions, each followed by the
        resolution of the utterance it ends, if any."""
        utterances = self._utterances
        queued = self.queued_ms if utterances else 0.0
        events: list[SessionEvent] = []
        for name, position in resolved:
            events.append(CheckpointResolved(name, outcome, position))
            if utterances:
                utterance = utterances.checkpoint_resolved(name, outcome, position, queued)
                if utterance is not None:
                    events.append(utterance)
        return events

    def data_to_send(self) -> list[str]:
        """Wire messages to send, in order; drains the outbox."""
        outbox = self._outbox
        if outbox.hold_until is not None:
            outbox.release_if_due()
        out, outbox.messages = outbox.messages, []
        return out
