"""The utterance commands of :class:`~audiofork.StreamSession`: they check the session's
state, place each utterance on its timeline and leave the bookkeeping to
:class:`~audiofork.session._utterances.Utterances`."""

from __future__ import annotations

from typing import Protocol

from audiofork._core import OutboundEncoder
from audiofork.events import Start
from audiofork.formats import MediaFormat
from audiofork.session._prestart import PreStart
from audiofork.session._state import Lifecycle, check_playback
from audiofork.session._utterances import Utterances, UtteranceState

__all__ = ["UtteranceCommands"]


class _Session(Protocol):
    """What the commands use of the session."""

    _utterances: Utterances
    _lifecycle: Lifecycle
    _start: Start | None
    _playback_format: MediaFormat | None
    _encoder: OutboundEncoder | None

    @property
    def queued_ms(self) -> float: ...

    def heard_ms(self) -> float: ...

    def flush(self) -> None: ...

    def checkpoint(self, name: str | None = None) -> str: ...

    def _unstarted(self, what: str) -> PreStart: ...


class UtteranceCommands:
    """The utterance half of the session's commands (a base of :class:`StreamSession`)."""

    def queue_utterance(self: _Session, uid: str) -> None:
        """``uid`` waits its turn: it is ``queued`` (and pending, so a clear or the end of
        the stream resolves it) before it has a place on the timeline.

        Optional: :meth:`begin_utterance` alone will do. ``TypeError`` / ``ArgumentError``
        for an id that is not a non-empty ``str``, ``StreamStateError`` for an id pending
        already, a closed stream, or a started one whose format ``playAudio`` cannot carry
        (with no ``playback_format`` given).
        """
        utterances = self._utterances
        utterances.check_new(utterances.check_id(uid))
        # Before start the format may come with it; after, it is known or never will be.
        format_known = self._start is None or self._playback_format is not None
        check_playback("queue_utterance", self._lifecycle, format_known, self._start)
        utterances.queue(uid)

    def begin_utterance(self: _Session, uid: str) -> None:
        """Audio :meth:`play` queues from now on belongs to the utterance ``uid``, which
        starts at the current end of the timeline (:attr:`queued_ms`).

        ``StreamStateError`` while another utterance is open (begun, not ended), for an id
        that has begun already, or when playing is not allowed now (as for :meth:`play`).
        """
        utterances = self._utterances
        utterances.check_can_begin(utterances.check_id(uid))
        if self._encoder is None:
            self._unstarted("begin_utterance")
        utterances.begin(uid, self.queued_ms)

    def end_utterance(self: _Session, uid: str) -> str | None:
        """End the open utterance ``uid``: :meth:`flush`, then a checkpoint whose resolution
        resolves the utterance too. Returns the checkpoint's name.

        The flush's padding is not the utterance's audio: its ``heard_ms`` never counts it.
        Does nothing (returns ``None``) when ``uid`` already resolved (a clear or the end of
        the stream came first); ``StreamStateError`` when ``uid`` is pending but not open.
        """
        utterances = self._utterances
        if uid not in utterances:
            utterances.check_id(uid)
            return None
        utterances.check_can_end(uid)
        utterances.end(uid, self.queued_ms)  # first: flush and checkpoint refuse while open
        self.flush()
        name = self.checkpoint()
        utterances.resolve_with(uid, name)
        return name

    def discard_utterance(self: _Session, uid: str) -> None:
        """Forget the utterance ``uid`` that was queued and has not begun (a reply dropped
        before it played): it leaves the pending set with no resolution event.

        Does nothing when ``uid`` is not pending (resolved already); ``StreamStateError``
        when it has begun (its audio is on the timeline: :meth:`end_utterance` it).
        """
        utterances = self._utterances
        utterances.check_id(uid)
        utterances.discard(uid)

    @property
    def pending_utterances(self: _Session) -> tuple[str, ...]:
        """Ids of the utterances not yet resolved, oldest first."""
        return self._utterances.ids()

    @property
    def current_utterance(self: _Session) -> str | None:
        """The utterance being heard: the one whose start the heard estimate passed and
        whose end it has not reached; ``None`` if none (one heard to its end and awaiting
        the platform's confirmation is not being heard)."""
        return self._utterances.current(self.heard_ms())

    def utterance_state(self: _Session, uid: str) -> UtteranceState:
        """``QUEUED`` or ``PLAYING`` for a pending utterance (``ArgumentError`` for one not
        pending: the :class:`UtteranceResolved` event carries how it ended)."""
        return self._utterances.state(uid, self.heard_ms())

    def utterance_heard_ms(self: _Session, uid: str) -> float:
        """How much of a pending utterance's own audio was heard so far: the heard estimate
        less its start, at most its audio (padding excluded)."""
        return self._utterances.heard_ms(uid, self.heard_ms(), self.queued_ms)

    def utterance_duration_ms(self: _Session, uid: str) -> float:
        """The audio a pending utterance was given so far (all of it once ended)."""
        return self._utterances.duration_ms(uid, self.queued_ms)
