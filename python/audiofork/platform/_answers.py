"""What a stream owes the app, under one byte budget.

Two kinds of debt share :attr:`Answers.max_bytes`: checkpoints still waiting for their audio
to play (*pending*), and answers waiting to leave (*owed*: a ``playedStream`` for a checkpoint
whose audio has played, a ``clearedAudio`` for a clear). Each costs the size of its answer
message, so the budget bounds the memory the app can pin with names as well as the messages
they become. The stream asks before it accepts (:meth:`Answers.can_hold`,
:meth:`Answers.can_owe_after_clear`) and refuses what does not fit, so everything accepted
can be answered.

Pending checkpoints finish in the order they were marked (the playout is first in, first
out), so their costs sit in a queue beside the playout's markers. Every operation is O(1)
per checkpoint or answer it touches.
"""

from __future__ import annotations

from collections import deque

__all__ = ["Answers"]


class Answers:
    """Pending checkpoints' costs and owed answers, in order, within ``max_bytes``.

    An owed answer is ``(name, cost)``: ``name`` is the checkpoint's, or ``None`` for a
    ``clearedAudio``.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pending: deque[int] = deque()
        self._owed: deque[tuple[str | None, int]] = deque()
        self.pending_bytes = 0
        self.owed_bytes = 0

    @property
    def total_bytes(self) -> int:
        return self.pending_bytes + self.owed_bytes

    @property
    def pending(self) -> int:
        """Checkpoints waiting for their audio."""
        return len(self._pending)

    @property
    def owed(self) -> int:
        """Answers waiting to leave."""
        return len(self._owed)

    def can_hold(self, cost: int) -> bool:
        """Whether one more debt of ``cost`` bytes fits."""
        return self.total_bytes + cost <= self.max_bytes

    def can_owe_after_clear(self, cost: int) -> bool:
        """Whether an answer of ``cost`` fits once a clear has dropped the pending ones."""
        return self.owed_bytes + cost <= self.max_bytes

    def hold(self, cost: int) -> None:
        """A checkpoint now waits for its audio."""
        self._pending.append(cost)
        self.pending_bytes += cost

    def finish(self, names: list[str]) -> None:
        """The oldest ``len(names)`` pending checkpoints have played: owe their answers."""
        for name in names:
            cost = self._pending.popleft()
            self.pending_bytes -= cost
            self.owe(name, cost)

    def owe(self, name: str | None, cost: int) -> None:
        """Owe an answer at once: checkpoint ``name`` with nothing to wait for, or a
        ``clearedAudio`` (``None``)."""
        self._owed.append((name, cost))
        self.owed_bytes += cost

    def drop_pending(self) -> int:
        """Forget every pending checkpoint (a clear, the stream's end): how many."""
        dropped = len(self._pending)
        self._pending.clear()
        self.pending_bytes = 0
        return dropped

    def next_cost(self) -> int | None:
        """The cost of the next owed answer (``None`` when nothing is owed)."""
        return self._owed[0][1] if self._owed else None

    def pop(self) -> tuple[str | None, int]:
        """The next owed answer, no longer owed once it is handed out."""
        name, cost = self._owed.popleft()
        self.owed_bytes -= cost
        return name, cost

    def drop_owed(self) -> tuple[int, int]:
        """Forget every owed answer (nothing can be sent any more):
        ``(checkpoints, clears)`` forgotten."""
        checkpoints = sum(1 for name, _ in self._owed if name is not None)
        clears = len(self._owed) - checkpoints
        self._owed.clear()
        self.owed_bytes = 0
        return checkpoints, clears
