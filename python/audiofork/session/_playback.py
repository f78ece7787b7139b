"""The playback timeline of one stream: queued vs confirmed-played vs estimated-heard audio.

Positions are milliseconds of audio since the stream started, in the order the platform
plays them. The platform plays what it receives at real time, from the moment it arrives or
the previous audio ends, whichever is later. A ``playedStream`` confirms the position of its
checkpoint; between confirmations the position is estimated from the clock. A clear cuts the
timeline at the estimated position: audio beyond it was dropped unheard.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

__all__ = ["Playback"]


class Playback:
    """Where playout stands, and the pending checkpoints' positions in the order sent.

    Every operation is O(1), apart from resolving checkpoints, which is O(1) for each one
    resolved.
    """

    __slots__ = (
        "_anchor_ms",
        "_anchor_time",
        "_clock",
        "_dry_at",
        "_marks",
        "_next_serial",
        "_order",
        "_sent_below",
        "played_ms",
        "sent_ms",
    )

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        #: End of the audio handed to the platform.
        self.sent_ms = 0.0
        #: Position confirmed by the last ``playedStream`` (never moves back).
        self.played_ms = 0.0
        # Pending checkpoints, oldest first, as (name, position); names are unique among them.
        self._order: deque[tuple[str, float]] = deque()
        # Name -> serial number of each pending checkpoint, in the order marked.
        self._marks: dict[str, int] = {}
        self._next_serial = 0
        # Checkpoints with a lower serial have had their message sent; the rest (the newest:
        # held after a clear, or kept before start) cannot have played yet.
        self._sent_below = 0
        # Position known to be playing at `_anchor_time` (None: not playing, nothing has
        # played yet or the stream ended).
        self._anchor_ms = 0.0
        self._anchor_time: float | None = None
        # Clock time at which everything sent will have played (the queue runs dry).
        self._dry_at = -math.inf

    def heard_ms(self) -> float:
        """The last anchored position plus the time elapsed since, capped at what was sent."""
        if self._anchor_time is None:
            return self._anchor_ms
        elapsed_ms = (self._clock() - self._anchor_time) * 1000.0
        return min(self.sent_ms, self._anchor_ms + max(elapsed_ms, 0.0))

    def send(self, ms: float) -> None:
        """``ms`` of audio handed over now; playout resumes now if the queue had run dry."""
        if ms <= 0:
            return
        now = self._clock()
        if now >= self._dry_at:
            self._anchor(self.sent_ms, now)
        self.sent_ms += ms
        self._dry_at += ms / 1000.0

    def _anchor(self, position_ms: float, now: float) -> None:
        """``position_ms`` is playing at ``now``."""
        self._anchor_ms, self._anchor_time = position_ms, now
        self._dry_at = now + (self.sent_ms - position_ms) / 1000.0

    # --- checkpoints -----------------------------------------------------------------------

    def __contains__(self, name: str) -> bool:
        """Whether a checkpoint of this name is pending."""
        return name in self._marks

    def __len__(self) -> int:
        return len(self._order)

    def pending(self) -> tuple[str, ...]:
        """Names of the pending checkpoints, oldest first (a copy: O(n))."""
        return tuple(name for name, _ in self._order)

    def mark(self, name: str, position_ms: float, *, sent: bool) -> None:
        """A checkpoint at ``position_ms``; ``sent`` once its message is in the outbox.

        Those not sent are the newest: every checkpoint marked after one not sent is not sent
        either, until :meth:`all_sent`.
        """
        serial = self._next_serial
        self._next_serial = serial + 1
        self._marks[name] = serial
        self._order.append((name, position_ms))
        if sent:
            self._sent_below = serial + 1

    def all_sent(self) -> None:
        """Every pending checkpoint's message is now in the outbox."""
        self._sent_below = self._next_serial

    def confirm(self, name: str) -> list[tuple[str, float]]:
        """``playedStream`` for ``name``: it and every checkpoint sent before it played.

        Returns the checkpoints resolved, with their positions; empty for a name not pending,
        or one whose message was not sent (a late answer to an earlier use of the name).
        """
        serial = self._marks.get(name)
        if serial is None or serial >= self._sent_below:
            return []
        resolved: list[tuple[str, float]] = []
        order, marks = self._order, self._marks
        while True:
            pending_name, position = order.popleft()
            del marks[pending_name]
            resolved.append((pending_name, position))
            if pending_name == name:
                break
        self.played_ms = max(self.played_ms, position)
        self._anchor(position, self._clock())
        return resolved

    def drop_pending(self) -> list[tuple[str, float]]:
        """Every pending checkpoint, removed; positions capped at the heard estimate."""
        heard = self.heard_ms()
        resolved = [(name, min(position, heard)) for name, position in self._order]
        self._order.clear()
        self._marks.clear()
        return resolved

    # --- the end of the timeline -----------------------------------------------------------

    def stop(self) -> None:
        """The stream ended: the position stays at the heard estimate from now on."""
        self._anchor_ms, self._anchor_time = self.heard_ms(), None

    def cut(self) -> float:
        """A clear: the timeline ends at the heard estimate; returns the ms cut off."""
        heard = self.heard_ms()
        cut_ms = self.sent_ms - heard
        self.sent_ms = heard
        self._anchor(heard, self._clock())
        return cut_ms
