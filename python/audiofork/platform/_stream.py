"""``PlatformStream``: the platform's half of one audio stream, without I/O.

The app side is :class:`~audiofork.session.StreamSession`; this is the other role of the
same protocol, as websockets has one protocol with a client and a server role. A driver
(the emulator's stream runner, a scripted caller, a load generator, a softphone) owns the
socket and the clock; it calls :meth:`PlatformStream.start`, then :meth:`~PlatformStream.tick`
once per 20 ms frame boundary and :meth:`~PlatformStream.receive` for each app message, and
sends what :meth:`~PlatformStream.data_to_send` returns, in order.

The stream owns the rules: the playout of the app's audio, checkpoints (answered once all
audio queued before them has played; at once when nothing is queued or playing), clears
(queue and pending checkpoints dropped, ``clearedAudio`` answered; on Twilio, each pending
``mark`` echoed instead), and the refusal of bad input (counted by kind, leaving no trace).
It speaks a :class:`~audiofork.Dialect` (:mod:`audiofork.platform._messages`). Its bounds
are in :mod:`audiofork.platform._limits`.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from enum import Enum

import numpy as np

from audiofork._checks import check_int
from audiofork.dialects import Dialect, check_dialect
from audiofork.errors import (
    ArgumentError,
    BufferOverflowError,
    FormatError,
    StreamStateError,
)
from audiofork.events import Checkpoint, ClearAudio
from audiofork.formats import MediaFormat
from audiofork.platform._answers import Answers
from audiofork.platform._audio_queue import AudioQueue, PcmInput, TrackSource
from audiofork.platform._input import AudioCommand, Refusal, read_app_message, shorten
from audiofork.platform._keypad import DTMF_DIGITS, Key, Keypad, check_digits
from audiofork.platform._limits import PlatformLimits, PlatformStats
from audiofork.platform._messages import messages_for
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
from audiofork.platform._outbox import Outbox, utf8_size
from audiofork.platform._playout import Playout
from audiofork.platform._talk_over import TalkMode, TalkOver, check_talk_mode

__all__ = ["DTMF_SPACING_MS", "FRAME_MS", "PlatformState", "PlatformStream"]

#: Media frame period (ms).
FRAME_MS = 20
#: The time between the keys of one :meth:`PlatformStream.press`, by default (ms).
DTMF_SPACING_MS = 100
#: The longest spacing between keys (ms).
MAX_DTMF_SPACING_MS = 60_000
#: The longest ``stop`` reason (characters).
MAX_STOP_REASON = 64
_TRACKS: tuple[Track, ...] = ("inbound", "outbound")
_TWILIO_FORMAT = MediaFormat("audio/x-mulaw", 8000)


class PlatformState(str, Enum):
    """Where a platform stream stands."""

    IDLE = "idle"  # made; start() not yet called
    STREAMING = "streaming"
    CLOSED = "closed"


class PlatformStream:
    """The platform's side of one stream (one connection): see the module doc. Not
    thread-safe.

    Args:
        media_format: the stream's format (a :class:`~audiofork.MediaFormat` or a content
            type such as ``"audio/x-mulaw;rate=8000"``).
        stream_id, call_id, account_id: the ids ``start`` and every message carry.
        tracks: the forked tracks, in ``start`` order: one ``media`` per track per frame.
        bidirectional: whether the app may send audio, checkpoints and clears.
        extra_headers: sent as the ``extra_headers`` JSON object of ``start`` and ``media``.
        sources: where each track's audio comes from (``read(n)`` gives ``n`` samples at
            the stream's rate). A track without one gets an :class:`AudioQueue`, fed with
            :meth:`send_audio` and silent when empty.
        limits: the stream's bounds (:class:`PlatformLimits`).
        clock: seconds since the Unix epoch; read once, by :meth:`start`, for the first
            frame's timestamp when none is given (Twilio's timestamps count from the
            stream's start: 0).
        dialect: the messages' :class:`~audiofork.Dialect` (Vobiz by default); Twilio's
            streams are μ-law at 8 kHz.
    """

    def __init__(
        self,
        media_format: MediaFormat | str,
        *,
        stream_id: str,
        call_id: str,
        account_id: str | None = None,
        tracks: Sequence[Track] = ("inbound",),
        bidirectional: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        sources: Mapping[Track, TrackSource] | None = None,
        limits: PlatformLimits | None = None,
        clock: Callable[[], float] = time.time,
        dialect: Dialect | str = Dialect.VOBIZ,
    ) -> None:
        if isinstance(media_format, str):
            media_format = MediaFormat.parse(media_format)
        if not isinstance(media_format, MediaFormat):
            raise TypeError(f"media_format must be a MediaFormat or str, got {media_format!r}")
        self.dialect = check_dialect(dialect) or Dialect.VOBIZ
        if self.dialect is Dialect.TWILIO and media_format != _TWILIO_FORMAT:
            raise FormatError(
                f"media_format: Twilio streams are audio/x-mulaw at 8000 Hz, "
                f"not {media_format.content_type}",
                kind="bad_encoding",
            )
        for name, value in (("stream_id", stream_id), ("call_id", call_id)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {value!r}")
        if account_id is not None and not isinstance(account_id, str):
            raise TypeError(f"account_id must be a str or None, got {account_id!r}")
        if not isinstance(bidirectional, bool):
            raise TypeError(f"bidirectional must be a bool, got {bidirectional!r}")
        if not callable(clock):
            raise TypeError(f"clock must be a callable returning seconds, got {clock!r}")
        self.limits = limits if limits is not None else PlatformLimits()
        if not isinstance(self.limits, PlatformLimits):
            raise TypeError(f"limits must be a PlatformLimits, got {limits!r}")
        self.tracks = _checked_tracks(tracks)
        headers = _checked_headers(extra_headers)
        self.media_format = media_format
        self.rate = media_format.sample_rate
        self.frame_samples = media_format.samples_per_frame(FRAME_MS)
        self.stream_id = stream_id
        self.bidirectional = bidirectional
        self._clock = clock
        self._sources = _checked_sources(sources, self.tracks, self.rate)
        self._messages = messages_for(
            self.dialect,
            stream_id,
            media_format,
            call_id=call_id,
            account_id=account_id,
            tracks=list(self.tracks),
            extra_headers=headers,
        )
        self._playout = Playout(self.rate, self.frame_samples, self.limits.max_queue_s)
        self._answers = Answers(self.limits.max_answer_bytes)
        self._outbox = Outbox(self.limits.max_send_backlog_bytes)
        self._outbox.next_sequence = self._messages.first_sequence
        self._keypad = Keypad()
        self._stats = PlatformStats(media_sent={track: 0 for track in self.tracks})
        self._state = PlatformState.IDLE
        self._frame = 0
        self._origin_ms = 0
        self._chunks = {track: 0 for track in self.tracks}
        self._allowance = (self.limits.answers_per_tick, self.limits.answer_bytes_per_tick)
        self._control_bytes = (
            utf8_size(self._messages.opening() or "")
            + utf8_size(self._messages.start(2**64 - 1))
            + utf8_size(self._messages.stop(2**64 - 1, "\U0001f4de" * MAX_STOP_REASON))
            + utf8_size(self._messages.dtmf(2**64 - 1, "#", "outbound", 2**63))
        )

    # --- what the driver reads ------------------------------------------------------------

    @property
    def state(self) -> PlatformState:
        return self._state

    @property
    def stats(self) -> PlatformStats:
        """A snapshot of the counters."""
        return self._stats.copy()

    @property
    def frames(self) -> int:
        """Frame boundaries passed (:meth:`tick` calls)."""
        return self._frame

    @property
    def queued_ms(self) -> float:
        """App audio waiting in the playout queue (not counting the frame playing)."""
        return self._playout.queued_samples * 1000 / self.rate

    @property
    def checkpoints_pending(self) -> int:
        """Accepted checkpoints whose audio has not finished playing."""
        return self._answers.pending

    @property
    def answers_waiting(self) -> int:
        """Answers (``playedStream``, ``clearedAudio``) owed but not yet queued to send."""
        return self._answers.owed

    @property
    def keys_pending(self) -> int:
        """Keys pressed (:meth:`press`) and not yet sent."""
        return self._keypad.pending

    @property
    def send_backlog_bytes(self) -> int:
        """Bytes queued for :meth:`data_to_send`."""
        return self._outbox.bytes

    @property
    def has_data_to_send(self) -> bool:
        return len(self._outbox) > 0

    @property
    def retained_bytes(self) -> int:
        """Memory the stream holds that the app can make grow: the playout queue and the
        frame playing, what is owed (pending checkpoints, answers waiting), and the send
        backlog."""
        audio = (self._playout.queued_samples + self.frame_samples) * 2
        return audio + self._answers.total_bytes + self._outbox.bytes

    @property
    def max_retained_bytes(self) -> int:
        """The bound :attr:`retained_bytes` never passes, from :attr:`limits`."""
        audio = (self._playout.capacity + self.frame_samples) * 2
        limits = self.limits
        return audio + limits.max_answer_bytes + limits.max_send_backlog_bytes + self._control_bytes

    def source(self, track: Track) -> TrackSource:
        """Where ``track``'s audio comes from."""
        if track not in self._sources:
            raise ArgumentError(f"track: {track!r} is not forked (tracks: {list(self.tracks)})")
        return self._sources[track]

    # --- commands ---------------------------------------------------------------------------

    def start(self, timestamp_ms: int | None = None) -> None:
        """Queue ``start``; frame *k*'s timestamp is ``timestamp_ms + 20 k`` (default: the
        clock now)."""
        self._require(PlatformState.IDLE, "start")
        if timestamp_ms is not None:
            origin = check_int("timestamp_ms", timestamp_ms, 0)
        elif self.dialect is Dialect.TWILIO:
            origin = 0
        else:
            origin = round(self._clock() * 1000)
        self._origin_ms = origin
        opening = self._messages.opening()
        if opening is not None:
            self._outbox.put_unnumbered(opening)
        self._outbox.put(self._messages.start)
        self._state = PlatformState.STREAMING

    def send_audio(
        self, pcm: PcmInput, rate: int, track: Track = "inbound", *, mode: TalkMode = "replace"
    ) -> int:
        """Queue the caller's (or callee's) audio for ``track``: int16 or float32 mono at
        ``rate`` Hz, resampled to the stream's rate, played after what is queued. On a
        track whose source is a :class:`TalkOver`, ``mode`` says whether it replaces the
        base audio while it plays or is mixed over it. Returns the samples queued; raises
        :class:`~audiofork.errors.BufferOverflowError` (nothing queued) when the track's
        queue is full, :class:`~audiofork.errors.StreamStateError` for a track whose source
        is neither an :class:`AudioQueue` nor a :class:`TalkOver`, or a closed stream."""
        mode = check_talk_mode(mode)
        if self._state is PlatformState.CLOSED:
            raise StreamStateError("send_audio: the stream is closed")
        source = self.source(track)
        if isinstance(source, TalkOver):
            return source.push(pcm, rate, mode)
        if not isinstance(source, AudioQueue):
            raise StreamStateError(f"send_audio: track {track!r} reads its own source")
        return source.push(pcm, rate)

    def dtmf(self, digit: str, track: Track = "inbound") -> None:
        """Queue a ``dtmf`` message for key ``digit`` (``0``-``9``, ``*``, ``#``, ``A``-``D``),
        stamped with the current frame's time. :class:`~audiofork.errors.BufferOverflowError`
        when the send backlog is full."""
        if not isinstance(digit, str):
            raise TypeError(f"digit must be a str, got {digit!r}")
        if digit not in DTMF_DIGITS:
            raise ArgumentError(f"digit must be one of 0-9, *, #, A-D, got {shorten(digit, 20)!r}")
        _check_track(track)
        self._require(PlatformState.STREAMING, "dtmf")
        if not self._outbox.has_room:
            raise BufferOverflowError(
                f"dtmf: the send backlog holds {self._outbox.bytes} bytes (limit "
                f"{self._outbox.max_bytes}): the app is not reading"
            )
        self._send_key(Key(self._frame, digit, track))

    def press(
        self, digits: str, *, track: Track = "inbound", spacing_ms: int = DTMF_SPACING_MS
    ) -> None:
        """Press the keys of ``digits`` (``0``-``9``, ``*``, ``#``, ``A``-``D``) in order, one
        ``dtmf`` message each: the first now, each next ``spacing_ms`` later (rounded up to
        whole frames, so ``20`` is one key a frame), after the keys still waiting from an
        earlier press. A key due in frame *k* is stamped with that frame's time and sent by
        its :meth:`tick`, after its media (the first one at once); a key meeting a full send
        backlog waits for room. ``digits`` is checked whole before any key is queued;
        :class:`~audiofork.errors.BufferOverflowError` (nothing queued) when more than
        :data:`~audiofork.platform._keypad.MAX_PENDING_KEYS` keys would wait. Keys still
        waiting when the stream ends are dropped and counted (``dtmf_dropped``)."""
        check_digits(digits)
        _check_track(track)
        spacing_ms = check_int("spacing_ms", spacing_ms, FRAME_MS)
        if spacing_ms > MAX_DTMF_SPACING_MS:
            raise ArgumentError(f"spacing_ms must be <= {MAX_DTMF_SPACING_MS}, got {spacing_ms}")
        self._require(PlatformState.STREAMING, "press")
        self._keypad.press(digits, track, self._frame, math.ceil(spacing_ms / FRAME_MS))
        self._release_keys(self._frame)

    def _release_keys(self, frame: int) -> None:
        """Send the keys due by ``frame`` while the send backlog has room."""
        while self._outbox.has_room and (key := self._keypad.take_due(frame)) is not None:
            self._send_key(key)

    def _send_key(self, key: Key) -> None:
        timestamp = self._origin_ms + FRAME_MS * key.frame
        self._outbox.put(
            functools.partial(
                self._messages.dtmf, digit=key.digit, track=key.track, timestamp_ms=timestamp
            )
        )
        self._stats.dtmf_sent += 1

    def receive(self, message: str | bytes | bytearray | memoryview) -> list[Notice]:
        """Act on one app message (a WebSocket frame's data, text or binary)."""
        self._require(PlatformState.STREAMING, "receive")
        command = read_app_message(
            message,
            max_bytes=self.limits.max_message_bytes,
            bidirectional=self.bidirectional,
            dialect=self.dialect,
        )
        if isinstance(command, Refusal):
            return [self._refuse(command.kind, command.detail)]
        if isinstance(command, AudioCommand):
            return self._play_audio(command)
        if isinstance(command, Checkpoint):
            return self._checkpoint(command.name)
        if isinstance(command, ClearAudio):
            return self._clear()
        return [StopReceived(), *self._end()]

    def tick(self) -> Frame:
        """One frame boundary: one ``media`` per track (this frame's audio), the playout
        one frame on, the checkpoints it finished answered, and answers released up to the
        per-frame allowance."""
        self._require(PlatformState.STREAMING, "tick")
        sent = {track: self._read(track) for track in self.tracks}  # all read, then commit
        index = self._frame
        timestamp = self._origin_ms + FRAME_MS * index
        notices: list[Notice] = []
        for track, pcm in sent.items():
            chunk = self._chunks[track] + 1
            media = functools.partial(
                self._messages.media, track=track, chunk=chunk, timestamp_ms=timestamp, pcm=pcm
            )
            if self._outbox.offer(media):
                self._chunks[track] = chunk
                self._stats.media_sent[track] += 1
            else:
                self._stats.media_dropped += 1
                notices.append(Degraded("send_backlog", "app is not reading; media frames dropped"))
        self._release_keys(index)
        played = self._playout.tick()
        self._stats.played_ms += played.audio_samples * 1000 / self.rate
        self._answers.finish(played.finished)
        self._frame += 1
        self._allowance = (self.limits.answers_per_tick, self.limits.answer_bytes_per_tick)
        notices += self._release_answers()
        return Frame(index, timestamp, sent, played.chunk, played.audio_samples, notices)

    def data_to_send(self) -> list[str]:
        """The messages to send now, in order (each a WebSocket text frame)."""
        return self._outbox.take()

    def stop(self, reason: str = "hangup") -> list[Notice]:
        """End the stream as the platform: pending checkpoints are dropped, answers owed are
        queued, then ``stop`` with ``reason``. Idempotent; before :meth:`start` nothing is
        sent."""
        if not isinstance(reason, str):
            raise TypeError(f"reason must be a str, got {reason!r}")
        if len(reason) > MAX_STOP_REASON:
            raise ArgumentError(f"reason must be at most {MAX_STOP_REASON} characters")
        if self._state is not PlatformState.STREAMING:
            self._state = PlatformState.CLOSED
            return []
        notices = self._end()
        self._outbox.put(functools.partial(self._messages.stop, reason=reason))
        return notices

    def close(self) -> list[Notice]:
        """End the stream without a ``stop`` message (the driver closes the socket after
        sending what is queued): pending checkpoints are dropped, answers owed are queued.
        Idempotent."""
        if self._state is not PlatformState.STREAMING:
            self._state = PlatformState.CLOSED
            return []
        return self._end()

    def connection_lost(self) -> None:
        """The socket is gone: nothing more can be sent. Pending checkpoints and answers owed
        are dropped (counted) and the send backlog discarded. Idempotent."""
        self._stats.checkpoints_dropped += len(self._playout.clear()[1])
        self._answers.drop_pending()
        checkpoints, clears = self._answers.drop_owed()
        self._stats.checkpoints_dropped += checkpoints
        self._stats.clears_unanswered += clears
        self._stats.dtmf_dropped += self._keypad.drop()
        self._outbox.discard()
        self._state = PlatformState.CLOSED

    # --- the rules --------------------------------------------------------------------------

    def _require(self, state: PlatformState, action: str) -> None:
        if self._state is not state:
            raise StreamStateError(
                f"{action}: the stream is {self._state.value}, not {state.value}"
            )

    def _read(self, track: Track) -> Pcm:
        pcm = self._sources[track].read(self.frame_samples)
        if not isinstance(pcm, np.ndarray) or pcm.dtype != np.int16:
            raise TypeError(f"the {track} source must return an int16 array, got {pcm!r:.80}")
        if pcm.shape != (self.frame_samples,):
            raise ArgumentError(
                f"the {track} source returned shape {pcm.shape}, need ({self.frame_samples},)"
            )
        return pcm

    def _refuse(self, kind: str, detail: str) -> BadInput:
        bad = self._stats.bad_frames
        bad[kind] = bad.get(kind, 0) + 1
        return BadInput(kind, detail)

    def _play_audio(self, command: AudioCommand) -> list[Notice]:
        rate = command.media_format.sample_rate
        self._stats.play_audio_received += 1
        try:
            queued = self._playout.push(command.pcm, rate)
        except BufferOverflowError:
            ms = len(command.pcm) * 1000 / rate
            self._stats.overflow_ms += ms
            limit = f"{self.limits.max_queue_s:g} s"
            return [Degraded("overflow", f"playout queue full ({limit}); {ms:.0f} ms dropped")]
        ms = queued * 1000 / self.rate
        return [AudioQueued(command.media_format, ms, self.queued_ms)]

    def _checkpoint(self, name: str) -> list[Notice]:
        cost = self._messages.answer_size(name)
        if not self._answers.can_hold(cost):
            limit = self.limits.max_answer_bytes
            detail = f"checkpoint {shorten(name, 80)!r}: owed answers would pass {limit} bytes"
            return [self._refuse("checkpoint_limit", detail)]
        self._stats.checkpoints_received += 1
        if self._playout.idle:
            self._answers.owe(name, cost)
        else:
            self._playout.mark(name)
            self._answers.hold(cost)
        return [CheckpointReceived(name), *self._release_answers()]

    def _clear(self) -> list[Notice]:
        if self.dialect is Dialect.TWILIO:
            return self._clear_echoing_marks()
        cost = self._messages.answer_size(None)
        if not self._answers.can_owe_after_clear(cost):
            limit = self.limits.max_answer_bytes
            return [
                self._refuse("answer_limit", f"clearAudio: owed answers would pass {limit} bytes")
            ]
        samples, names = self._playout.clear()
        self._answers.drop_pending()
        self._answers.owe(None, cost)
        cleared_ms = samples * 1000 / self.rate
        self._stats.clears += 1
        self._stats.cleared_ms += cleared_ms
        self._stats.checkpoints_dropped += len(names)
        return [AudioCleared(cleared_ms, len(names)), *self._release_answers()]

    def _clear_echoing_marks(self) -> list[Notice]:
        """Twilio's clear: the queue dropped, and each pending checkpoint's ``mark`` echoed
        at once, in order (their answers were paid for when they were held); nothing else
        answers the clear."""
        samples, names = self._playout.clear()
        self._answers.drop_pending()
        for name in names:
            self._answers.owe(name, self._messages.answer_size(name))
        cleared_ms = samples * 1000 / self.rate
        self._stats.clears += 1
        self._stats.cleared_ms += cleared_ms
        return [AudioCleared(cleared_ms, 0), *self._release_answers()]  # none unanswered

    def _release_answers(self) -> list[Notice]:
        """Queue owed answers, oldest first, within this frame's allowance and the send
        backlog (one may overshoot either; it was paid for in the owed budget)."""
        count, budget = self._allowance
        notices: list[Notice] = []
        while count > 0 and budget > 0 and self._outbox.has_room:
            cost = self._answers.next_cost()
            if cost is None:
                break
            notices.append(self._send_answer())
            count -= 1
            budget -= cost
        self._allowance = (count, budget)
        return notices

    def _send_answer(self) -> Notice:
        name, _ = self._answers.pop()
        self._outbox.put(functools.partial(self._messages.answer, name=name))
        if name is None:
            self._stats.clears_answered += 1
            return ClearAnswered()
        self._stats.checkpoints_acknowledged += 1
        return CheckpointAnswered(name)

    def _end(self) -> list[Notice]:
        """Close: pending checkpoints and keys dropped, every owed answer queued."""
        self._stats.checkpoints_dropped += len(self._playout.clear()[1])
        self._stats.dtmf_dropped += self._keypad.drop()
        self._answers.drop_pending()
        notices = [self._send_answer() for _ in range(self._answers.owed)]
        self._state = PlatformState.CLOSED
        return notices


def _check_track(track: object) -> None:
    if track not in _TRACKS:
        raise ArgumentError(f"track must be 'inbound' or 'outbound', got {track!r:.40}")


def _checked_tracks(tracks: Sequence[Track]) -> tuple[Track, ...]:
    if isinstance(tracks, str) or not isinstance(tracks, Sequence):
        raise TypeError(f"tracks must be a sequence of track names, got {tracks!r}")
    checked = tuple(tracks)
    if not checked or len(set(checked)) != len(checked) or not set(checked) <= set(_TRACKS):
        raise ArgumentError(
            f"tracks must be 'inbound' and/or 'outbound', each once, got {list(checked)!r}"
        )
    return checked


def _checked_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"extra_headers must be a mapping of str to str, got {headers!r}")
    checked = dict(headers)
    for key, value in checked.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"extra_headers must map str to str, got {key!r}: {value!r}")
    return checked


def _checked_sources(
    sources: Mapping[Track, TrackSource] | None, tracks: tuple[Track, ...], rate: int
) -> dict[Track, TrackSource]:
    given = dict(sources or {})
    for track, source in given.items():
        if track not in tracks:
            raise ArgumentError(f"sources: {track!r} is not forked (tracks: {list(tracks)})")
        if not callable(getattr(source, "read", None)):
            raise TypeError(f"sources[{track!r}] must have a read(n) method, got {source!r}")
    return {track: given[track] if track in given else AudioQueue(rate) for track in tracks}
