"""The emulator's log: secrets redacted, long values clipped, floods summarised.

Every record of the ``audiofork.emulator`` logger passes :class:`RedactingFilter`, which
redacts the URLs in its message and traceback (:func:`audiofork.vobiz.redact_url`), so a
stream secret never reaches the log, whichever module or library wrote the text.
:func:`clip` bounds what a peer sent (a checkpoint name, an error) before it is logged, and
:class:`FloodLog` turns a burst of like events into a few lines and a summary with counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from audiofork.vobiz import redact_urls

__all__ = ["CLIP_CHARS", "FLOOD_BURST", "FLOOD_WINDOW_S", "FloodLog", "RedactingFilter", "clip"]

LOGGER_NAME = "audiofork.emulator"
#: The most characters of a peer's value (a checkpoint name, an error) a log line quotes.
CLIP_CHARS = 120
#: Lines of one kind (one stream's ``PlayedStream``, say) logged per window; the rest are
#: counted and summarised in one line when the window ends.
FLOOD_BURST = 20
#: The window of :data:`FLOOD_BURST`, in real seconds.
FLOOD_WINDOW_S = 10.0


def clip(text: str, limit: int = CLIP_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


class RedactingFilter(logging.Filter):
    """Redacts the URLs in a record's message and traceback (installed on the emulator's
    logger when this module is imported)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it, as it would anyway
            return True
        record.msg = redact_urls(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_urls(logging.Formatter().formatException(record.exc_info))
        return True


def _install() -> None:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


_install()


@dataclass
class _Window:
    started: float
    logged: int = 0
    suppressed: int = 0


class FloodLog:
    """At most ``burst`` lines per key per ``window_s`` seconds; past that, lines are
    counted, and the count is logged as one summary line when the key's window has ended
    (at its next event) or when :meth:`flush` is called for it. ``clock`` (seconds,
    monotonic) is injectable for tests."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = FLOOD_BURST,
        window_s: float = FLOOD_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._burst = burst
        self._window_s = window_s
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self.suppressed = 0  # lines not written, over all keys

    def log(self, key: str, level: int, message: str, *args: object) -> None:
        """Log ``message % args`` unless ``key`` has had ``burst`` lines this window."""
        now = self._clock()
        window = self._windows.get(key)
        if window is not None and now - window.started >= self._window_s:
            self.flush(key)
            window = None
        if window is None:
            window = self._windows[key] = _Window(now)
        if window.logged < self._burst:
            window.logged += 1
            self._logger.log(level, message, *args, stacklevel=2)
        else:
            window.suppressed += 1
            self.suppressed += 1

    def flush(self, key: str) -> None:
        """End ``key``'s window: log how many of its lines were left out, if any."""
        window = self._windows.pop(key, None)
        if window is not None and window.suppressed:
            seconds = self._clock() - window.started
            self._logger.warning(
                "%s: %d more like this in the last %.1f s, not logged one by one",
                key,
                window.suppressed,
                seconds,
            )

    def flush_all(self) -> None:
        """:meth:`flush` every key."""
        for key in list(self._windows):
            self.flush(key)
