"""The messages a stream has for the platform, and the audio held back after a clear.

With ``hold_after_clear``, audio (and the checkpoints among it) played after a ``clearAudio``
is held until a ``clearedAudio`` has answered every clear sent, or the hold deadline
passes, so it cannot race the platform's flush. Nothing runs on its own: the release happens
in the first call that looks at the outbox at or after the deadline.
"""

from __future__ import annotations

from collections.abc import Callable

from audiofork.session._playback import Playback

__all__ = ["HOLD_AFTER_CLEAR_S", "Outbox"]

#: How long ``hold_after_clear`` holds new audio when no ``clearedAudio`` arrives.
HOLD_AFTER_CLEAR_S = 1.0


class Outbox:
    """Wire messages to send, in order, and those held after a clear.

    ``playAudio`` frames handed to the platform advance the :class:`Playback` timeline; a
    checkpoint released from the hold is marked sent there. Every operation is O(1) per
    message added or taken.
    """

    __slots__ = (
        "_clock",
        "_frame_ms",
        "_held",
        "_held_frames",
        "_playback",
        "clears_unanswered",
        "frames",
        "held_ms",
        "hold_until",
        "messages",
    )

    def __init__(self, playback: Playback, frame_ms: int, clock: Callable[[], float]) -> None:
        self._playback = playback
        self._frame_ms = frame_ms
        self._clock = clock
        #: Messages to send, oldest first; the session drains it (after
        #: :meth:`release_if_due`).
        self.messages: list[str] = []
        #: ``playAudio`` frames put in :attr:`messages` so far.
        self.frames = 0
        #: Clock time at which held audio is released anyway; ``None`` when not holding.
        self.hold_until: float | None = None
        #: Milliseconds of audio held.
        self.held_ms = 0.0
        #: ``clearAudio`` messages sent that no ``clearedAudio`` answered yet.
        self.clears_unanswered = 0
        # Held messages (frames and checkpoints), oldest first, and the frames among them.
        self._held: list[str] = []
        self._held_frames = 0

    def add_frames(self, frames: list[str]) -> None:
        """``playAudio`` frames: sent, or held while holding."""
        if self.hold_until is not None:
            self.release_if_due()
            if self.hold_until is not None:
                self._held += frames
                self._held_frames += len(frames)
                self.held_ms = float(self._held_frames * self._frame_ms)
                return
        count = len(frames)
        if count:
            self.frames += count
            self.messages += frames
            self._playback.send(count * self._frame_ms)

    def add_checkpoint(self, text: str) -> bool:
        """A ``checkpoint`` message, after the frames added before it; whether it is sent
        now (``False``: held)."""
        if self.hold_until is not None:
            self._held.append(text)
            return False
        self.messages.append(text)
        return True

    def add_stop(self, text: str) -> None:
        """A ``stop``: sent at once, never held."""
        self.messages.append(text)

    def add_clear(self, text: str, hold_s: float | None) -> None:
        """A ``clearAudio``: sent at once, and unanswered until a ``clearedAudio`` comes.
        With ``hold_s``, what is added next is held until every clear is answered or
        ``hold_s`` seconds pass."""
        self.messages.append(text)
        self.clears_unanswered += 1
        if hold_s is not None:
            self.hold_until = self._clock() + hold_s

    def clear_answered(self) -> None:
        """A ``clearedAudio`` arrived: once every clear is answered, release the hold."""
        self.clears_unanswered = max(self.clears_unanswered - 1, 0)
        if self.hold_until is not None and not self.clears_unanswered:
            self._release()

    def drop_held(self) -> float:
        """Forget the audio held (a clear, or the end of the stream); returns its ms."""
        dropped, self.held_ms = self.held_ms, 0.0
        self._held.clear()
        self._held_frames = 0
        return dropped

    def release_if_due(self) -> None:
        """Release held audio if the hold deadline has passed."""
        if self.hold_until is not None and self._clock() >= self.hold_until:
            self._release()

    def _release(self) -> None:
        self.hold_until = None
        self.clears_unanswered = 0  # past the deadline, a late answer must not count
        self.messages += self._held
        self.frames += self._held_frames
        self._playback.send(self._held_frames * self._frame_ms)
        self._playback.all_sent()
        self.drop_held()

    def end(self) -> None:
        """The stream ended: held audio is dropped, nothing is held any more."""
        self.drop_held()
        self.hold_until = None

    def drop(self) -> None:
        """The connection is gone: unsent messages are dropped."""
        self.messages.clear()
