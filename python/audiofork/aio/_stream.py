"""``AudioStream``: the app's side of one platform stream, over an asyncio WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine, Mapping, Sequence
from types import TracebackType
from typing import Any

import numpy.typing as npt

from audiofork._checks import check_int
from audiofork.adapters import TransportClosed, transport_for
from audiofork.aio._chunks import AudioChunks
from audiofork.aio._inbox import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_EVENTS, Inbox
from audiofork.aio._reader import Reader
from audiofork.aio._sender import Sender
from audiofork.aio._speech import Speaker, Utterance
from audiofork.codec import pcm_array
from audiofork.dialects import Dialect
from audiofork.metrics._live import LIVE
from audiofork.session import (
    CheckpointOutcome,
    CheckpointResolved,
    Pcm,
    SessionEvent,
    StreamSession,
)

__all__ = ["AudioStream"]

# play() hands the session at most this much audio per step, so the loop stays responsive.
_STEP_MS = 1000
_PACED_STEP_MS = 100


class _TimedSession(StreamSession):
    """The stream's session, noting when each checkpoint is placed while the metrics are on
    (the app's and those ending utterances), so its turnaround is taken when it resolves."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        #: ``time.monotonic()`` when each pending checkpoint was placed, by name.
        self.placed: dict[str, float] = {}

    def checkpoint(self, name: str | None = None) -> str:
        name = super().checkpoint(name)
        if LIVE.enabled:
            self.placed[name] = time.monotonic()
        return name


async def _resolved(outcome: CheckpointOutcome) -> CheckpointOutcome:
    return outcome


class AudioStream:
    """One platform stream over ``ws``: iterate events, play, checkpoint, clear, stop.

    Args:
        ws: a websockets connection, a Starlette/FastAPI ``WebSocket`` (accepted if it is
            not yet), a prepared aiohttp ``WebSocketResponse``, or any object with
            ``async send_text(str)`` and ``async receive_text()``.
        pace_ms: keep at most this much audio (``playable_ms``) ahead of the estimated
            playout, so a long reply can be cut cleanly; ``None`` sends audio as fast as it
            comes.
        max_events: events kept for ``async for`` while the app does not take them.
        max_event_bytes: bytes those events may keep alive (their samples and the text of
            the messages they came from), 4 MiB by default. Past either bound the oldest
            events are dropped, and counted in :attr:`dropped_events`.
        **session_options: passed to :class:`~audiofork.session.StreamSession`.

    The socket is read all the while the stream is open, so checkpoints resolve whether or
    not the app iterates: by the app's task waiting in ``async for`` when the socket allows
    (no hand-over between tasks per frame), else by a task of the stream's own. Malformed
    platform messages are logged and counted in :attr:`protocol_errors`; they do not end the
    stream. Messages go out in the order they were queued, and a task cancelled while
    sending loses none of them. Nothing outlives the ``async with``: leaving it (or
    :meth:`aclose`) closes the socket, resolves every pending checkpoint as ``closed`` and
    ends every iterator.

    :attr:`session` is there to read figures (``heard_ms()``, ``start``, ``stats``, …). Its
    commands (``play``, ``clear``, ``close``, ``stop``, ``checkpoint``, …) are the
    stream's to call: called directly they bypass it, and what they resolve reaches the
    stream's waits and utterances late (an utterance then resolves with the figures it last
    saw, when it is next looked at or awaited, or when the stream ends).
    """

    def __init__(
        self,
        ws: Any,
        *,
        pace_ms: int | None = None,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        **session_options: Any,
    ) -> None:
        session = _TimedSession(**session_options)
        self.session: StreamSession = session
        self._placed = session.placed
        if pace_ms is not None:
            check_int("pace_ms", pace_ms, 1)
        check_int("max_events", max_events, 1)
        check_int("max_event_bytes", max_event_bytes, 1)
        self.pace_ms = pace_ms
        self._transport = transport_for(ws)
        self._inbox = Inbox(max_events, max_event_bytes)
        self._inbox.on_checkpoint = self._checkpoint_resolved
        self._sender = Sender(self.session, self._transport, self._lost)
        self._reader = Reader(self._transport, self.session, self._inbox, self._sender, self._lost)
        # Bumped by clear(): a play() in progress stops.
        self._generation = 0
        self._speaker = Speaker(
            self.session, self._inbox, self._sender, self._feed, lambda: self._generation
        )

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> AudioStream:
        await self._transport.open()
        self._reader.start()
        LIVE.opened(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session and the socket; wait for the stream's own tasks to end."""
        self._inbox.deliver(self.session.close())
        LIVE.closed(self)
        await self._reader.stop()
        await self._speaker.close()
        await self._sender.close()
        with contextlib.suppress(TransportClosed):
            await self._transport.close()

    @property
    def closed(self) -> bool:
        """The stream ended (socket lost, stop, or closed by the app)."""
        return self.session.closed

    @property
    def dropped_events(self) -> int:
        """Events dropped because nobody took them within ``max_events`` / ``max_event_bytes``."""
        return self._inbox.dropped_events

    @property
    def protocol_errors(self) -> int:
        """Platform messages refused as malformed."""
        return self._reader.protocol_errors

    @property
    def refused_by_kind(self) -> Mapping[str, int]:
        """:attr:`protocol_errors` by the error's :attr:`~audiofork.AudioforkError.kind`."""
        return self._reader.refused_by_kind

    def _lost(self) -> None:
        self._inbox.deliver(self.session.connection_lost())
        self._speaker.settle()

    # --- events ----------------------------------------------------------------------------

    def __aiter__(self) -> AudioStream:
        return self

    async def __anext__(self) -> SessionEvent:
        inbox = self._inbox
        while (event := inbox.next_event()) is None:
            if inbox.ended:
                raise StopAsyncIteration
            await self._reader.wait()
        return event

    def audio(
        self, chunk_ms: int = 100, *, track: str = "inbound", buffer_ms: int = 10_000
    ) -> AudioChunks:
        """Inbound PCM of ``track`` in chunks of ``chunk_ms``, as int16 at the app rate.

        Ring-backed and bounded: at most ``buffer_ms`` waits (2 bytes a sample); beyond that
        the oldest audio is dropped (see :attr:`AudioChunks.dropped_ms`). While it is open,
        ``Media`` events of that track go to it instead of ``async for``. The final chunk may
        be shorter.
        """
        return AudioChunks(
            self._inbox, self._reader, self.session.app_rate, chunk_ms, track, buffer_ms
        )

    # --- outbound --------------------------------------------------------------------------

    async def play(self, pcm: Pcm, sample_rate: int) -> None:
        """Queue audio of any rate and length for the caller.

        Returns once it is sent (with ``pace_ms``: once the last of it is within
        ``pace_ms`` of the playout). If :meth:`clear` runs or the stream ends meanwhile,
        the rest is dropped and it returns. On a stream that already ended it does nothing:
        events read after a hang-up can still be answered without a race.

        ``StreamStateError`` while an utterance is pending (:attr:`speaking`): the audio
        would land inside or between utterances and count as theirs. ``say()`` it, or
        await the utterances or :meth:`interrupt` them first.
        """
        if type(sample_rate) is not int or sample_rate < 1:
            check_int("sample_rate", sample_rate, 1)  # a numpy integer passes, the rest raises
        session = self.session
        if session.closed:
            return
        self._speaker.check_quiet("play()")
        await self._feed(pcm_array(pcm), sample_rate, self._generation)

    async def _feed(self, samples: npt.NDArray[Any], sample_rate: int, generation: int) -> bool:
        """Play ``samples`` in steps, paced with ``pace_ms``; ``False`` if a clear (a new
        generation) or the end of the stream came first."""
        session = self.session
        if generation != self._generation or session.closed:
            return False
        if self.pace_ms is None and len(samples) <= sample_rate:  # one step: no loop
            session.play(samples, sample_rate)
            await self._sender.flush()
            return True
        step_ms = _STEP_MS if self.pace_ms is None else min(_PACED_STEP_MS, self.pace_ms)
        step = max(sample_rate * step_ms // 1000, 1)
        for offset in range(0, max(len(samples), 1), step):
            await asyncio.sleep(0)  # a long reply lets the loop run at every step
            if generation != self._generation or session.closed:
                return False
            if self.pace_ms is not None and not await self._room_for(step_ms, generation):
                return False
            session.play(samples[offset : offset + step], sample_rate)
            await self._sender.flush()
        return True

    async def _room_for(self, step_ms: int, generation: int) -> bool:
        """Wait until ``step_ms`` more fits within ``pace_ms`` of the playout; ``False`` if a
        clear or the end of the stream came first."""
        assert self.pace_ms is not None
        session, limit = self.session, self.pace_ms - step_ms
        while generation == self._generation and not session.closed:
            ahead = session.playable_ms - session.heard_ms()
            if ahead <= limit:
                return True
            await self._inbox.progress.wait((ahead - limit) / 1000.0)
        return False

    def checkpoint(self, name: str | None = None) -> Coroutine[Any, Any, CheckpointOutcome]:
        """Mark the end of what is queued now; await it for ``played``, ``cleared`` or ``closed``.

        The mark is placed when this is called, so ``asyncio.create_task(stream.checkpoint())``
        goes on at once without the mark drifting behind later audio. On a stream that
        already ended it resolves ``closed`` at once. ``StreamStateError`` while an
        utterance is pending (as for :meth:`play`): each utterance ends with a checkpoint of
        its own, and ``await utterance`` is the wait for it.
        """
        self._reader.require_running()
        if self.closed:
            return _resolved(CheckpointOutcome.CLOSED)
        self._speaker.check_quiet("checkpoint()")
        name = self.session.checkpoint(name)
        return self._resolution(name, self._inbox.watch(name))

    async def _resolution(
        self, name: str, outcome: asyncio.Future[CheckpointOutcome]
    ) -> CheckpointOutcome:
        try:
            await self._sender.flush()
            return await outcome
        finally:
            self._inbox.forget(name, outcome)

    def _checkpoint_resolved(self, event: CheckpointResolved) -> None:
        """A checkpoint resolved: its turnaround goes to the metrics if they timed it."""
        placed = self._placed.pop(event.name, None)
        if placed is not None:
            LIVE.checkpoint_resolved(event.outcome.value, time.monotonic() - placed)

    async def drain(self) -> CheckpointOutcome:
        """Wait until everything queued so far played, was cleared, or the stream ended.

        The true "bot stopped speaking": flushes (the end of an utterance, see
        :meth:`~audiofork.session.StreamSession.flush`), sends a checkpoint and waits for it.
        ``StreamStateError`` while an utterance is pending (as for :meth:`play`): await the
        last utterance instead.
        """
        self._reader.require_running()
        if not self.closed:
            self._speaker.check_quiet("drain()")
            self.session.flush()
        return await self.checkpoint()

    async def clear(self) -> None:
        """Barge-in: drop all queued audio; pending checkpoints resolve ``cleared``."""
        events = self.session.clear()
        self._generation += 1
        self._inbox.deliver(events)
        self._inbox.progress.fire()
        await self._sender.flush()

    async def stop(self) -> None:
        """Ask the platform to end the stream; the session closes. Twilio has no ``stop``
        for the app to send: the socket is closed instead, which ends its stream."""
        self._inbox.deliver(self.session.stop())
        await self._sender.flush()
        if self.session.dialect is Dialect.TWILIO:
            with contextlib.suppress(TransportClosed):
                await self._transport.close()

    def heard_ms(self) -> float:
        """The heard position on the stream's timeline, in ms since the stream started (see
        :meth:`StreamSession.heard_ms`). How much of one reply was heard is
        :attr:`Utterance.heard_ms`."""
        return self.session.heard_ms()

    @property
    def queued_ms(self) -> float:
        """End of the timeline once everything given is queued: the session's
        :attr:`~StreamSession.queued_ms` plus the audio of utterances not yet handed to it."""
        return self.session.queued_ms + self._speaker.waiting_ms

    # --- utterances ------------------------------------------------------------------------

    def say(
        self,
        pcm: Pcm,
        sample_rate: int,
        *,
        text: str | None = None,
        words: Sequence[tuple[str, float, float]] | None = None,
    ) -> Utterance:
        """Queue a reply behind earlier utterances and return its :class:`Utterance` at once.

        A task of the stream's own plays it, paced as ``pace_ms`` says, so the app's loop
        keeps taking events. ``await`` the utterance for ``played``, ``cleared`` or
        ``closed``; its ``heard_ms`` says how much of it the caller heard. ``text`` and
        ``words`` (``(word, start_ms, end_ms)`` from the start of ``pcm``, as TTS engines
        give them) give :attr:`Utterance.heard_text`. Before ``start`` it waits for the
        playback format; on a stream that ended it resolves ``closed`` at once. PCM, rate
        and words are checked here: ``TypeError`` / ``CodecError`` / ``ArgumentError``.
        """
        return self._speaker.say(pcm, sample_rate, text, words)

    def say_stream(
        self,
        sample_rate: int,
        *,
        text: str | None = None,
        words: Sequence[tuple[str, float, float]] | None = None,
    ) -> Utterance:
        """An utterance fed in pieces as TTS streams them: ``await u.write(chunk)``, then
        ``u.end()``. Queued behind earlier utterances like :meth:`say`."""
        return self._speaker.say_stream(sample_rate, text, words)

    @property
    def speaking(self) -> bool:
        """Some utterance is not resolved yet: queued, playing, or not yet confirmed played."""
        return self._speaker.speaking

    @property
    def current(self) -> Utterance | None:
        """The utterance the caller is hearing now: the one whose start the heard estimate
        passed and whose end it has not reached, or ``None`` (as
        :attr:`StreamSession.current_utterance`, which gives its id)."""
        return self._speaker.current

    async def interrupt(self) -> Utterance | None:
        """Barge-in in one call: :meth:`clear`, so every pending utterance resolves
        ``cleared``; returns the one being heard (:attr:`current`), with its final
        ``heard_ms`` and ``heard_text``, or ``None`` if none was (not started, or heard to
        its end and awaiting the platform's confirmation)."""
        current = self._speaker.current
        await self.clear()
        return current
