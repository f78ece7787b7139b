"""``Utterance`` and ``Speaker``: replies queued one behind another, played by a task of the
stream's own, each resolving with what the caller heard of it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from audiofork._checks import check_int, shown
from audiofork.aio._inbox import Inbox
from audiofork.aio._sender import Sender
from audiofork.aio._wakeup import Wakeup
from audiofork.codec import l16_encode, pcm_array
from audiofork.errors import ArgumentError, StreamStateError
from audiofork.session import (
    CheckpointOutcome,
    Pcm,
    StreamSession,
    UtteranceResolved,
    UtteranceState,
    Words,
    check_words,
    heard_text,
)
from audiofork.session._utterances import RESOLVED_STATE

__all__ = ["Speaker", "Utterance"]

logger = logging.getLogger("audiofork.aio")

#: Once its utterance has begun, ``write()`` returns at once while at most this much of the
#: utterance's audio is unheard; beyond it, it waits for the playout to catch up.
WRITE_AHEAD_MS = 2000.0

#: Plays samples of one utterance (paced as ``pace_ms`` says): ``False`` if a clear or the
#: end of the stream came first.
Feed = Callable[[npt.NDArray[Any], int, int], Awaitable[bool]]


def utterance_pcm(pcm: Pcm) -> npt.NDArray[Any]:
    """``pcm`` as an array, refused at once (not when the speaker gets to it) if it is of
    the wrong type or holds float samples that are not finite.

    Float samples are converted to int16 here by the core, in the one pass that also
    refuses NaN and ±inf (naming the index), so playing them later converts nothing again.
    """
    samples = pcm_array(pcm)
    if samples.dtype.kind == "f":
        return np.frombuffer(l16_encode(samples), np.dtype("<i2"))
    return samples


class Utterance:
    """One reply: audio queued behind earlier ones, then what the caller heard of it.

    ``await utterance`` gives its outcome, a :class:`~audiofork.CheckpointOutcome` as for
    every wait on playback: ``played`` (the platform confirmed all of it), ``cleared`` (a
    clear or :meth:`AudioStream.interrupt` came first) or ``closed`` (the stream ended
    first). Once resolved, :attr:`state` is the :class:`~audiofork.UtteranceState` of the
    same name. It never waits past a clear or the end of the stream. Cancelling an
    ``await`` does not cancel the utterance.

    Made by :meth:`AudioStream.say` (all the audio at once) or :meth:`AudioStream.say_stream`
    (fed with :meth:`write` and finished with :meth:`end`).
    """

    def __init__(
        self,
        uid: str,
        sample_rate: int,
        text: str | None,
        words: Words | None,
        speaker: Speaker,
    ) -> None:
        #: The id the session knows it by (``UtteranceResolved.id``).
        self.id = uid
        self.sample_rate = sample_rate
        self.text = text
        self.words = words
        self._speaker = speaker
        self._chunks: deque[npt.NDArray[Any]] = deque()
        self._given_ms = 0.0  # all the audio given before it resolved
        self._ended = False
        self._begun = False  # it has a place on the session's timeline
        # While the speaker waits for more of this utterance: plays audio at once.
        self._feed_now: Callable[[npt.NDArray[Any]], Awaitable[bool]] | None = None
        self._feeding = False  # a write() is playing its audio through _feed_now
        self._heard_seen = 0.0  # the last heard figure read from the session
        self._resolution: UtteranceResolved | None = None
        self._outcome: asyncio.Future[CheckpointOutcome] = (
            asyncio.get_running_loop().create_future()
        )

    def __repr__(self) -> str:
        return f"<Utterance {self.id} {self.state.value} heard {self.heard_ms:.0f} ms>"

    def __await__(self) -> Generator[Any, None, CheckpointOutcome]:
        self._speaker.settle()
        return asyncio.shield(self._outcome).__await__()

    # --- figures ---------------------------------------------------------------------------

    def done(self) -> bool:
        """It resolved (played, cleared or closed), or failed: ``await`` returns at once."""
        return self._outcome.done()

    @property
    def state(self) -> UtteranceState:
        """``queued``, ``playing``, then ``played``, ``cleared`` or ``closed``."""
        if self._resolution is not None:
            return RESOLVED_STATE[self._resolution.outcome]
        if self._outcome.done():  # failed: the error is what ``await`` gives
            return UtteranceState.CLOSED
        try:
            return self._speaker.session.utterance_state(self.id)
        except ArgumentError:  # resolved behind the stream's back
            self._speaker.settle()
            return self.state

    @property
    def heard_ms(self) -> float:
        """How much of its audio the caller heard: live while pending, then final. The
        padding that ends it on a whole frame never counts."""
        if self._resolution is not None:
            return self._resolution.heard_ms
        if self._outcome.done():
            return self._heard_seen
        try:
            heard = self._speaker.session.utterance_heard_ms(self.id)
        except ArgumentError:  # resolved behind the stream's back
            self._speaker.settle()
            return self.heard_ms
        self._heard_seen = heard
        return heard

    @property
    def duration_ms(self) -> float:
        """Its audio: all of it for :meth:`AudioStream.say`, what was written so far for
        :meth:`AudioStream.say_stream`. It stops growing once the utterance resolved."""
        return self._given_ms

    @property
    def heard_text(self) -> str | None:
        """What the caller heard of :attr:`text`, when that can be told, else ``None``.

        - Once ``played``: all of it (``text``, or the ``words`` joined with spaces).
        - With ``words``: the prefix of ``text`` up to the last word that ended within
          :attr:`heard_ms` (see :func:`audiofork.session.heard_text`), ``""`` before one did.
        - Without ``words``: ``""`` while nothing was heard, and ``None`` once part of it
          was (which words is not known).
        - ``None`` when neither ``text`` nor ``words`` were given.
        """
        words, text = self.words, self.text
        if words is None and text is None:
            return None
        played = self.state is UtteranceState.PLAYED
        if words is not None:
            return heard_text(text, words, math.inf if played else self.heard_ms)
        if played:
            return text
        return "" if self.heard_ms == 0.0 else None

    # --- feeding ---------------------------------------------------------------------------

    def _add(self, samples: npt.NDArray[Any]) -> None:
        if not self._outcome.done():
            self._given_ms += len(samples) * 1000.0 / self.sample_rate
            self._chunks.append(samples)
            self._speaker.more.fire()

    async def write(self, pcm: Pcm) -> None:
        """Add audio at :attr:`sample_rate` (any length, as TTS streams it).

        Backpressure: while the utterance waits behind earlier ones, ``write()`` returns at
        once (its audio waits in memory, as :meth:`AudioStream.say`'s does); once it has
        begun, it returns at once while at most two seconds of what was written is unheard,
        and otherwise waits until the heard estimate is that close. The wait wakes when
        playback moves (a checkpoint confirmed, a clear, the end of the stream) and when the
        estimate should have caught up by then (a timer on the event loop's clock, which is
        the stream's unless a ``clock`` was injected). Once the utterance resolved (cleared,
        closed) the audio is dropped, not counted, and it returns at once, so a TTS loop can
        go on without a race. ``StreamStateError`` after :meth:`end`.
        """
        if self._ended:
            raise StreamStateError(f"utterance {self.id} has ended: write() after end()")
        samples = utterance_pcm(pcm)
        feed = self._feed_now
        if feed is None or self._feeding or self._chunks or self._outcome.done():
            self._add(samples)
        else:  # the speaker waits for this audio: play it in this task, with no hand-over
            self._given_ms += len(samples) * 1000.0 / self.sample_rate
            self._feeding = True
            try:
                await feed(samples)
            finally:
                self._feeding = False
                if self._chunks or self._ended:
                    self._speaker.more.fire()  # what came meanwhile is the speaker's again
        # Heard only grows (but for a late confirmation): look again only when it must.
        progress = self._speaker.progress
        while self._begun and self._given_ms - self._heard_seen > WRITE_AHEAD_MS:
            unheard = self._given_ms - self.heard_ms
            if self._outcome.done() or unheard <= WRITE_AHEAD_MS:
                return
            await progress.wait((unheard - WRITE_AHEAD_MS) / 1000.0)

    def end(self) -> None:
        """No more audio: once what was written is played out, the utterance ends (a
        checkpoint follows it) and resolves when the platform confirms it. Idempotent."""
        if not self._ended:
            self._ended = True
            self._speaker.more.fire()

    # --- resolution ------------------------------------------------------------------------

    def _resolve(self, resolution: UtteranceResolved) -> None:
        if not self._outcome.done():
            self._resolution = resolution
            self._outcome.set_result(resolution.outcome)
        self._settled()

    def _fail(self, exc: BaseException) -> None:
        if not self._outcome.done():
            self._outcome.set_exception(exc)
        self._settled()

    def _settled(self) -> None:
        self._chunks.clear()
        self._speaker.progress.fire()  # a write() waiting for the playout returns
        self._speaker.more.fire()


class Speaker:
    """The utterances of one stream, in order: one task plays them, the session's
    ``UtteranceResolved`` events resolve them.

    Every utterance is put in the session's pending set as soon as it is made
    (:meth:`~StreamSession.queue_utterance`), so a clear or the end of the stream resolves
    it wherever it stands. The task runs only while there is something to play.
    """

    def __init__(
        self,
        session: StreamSession,
        inbox: Inbox,
        sender: Sender,
        feed: Feed,
        generation: Callable[[], int],
    ) -> None:
        self.session = session
        self._inbox = inbox
        self._sender = sender
        self._feed = feed
        self._generation = generation
        self._queue: deque[Utterance] = deque()  # not begun yet, in order
        self._pending: dict[str, Utterance] = {}  # not resolved yet
        self._next_id = 1
        #: Fired when an utterance is given audio or its end, or resolves.
        self.more = Wakeup()
        #: The stream's: fired when playback moves other than by the clock.
        self.progress = inbox.progress
        self._task: asyncio.Task[None] | None = None
        inbox.on_utterance = self._resolved

    @property
    def speaking(self) -> bool:
        """Any utterance is not resolved yet (queued, playing, or played and not confirmed)."""
        self.settle()
        return bool(self._pending)

    @property
    def current(self) -> Utterance | None:
        """The utterance at the play head (see :attr:`StreamSession.current_utterance`)."""
        self.settle()
        uid = self.session.current_utterance
        return self._pending.get(uid) if uid is not None else None

    @property
    def waiting_ms(self) -> float:
        """Audio given to utterances and not yet handed to the session."""
        self.settle()
        session = self.session
        return sum(
            max(u._given_ms - session.utterance_duration_ms(uid), 0.0)
            for uid, u in self._pending.items()
        )

    def check_quiet(self, what: str) -> None:
        """``StreamStateError`` naming the oldest pending utterance, if any: ``what`` (the
        stream's play, drain or checkpoint) would land inside its audio or between its
        queued ones, and its figures would count what is not its own."""
        if self.speaking:
            uid = next(iter(self._pending))
            raise StreamStateError(
                f"cannot {what} while utterance {shown(uid)} is pending (queued or playing):"
                " say() this audio too, or await the utterance or interrupt() it first"
            )

    def say(
        self, pcm: Pcm, sample_rate: int, text: str | None, words: Sequence[Any] | None
    ) -> Utterance:
        """An utterance of ``pcm``, queued behind the others."""
        samples = utterance_pcm(pcm)
        utterance = self.say_stream(sample_rate, text, words)
        utterance._add(samples)
        utterance.end()
        return utterance

    def say_stream(
        self, sample_rate: int, text: str | None, words: Sequence[Any] | None
    ) -> Utterance:
        """A new utterance with no audio yet, queued behind the others (resolved ``closed``
        at once on a stream that ended; ``StreamStateError`` on one whose ``start`` format
        ``playAudio`` cannot carry, with no ``playback_format`` given)."""
        check_int("sample_rate", sample_rate, 1)
        if text is not None and not isinstance(text, str):
            raise TypeError(f"text must be a str or None, got {text!r}")
        checked_words = check_words(words) if words is not None else None
        uid = f"u-{self._next_id}"
        utterance = Utterance(uid, sample_rate, text, checked_words, self)
        session = self.session
        if session.closed:
            self._next_id += 1
            utterance._resolve(UtteranceResolved(uid, CheckpointOutcome.CLOSED, 0.0, 0.0))
            return utterance
        session.queue_utterance(uid)
        self._next_id += 1
        self._pending[uid] = utterance
        self._queue.append(utterance)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return utterance

    def settle(self) -> None:
        """Resolve the utterances the session resolved without the stream hearing of it
        (its commands called directly, not the stream's): ``closed`` if the session is,
        else ``cleared``, with the figures each last saw."""
        pending = self._pending
        if not pending:
            return
        known = self.session.pending_utterances
        if len(known) == len(pending):
            return
        outcome = CheckpointOutcome.CLOSED if self.session.closed else CheckpointOutcome.CLEARED
        for uid in [uid for uid in pending if uid not in known]:
            utterance = pending.pop(uid)
            resolution = UtteranceResolved(uid, outcome, utterance._heard_seen, utterance._given_ms)
            utterance._resolve(resolution)

    async def close(self) -> None:
        """The stream is over: stop the task and wait for it; nothing stays pending."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.settle()

    def _resolved(self, resolution: UtteranceResolved) -> None:
        utterance = self._pending.pop(resolution.id, None)
        if utterance is not None:
            utterance._resolve(resolution)

    async def _run(self) -> None:
        try:
            while self._queue:
                utterance = self._queue.popleft()
                try:
                    await self._play(utterance)
                except Exception as exc:  # the stream refused it: await gives the error
                    self._failed(utterance, exc)
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    def _failed(self, utterance: Utterance, exc: Exception) -> None:
        """``utterance`` could not be played: ``await`` raises ``exc``, and it leaves the
        session's pending set (ended there if it had begun, else discarded)."""
        logger.warning("utterance %s failed: %s", utterance.id, exc)
        self._pending.pop(utterance.id, None)
        utterance._fail(exc)
        session = self.session
        with contextlib.suppress(StreamStateError):  # a stream that ended resolved it
            if utterance._begun:
                session.end_utterance(utterance.id)
            else:
                session.discard_utterance(utterance.id)
        self._sender.send_soon()

    async def _play(self, utterance: Utterance) -> None:
        session, inbox = self.session, self._inbox
        # Before start, audio can be played only once the format is known.
        while session.playback_format is None and session.start is None:
            if utterance.done():
                return
            await inbox.arrived.wait()
        self.settle()
        if utterance.done():
            return
        # A clear resolves every utterance in the session: `done()` ends the loop then.
        generation = self._generation()
        session.begin_utterance(utterance.id)
        utterance._begun = True
        rate = utterance.sample_rate
        while not utterance.done():
            if utterance._feeding:  # a write() plays its audio itself; then it wakes us
                await self.more.wait()
            elif utterance._chunks:
                await self._feed(utterance._chunks.popleft(), rate, generation)
            elif utterance._ended:
                session.end_utterance(utterance.id)
                await self._sender.flush()
                return
            else:  # wait for more; a write() meanwhile plays its audio at once
                utterance._feed_now = lambda samples: self._feed(samples, rate, generation)
                try:
                    await self.more.wait()
                finally:
                    utterance._feed_now = None
            self.settle()
