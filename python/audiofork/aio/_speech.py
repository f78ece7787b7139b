"""``Utterance`` and ``Speaker``: replies queued one behind another, played by a task of the
stream's own, each resolving with what the caller heard of it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from audiofork._checks import check_int
from audiofork.aio._inbox import Inbox
from audiofork.aio._sender import Sender
from audiofork.aio._wakeup import Wakeup
from audiofork.codec import pcm_array
from audiofork.errors import CodecError, StreamStateError
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

#: ``write()`` returns at once while at most this much of its utterance's audio is unheard;
#: beyond it, it waits for the playout to catch up.
WRITE_AHEAD_MS = 2000.0

#: Plays samples of one utterance (paced as ``pace_ms`` says): ``False`` if a clear or the
#: end of the stream came first.
Feed = Callable[[npt.NDArray[Any], int, int], Awaitable[bool]]


def checked_pcm(pcm: Pcm) -> npt.NDArray[Any]:
    """``pcm`` as an array, refused at once (not when the speaker gets to it) if it is of
    the wrong type or holds float samples that are not finite."""
    samples = pcm_array(pcm)
    if samples.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(samples))
        if len(bad):
            index = int(bad[0])
            raise CodecError(
                f"pcm[{index}] is {samples[index]}: float samples must be finite",
                kind="bad_value",
            )
    return samples


class Utterance:
    """One reply: audio queued behind earlier ones, then what the caller heard of it.

    ``await utterance`` gives its outcome, :class:`~audiofork.CheckpointOutcome` ``played``
    (the platform confirmed all of it), ``cleared`` (a clear or :meth:`AudioStream.interrupt`
    came first) or ``closed`` (the stream ended first); it never waits past a clear or the
    end of the stream. Cancelling an ``await`` does not cancel the utterance.

    Made by :meth:`AudioStream.say` (all the audio at once) or :meth:`AudioStream.say_stream`
    (fed with :meth:`write` and finished with :meth:`end`).
    """

    def __init__(
        self,
        uid: str,
        sample_rate: int,
        text: str | None,
        words: Words | None,
        more: Wakeup,
    ) -> None:
        #: The id the session knows it by (``UtteranceResolved.id``).
        self.id = uid
        self.sample_rate = sample_rate
        self.text = text
        self.words = words
        self._chunks: deque[npt.NDArray[Any]] = deque()
        self._given_ms = 0.0  # all the audio given
        self._ended = False
        self._more = more  # fired when audio or the end is given
        # While the speaker waits for more of this utterance: plays audio at once.
        self._feed_now: Callable[[npt.NDArray[Any]], Awaitable[bool]] | None = None
        self._feeding = False  # a write() is playing its audio through _feed_now
        self._heard_seen = 0.0  # heard_ms when write() last looked
        self._resolved = Wakeup()  # fired when it resolves
        self._session: StreamSession | None = None  # None if made on a stream that ended
        self._resolution: UtteranceResolved | None = None
        self._outcome: asyncio.Future[CheckpointOutcome] = (
            asyncio.get_running_loop().create_future()
        )

    def __repr__(self) -> str:
        return f"<Utterance {self.id} {self.state.value} heard {self.heard_ms:.0f} ms>"

    def __await__(self) -> Generator[Any, None, CheckpointOutcome]:
        return asyncio.shield(self._outcome).__await__()

    # --- figures ---------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """It resolved (played, cleared or closed), or failed."""
        return self._outcome.done()

    @property
    def state(self) -> UtteranceState:
        """``queued``, ``playing``, then ``played``, ``cleared`` or ``closed``."""
        if self._resolution is not None:
            return RESOLVED_STATE[self._resolution.outcome]
        if self._outcome.done():  # failed: the error is what ``await`` gives
            return UtteranceState.CLOSED
        if self._session is None:
            return UtteranceState.QUEUED
        return self._session.utterance_state(self.id)

    @property
    def heard_ms(self) -> float:
        """How much of its audio the caller heard: live while pending, then final. The
        padding that ends it on a whole frame never counts."""
        if self._resolution is not None:
            return self._resolution.heard_ms
        if self._session is None or self._outcome.done():
            return 0.0
        return self._session.utterance_heard_ms(self.id)

    @property
    def duration_ms(self) -> float:
        """Its audio: all of it for :meth:`AudioStream.say`, what was written so far for
        :meth:`AudioStream.say_stream`."""
        return self._given_ms

    @property
    def heard_text(self) -> str | None:
        """The words heard (see :func:`audiofork.session.heard_text`): with ``words``, the
        prefix of ``text`` up to the last word that ended within :attr:`heard_ms`; without,
        ``text`` once played, else ``None``."""
        if self.words is None:
            return self.text if self.state is UtteranceState.PLAYED else None
        return heard_text(self.text, self.words, self.heard_ms)

    # --- feeding ---------------------------------------------------------------------------

    def _add(self, samples: npt.NDArray[Any]) -> None:
        ms = len(samples) * 1000.0 / self.sample_rate
        self._given_ms += ms
        if not self._outcome.done():
            self._chunks.append(samples)
            self._more.fire()

    async def write(self, pcm: Pcm) -> None:
        """Add audio at :attr:`sample_rate` (any length, as TTS streams it).

        Returns at once while at most two seconds of what was written is unheard; otherwise
        once the playout has caught up. Once the utterance resolved (cleared, closed) the audio is
        dropped and it returns at once, so a TTS loop can go on without a race.
        ``StreamStateError`` after :meth:`end`.
        """
        if self._ended:
            raise StreamStateError(f"utterance {self.id} has ended: write() after end()")
        samples = checked_pcm(pcm)
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
                    self._more.fire()  # what came meanwhile is the speaker's again
        # Heard only grows (but for a late confirmation): look again only when it must.
        while self._given_ms - self._heard_seen > WRITE_AHEAD_MS and not self._outcome.done():
            self._heard_seen = self.heard_ms
            unheard = self._given_ms - self._heard_seen
            if unheard > WRITE_AHEAD_MS:
                await self._resolved.wait((unheard - WRITE_AHEAD_MS) / 1000.0)

    def end(self) -> None:
        """No more audio: once what was written is played out, the utterance ends (a
        checkpoint follows it) and resolves when the platform confirms it. Idempotent."""
        if not self._ended:
            self._ended = True
            self._more.fire()

    # --- resolution ------------------------------------------------------------------------

    def _resolve(self, resolution: UtteranceResolved) -> None:
        if not self._outcome.done():
            self._resolution = resolution
            self._outcome.set_result(resolution.outcome)
        self._chunks.clear()
        self._resolved.fire()
        self._more.fire()

    def _fail(self, exc: BaseException) -> None:
        if not self._outcome.done():
            self._outcome.set_exception(exc)
        self._chunks.clear()
        self._resolved.fire()


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
        self._session = session
        self._inbox = inbox
        self._sender = sender
        self._feed = feed
        self._generation = generation
        self._queue: deque[Utterance] = deque()  # not begun yet, in order
        self._pending: dict[str, Utterance] = {}  # not resolved yet
        self._next_id = 1
        self._more = Wakeup()
        self._task: asyncio.Task[None] | None = None
        inbox.on_utterance = self._resolved

    @property
    def speaking(self) -> bool:
        """Any utterance is not resolved yet (queued, playing, or played and not confirmed)."""
        return bool(self._pending)

    @property
    def current(self) -> Utterance | None:
        """The utterance at the play head (see :attr:`StreamSession.current_utterance`)."""
        uid = self._session.current_utterance
        return self._pending.get(uid) if uid is not None else None

    @property
    def waiting_ms(self) -> float:
        """Audio given to utterances and not yet handed to the session."""
        session = self._session
        return sum(
            max(u._given_ms - session.utterance_duration_ms(uid), 0.0)
            for uid, u in self._pending.items()
        )

    def say(
        self, pcm: Pcm, sample_rate: int, text: str | None, words: Sequence[Any] | None
    ) -> Utterance:
        """An utterance of ``pcm``, queued behind the others."""
        samples = checked_pcm(pcm)
        utterance = self.say_stream(sample_rate, text, words)
        utterance._add(samples)
        utterance.end()
        return utterance

    def say_stream(
        self, sample_rate: int, text: str | None, words: Sequence[Any] | None
    ) -> Utterance:
        """A new utterance with no audio yet, queued behind the others (resolved ``closed``
        at once on a stream that ended)."""
        check_int("sample_rate", sample_rate, 1)
        if text is not None and not isinstance(text, str):
            raise TypeError(f"text must be a str or None, got {text!r}")
        checked_words = check_words(words) if words is not None else None
        uid = f"u-{self._next_id}"
        self._next_id += 1
        utterance = Utterance(uid, sample_rate, text, checked_words, self._more)
        session = self._session
        if session.closed:
            utterance._resolve(UtteranceResolved(uid, CheckpointOutcome.CLOSED, 0.0, 0.0))
            return utterance
        session.queue_utterance(uid)
        utterance._session = session
        self._pending[uid] = utterance
        self._queue.append(utterance)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return utterance

    async def close(self) -> None:
        """The stream is over: stop the task and wait for it."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

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
                    logger.warning("utterance %s failed: %s", utterance.id, exc)
                    self._pending.pop(utterance.id, None)
                    utterance._fail(exc)
                    with contextlib.suppress(StreamStateError):  # if it began, it ends here
                        self._session.end_utterance(utterance.id)
                    self._sender.send_soon()
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _play(self, utterance: Utterance) -> None:
        session, inbox = self._session, self._inbox
        # Before start, audio can be played only once the format is known.
        while session.playback_format is None and session.start is None:
            if utterance.done:
                return
            await inbox.arrived.wait()
        if utterance.done:
            return
        # A clear resolves every utterance in the session: `done` ends the loop then.
        generation = self._generation()
        session.begin_utterance(utterance.id)
        rate = utterance.sample_rate
        while not utterance.done:
            if utterance._feeding:  # a write() plays its audio itself; then it wakes us
                await self._more.wait()
            elif utterance._chunks:
                await self._feed(utterance._chunks.popleft(), rate, generation)
            elif utterance._ended:
                session.end_utterance(utterance.id)
                await self._sender.flush()
                return
            else:  # wait for more; a write() meanwhile plays its audio at once
                utterance._feed_now = lambda samples: self._feed(samples, rate, generation)
                try:
                    await self._more.wait()
                finally:
                    utterance._feed_now = None
