"""Utterances: which stretch of the playback timeline is which reply, and how much of each
the caller heard.

An utterance is the audio played between :meth:`~StreamSession.begin_utterance` and
:meth:`~StreamSession.end_utterance`. Its place on the timeline is known once it begins;
its end, once it ends (the padding :meth:`~StreamSession.flush` adds is not part of it). It
resolves exactly once, with its checkpoint at its end or with a clear or the end of the
stream, and the resolution says how much of its own audio was heard.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

from audiofork._checks import shown
from audiofork.errors import ArgumentError, StreamStateError
from audiofork.session._state import CheckpointOutcome

__all__ = [
    "RESOLVED_STATE",
    "UtteranceResolved",
    "UtteranceState",
    "Utterances",
    "Words",
    "check_words",
    "heard_text",
]


class UtteranceState(str, Enum):
    """Where an utterance stands: waiting, on the air, or resolved (one of the last three)."""

    QUEUED = "queued"
    PLAYING = "playing"
    PLAYED = "played"
    CLEARED = "cleared"
    CLOSED = "closed"


#: The state each outcome leaves an utterance in.
RESOLVED_STATE = {
    CheckpointOutcome.PLAYED: UtteranceState.PLAYED,
    CheckpointOutcome.CLEARED: UtteranceState.CLEARED,
    CheckpointOutcome.CLOSED: UtteranceState.CLOSED,
}


@dataclass(frozen=True, slots=True)
class UtteranceResolved:
    """An utterance left the pending set.

    ``heard_ms`` is how much of its own audio the caller heard (never its padding):
    ``duration_ms`` when ``played``, the heard estimate at the clear or the end of the
    stream otherwise. ``duration_ms`` is the audio the session was given for it.
    """

    id: str
    outcome: CheckpointOutcome
    heard_ms: float
    duration_ms: float


#: Word timings as TTS engines give them: ``(word, start_ms, end_ms)`` from the start of the
#: utterance's audio, in spoken order.
Words: TypeAlias = tuple[tuple[str, float, float], ...]


def check_words(words: Sequence[object]) -> Words:
    """``words`` as a tuple of ``(word, start_ms, end_ms)``: ``TypeError`` naming ``words``
    and the index for a wrong shape or type, ``ArgumentError`` for times that are not finite,
    negative, or end before they start."""
    if isinstance(words, (str, bytes)) or not isinstance(words, Sequence):
        raise TypeError(f"words must be a sequence of (word, start_ms, end_ms), got {words!r}")
    checked = []
    for index, item in enumerate(words):
        if not isinstance(item, Sequence) or isinstance(item, (str, bytes)) or len(item) != 3:
            raise TypeError(f"words[{index}] must be (word, start_ms, end_ms), got {item!r}")
        word, start, end = item
        if not isinstance(word, str):
            raise TypeError(f"words[{index}]: the word must be a str, got {word!r}")
        for name, value in (("start_ms", start), ("end_ms", end)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"words[{index}]: {name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ArgumentError(
                    f"words[{index}]: {name} must be finite and >= 0, got {value!r}"
                )
        if end < start:
            raise ArgumentError(f"words[{index}]: end_ms {end!r} is before start_ms {start!r}")
        checked.append((word, float(start), float(end)))
    return tuple(checked)


def heard_text(text: str | None, words: Words, heard_ms: float) -> str:
    """What was heard of ``text``: up to the end of the last of the leading ``words`` that
    ended within ``heard_ms`` (a word cut off is not heard).

    Each word is looked up in ``text`` after the previous one, so the punctuation and
    spacing between heard words are kept; without ``text``, or when a word is not found in
    it, the heard words are joined with spaces.
    """
    heard = []
    for word, _, end in words:
        if end > heard_ms:
            break
        heard.append(word)
    if text is None:
        return " ".join(heard)
    position = 0
    for word in heard:
        found = text.find(word, position)
        if found < 0:
            return " ".join(heard)
        position = found + len(word)
    return text[:position]


class _Pending:
    """One utterance not resolved yet: its start and end on the timeline (``None`` until
    known)."""

    __slots__ = ("end_ms", "start_ms")

    def __init__(self) -> None:
        self.start_ms: float | None = None
        self.end_ms: float | None = None

    def duration(self, queued_ms: float) -> float:
        if self.start_ms is None:
            return 0.0
        end = self.end_ms if self.end_ms is not None else queued_ms
        return max(end - self.start_ms, 0.0)

    def heard(self, heard_ms: float, queued_ms: float) -> float:
        if self.start_ms is None:
            return 0.0
        return min(max(heard_ms - self.start_ms, 0.0), self.duration(queued_ms))


class Utterances:
    """The pending utterances, in the order they were added (the order they play in).

    The session passes its positions in: ``heard_ms`` (its heard estimate) and
    ``queued_ms`` (the end of its timeline). Every operation is O(1) apart from the lookups
    by state, which walk the pending ones (a handful at a time in practice).
    """

    __slots__ = ("_by_checkpoint", "_open", "_pending")

    def __init__(self) -> None:
        # Id -> pending utterance, in the order added (dicts keep it).
        self._pending: dict[str, _Pending] = {}
        # Checkpoint name -> id of the utterance that ends at it.
        self._by_checkpoint: dict[str, str] = {}
        self._open: str | None = None  # the utterance that takes played audio now

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, uid: str) -> bool:
        return uid in self._pending

    def ids(self) -> tuple[str, ...]:
        """Ids of the pending utterances, oldest first."""
        return tuple(self._pending)

    # --- checks (nothing changes) ----------------------------------------------------------

    @staticmethod
    def check_id(uid: object) -> str:
        """``uid`` if it can name an utterance: ``TypeError`` / ``ArgumentError`` if not."""
        if not isinstance(uid, str):
            raise TypeError(f"utterance id must be a str, got {uid!r}")
        if not uid:
            raise ArgumentError("utterance id must not be empty")
        return uid

    def check_new(self, uid: str) -> None:
        if uid in self._pending:
            raise StreamStateError(f"utterance {shown(uid)} is already pending")

    def check_can_begin(self, uid: str) -> None:
        pending = self._pending.get(uid)
        if pending is not None and pending.start_ms is not None:
            raise StreamStateError(f"utterance {shown(uid)} has begun already")
        if self._open is not None:
            raise StreamStateError(
                f"utterance {shown(self._open)} is still open: end it before {shown(uid)} begins"
            )

    def check_can_end(self, uid: str) -> None:
        """``StreamStateError`` unless ``uid`` (pending) is the open utterance."""
        if self._open != uid:
            started = self._pending[uid].start_ms is not None
            case = "has ended already" if started else "has not begun"
            raise StreamStateError(f"utterance {shown(uid)} {case}: only an open one can end")

    def check_none_open(self, what: str) -> None:
        """``StreamStateError`` naming the open utterance, if one is: ``what`` would put
        padding inside its audio."""
        if self._open is not None:
            raise StreamStateError(
                f"cannot {what}: utterance {shown(self._open)} is open (its padding would"
                " count as its audio); end it first"
            )

    def _get(self, uid: str) -> _Pending:
        pending = self._pending.get(self.check_id(uid))
        if pending is None:
            raise ArgumentError(f"no pending utterance {shown(uid)}")
        return pending

    # --- changes ---------------------------------------------------------------------------

    def queue(self, uid: str) -> None:
        """``uid`` waits its turn; it has no place on the timeline yet."""
        self._pending[uid] = _Pending()

    def begin(self, uid: str, start_ms: float) -> None:
        """``uid`` starts at ``start_ms``; audio played from now on is its own."""
        pending = self._pending.get(uid)
        if pending is None:
            pending = self._pending[uid] = _Pending()
        pending.start_ms = start_ms
        self._open = uid

    def discard(self, uid: str) -> None:
        """Forget ``uid`` if it is pending and has not begun; ``StreamStateError`` if it
        has begun (its audio is on the timeline)."""
        pending = self._pending.get(uid)
        if pending is None:
            return
        if pending.start_ms is not None:
            raise StreamStateError(
                f"utterance {shown(uid)} has begun: end it (end_utterance) instead of discarding it"
            )
        del self._pending[uid]

    def end(self, uid: str, end_ms: float) -> None:
        """``uid``'s audio ends at ``end_ms``: it is open no more."""
        self._pending[uid].end_ms = end_ms
        self._open = None

    def resolve_with(self, uid: str, checkpoint: str) -> None:
        """``uid`` resolves with the checkpoint ``checkpoint`` that follows it."""
        self._by_checkpoint[checkpoint] = uid

    def checkpoint_resolved(
        self, name: str, outcome: CheckpointOutcome, position_ms: float, queued_ms: float
    ) -> UtteranceResolved | None:
        """The checkpoint ``name`` resolved at ``position_ms``: the utterance it ends, if
        any, resolves with it (and leaves the pending set)."""
        uid = self._by_checkpoint.pop(name, None)
        if uid is None:
            return None
        pending = self._pending.pop(uid)
        return UtteranceResolved(
            uid, outcome, pending.heard(position_ms, queued_ms), pending.duration(queued_ms)
        )

    def resolve_all(
        self, outcome: CheckpointOutcome, heard: float, queued: float
    ) -> list[UtteranceResolved]:
        """Every pending utterance resolves with ``outcome`` (a clear, the end of the
        stream), heard up to ``heard``."""
        resolved = [
            UtteranceResolved(uid, outcome, pending.heard(heard, queued), pending.duration(queued))
            for uid, pending in self._pending.items()
        ]
        self._pending.clear()
        self._by_checkpoint.clear()
        self._open = None
        return resolved

    # --- figures ---------------------------------------------------------------------------

    def heard_ms(self, uid: str, heard: float, queued: float) -> float:
        """How much of ``uid``'s own audio the caller heard so far (estimated)."""
        return self._get(uid).heard(heard, queued)

    def duration_ms(self, uid: str, queued: float) -> float:
        """``uid``'s audio given so far (all of it once ended)."""
        return self._get(uid).duration(queued)

    def state(self, uid: str, heard: float) -> UtteranceState:
        """``PLAYING`` once the heard estimate passed its start, else ``QUEUED``."""
        start = self._get(uid).start_ms
        return (
            UtteranceState.PLAYING if start is not None and heard > start else UtteranceState.QUEUED
        )

    def current(self, heard: float) -> str | None:
        """The utterance at the play head: the one begun whose start the heard estimate
        passed and whose end (if known) it has not reached."""
        for uid, pending in self._pending.items():
            start, end = pending.start_ms, pending.end_ms
            if start is not None and start < heard and (end is None or heard < end):
                return uid
        return None
