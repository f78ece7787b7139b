"""A stream's log lines under a flood: the first few of each kind in full, then counts.

An app can make a stream report thousands of events a second (a burst of checkpoints, a
storm of bad frames). :class:`FloodLog` writes the first :data:`BURST` lines of each kind per
window of :data:`WINDOW_S` seconds of the stream's clock; past that it counts, and writes one
summary line with the counts when the window ends (:meth:`FloodLog.tick`) or the stream
does (:meth:`FloodLog.flush`). Names quoted in lines are cut to :data:`NAME_CHARS` characters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

__all__ = ["BURST", "NAME_CHARS", "WINDOW_S", "FloodLog", "quoted"]

#: Lines of one kind written in full per window.
BURST = 10
#: The window (seconds of the stream's clock).
WINDOW_S = 1.0
#: Characters of a name (a checkpoint's) quoted in a log line.
NAME_CHARS = 80


def quoted(name: str, limit: int = NAME_CHARS) -> str:
    """``repr(name)``, cut to ``limit`` characters of the name with its length appended."""
    if len(name) <= limit:
        return repr(name)
    return f"{name[:limit]!r}… ({len(name)} characters)"


class FloodLog:
    """Lines of one stream to ``logger``, each prefixed with ``prefix``, rate-limited per
    kind on ``clock`` (seconds)."""

    def __init__(
        self,
        logger: logging.Logger,
        prefix: str,
        clock: Callable[[], float],
        *,
        burst: int = BURST,
        window_s: float = WINDOW_S,
    ) -> None:
        self._logger = logger
        self._prefix = prefix
        self._clock = clock
        self._burst = burst
        self._window_s = window_s
        self._window_start = clock()
        self._written: dict[str, int] = {}
        self._held: dict[str, int] = {}

    def log(self, level: int, kind: str, message: str) -> None:
        """Write ``message`` unless ``kind`` has had its :data:`BURST` lines this window."""
        self.tick()
        written = self._written.get(kind, 0)
        if written < self._burst:
            self._written[kind] = written + 1
            self._logger.log(level, "%s: %s", self._prefix, message)
        else:
            self._held[kind] = self._held.get(kind, 0) + 1

    def tick(self) -> None:
        """Start a new window if this one has ended (summarising what it held back)."""
        if self._clock() - self._window_start >= self._window_s:
            self.flush()

    def flush(self) -> None:
        """Write the summary of what was held back, if anything, and start a new window."""
        if self._held:
            counts = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self._held.items()))
            elapsed = self._clock() - self._window_start
            self._logger.info(
                "%s: not logged one by one in the last %.1f s: %s", self._prefix, elapsed, counts
            )
        self._window_start = self._clock()
        self._written.clear()
        self._held.clear()
