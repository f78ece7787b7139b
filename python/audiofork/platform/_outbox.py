"""Messages waiting for the driver to send them, numbered in send order, bounded in bytes.

The outbox assigns ``sequenceNumber``s as messages enter it, so a message that is never
queued (a media frame dropped for the backlog) takes no number. :meth:`Outbox.offer`
refuses a message that would take the outbox past :attr:`Outbox.max_bytes`; :meth:`put` is
for messages whose number is bounded elsewhere (control messages, answers already paid for
in the owed budget).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

__all__ = ["Outbox", "utf8_size"]


def utf8_size(text: str) -> int:
    """The bytes ``text`` takes on the wire."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class Outbox:
    """Texts to send, in order; ``build(sequence)`` makes each one with its number."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.next_sequence = 0
        self._texts: deque[str] = deque()

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def has_room(self) -> bool:
        """Below :attr:`max_bytes` (answers may enter; one may overshoot)."""
        return self.bytes < self.max_bytes

    def put_unnumbered(self, text: str) -> None:
        """Queue ``text``, which takes no number (Twilio's ``connected``)."""
        self._texts.append(text)
        self.bytes += utf8_size(text)

    def put(self, build: Callable[[int], str]) -> int:
        """Queue ``build(sequence)``; returns its size in bytes."""
        text = build(self.next_sequence)
        self.next_sequence += 1
        size = utf8_size(text)
        self._texts.append(text)
        self.bytes += size
        return size

    def offer(self, build: Callable[[int], str]) -> bool:
        """Queue ``build(sequence)`` if it fits within :attr:`max_bytes`."""
        if self.bytes >= self.max_bytes:
            return False
        text = build(self.next_sequence)
        size = utf8_size(text)
        if self.bytes + size > self.max_bytes:
            return False
        self.next_sequence += 1
        self._texts.append(text)
        self.bytes += size
        return True

    def take(self) -> list[str]:
        """Everything queued, oldest first; the outbox is then empty."""
        texts = list(self._texts)
        self._texts.clear()
        self.bytes = 0
        return texts

    def discard(self) -> int:
        """Drop everything queued (nothing can be sent any more): how many messages."""
        dropped = len(self._texts)
        self._texts.clear()
        self.bytes = 0
        return dropped
