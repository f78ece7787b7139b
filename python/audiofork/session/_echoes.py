"""The marks a Twilio ``clear`` dropped, until the platform echoes them back.

Twilio answers a ``clear`` by echoing every pending ``mark`` at once. Those checkpoints
resolved as ``cleared`` when the app cleared; their echoes must not resolve anything as
``played`` (not even a new checkpoint reusing a name), nor count as unmatched answers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

__all__ = ["MAX_CLEARED_MARKS", "ClearedMarks"]

#: Names kept while their echoes are awaited; beyond this the oldest are forgotten.
MAX_CLEARED_MARKS = 1024


class ClearedMarks:
    """Names of cleared marks whose echo has not come yet, oldest first, bounded."""

    __slots__ = ("_names",)

    def __init__(self) -> None:
        self._names: deque[str] = deque(maxlen=MAX_CLEARED_MARKS)

    def __len__(self) -> int:
        return len(self._names)

    def add(self, names: Iterable[str]) -> None:
        """Marks a clear dropped, in the order they were sent."""
        self._names.extend(names)

    def absorb(self, name: str) -> bool:
        """Whether a ``mark`` named ``name`` is the echo of a cleared one (then forgotten).

        O(n) in the names kept; they are few, and only a mark answer looks."""
        if name not in self._names:
            return False
        self._names.remove(name)  # the oldest of that name: echoes come in the order sent
        return True
