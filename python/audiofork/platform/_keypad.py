"""The caller's keypad: keys pressed as a string, each waiting for the frame it is due in.

A string of keys leaves one key per ``spacing`` (whole frames), so an app sees ``123#``
as four ``dtmf`` messages at the pace a person or a dialler presses them. At most
:data:`MAX_PENDING_KEYS` keys wait; the driver fills this queue, never the app.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from audiofork.errors import ArgumentError, BufferOverflowError
from audiofork.platform._notices import Track

__all__ = ["DTMF_DIGITS", "MAX_PENDING_KEYS", "Key", "Keypad", "check_digits"]

#: The keys a ``dtmf`` message may carry.
DTMF_DIGITS = frozenset("0123456789*#ABCD")
#: Keys waiting to be sent, at most, per stream.
MAX_PENDING_KEYS = 100


def check_digits(digits: object, name: str = "digits") -> str:
    """``digits`` if it is a non-empty string of keys ``0``-``9``, ``*``, ``#``, ``A``-``D``
    (:class:`TypeError` or :class:`ArgumentError` naming ``name`` and the bad key)."""
    if not isinstance(digits, str):
        raise TypeError(f"{name} must be a str, got {type(digits).__name__}")
    if not digits:
        raise ArgumentError(f"{name} must hold at least one key (0-9, *, #, A-D)")
    for position, key in enumerate(digits):
        if key not in DTMF_DIGITS:
            raise ArgumentError(
                f"{name} must hold only the keys 0-9, *, #, A-D; {key!r} at position "
                f"{position} is not one"
            )
    return digits


@dataclass(frozen=True, slots=True)
class Key:
    """One key press, due in frame ``frame``."""

    frame: int
    digit: str
    track: Track


class Keypad:
    """Keys waiting for their frame, in the order pressed."""

    def __init__(self) -> None:
        self._keys: deque[Key] = deque()

    @property
    def pending(self) -> int:
        """Keys not yet sent."""
        return len(self._keys)

    def press(self, digits: str, track: Track, first_frame: int, step: int) -> None:
        """Queue ``digits`` (already checked): the first due in ``first_frame``, each next
        ``step`` frames later (after the last key already waiting, if that is later).
        :class:`BufferOverflowError` (nothing queued) past :data:`MAX_PENDING_KEYS`."""
        if len(self._keys) + len(digits) > MAX_PENDING_KEYS:
            raise BufferOverflowError(
                f"digits: {len(digits)} more keys would pass the {MAX_PENDING_KEYS} that may "
                f"wait ({len(self._keys)} are waiting)"
            )
        frame = first_frame if not self._keys else max(first_frame, self._keys[-1].frame + step)
        for digit in digits:
            self._keys.append(Key(frame, digit, track))
            frame += step

    def take_due(self, frame: int) -> Key | None:
        """The oldest key, taken from the queue, if it is due by ``frame``."""
        if self._keys and self._keys[0].frame <= frame:
            return self._keys.popleft()
        return None

    def drop(self) -> int:
        """Forget every waiting key (the stream ended first); how many."""
        dropped = len(self._keys)
        self._keys.clear()
        return dropped
