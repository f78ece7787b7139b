"""What the session counts of the platform's messages: media and other messages, and the
``sequenceNumber`` gaps and repeats among them."""

from __future__ import annotations

from audiofork.events import Media
from audiofork.session._types import SessionEvent

__all__ = ["InboundCounters"]


class InboundCounters:
    """Counters of one stream's inbound messages. ``expected_sequence`` is the number the next
    message should carry (``None`` before the first numbered one)."""

    __slots__ = (
        "expected_sequence",
        "ignored_after_close",
        "media",
        "other_messages",
        "sequence_duplicates",
        "sequence_gaps",
        "unmatched_played",
    )

    def __init__(self) -> None:
        self.media = self.other_messages = 0
        self.sequence_gaps = self.sequence_duplicates = 0
        self.unmatched_played = self.ignored_after_close = 0
        self.expected_sequence: int | None = None

    def count(self, event: SessionEvent) -> None:
        """Count one message, and its ``sequenceNumber`` if it has one."""
        if type(event) is Media:
            self.media += 1
        else:
            self.other_messages += 1
        sequence = getattr(event, "sequence_number", None)
        if sequence is not None:
            self.check_sequence(sequence)

    def check_sequence(self, sequence: int) -> None:
        """A message numbered ``sequence`` arrived: a number past the expected one counts
        the gap, one before it a repeat (which leaves the expectation as it was)."""
        expected = self.expected_sequence
        if expected is not None and sequence != expected:
            if sequence < expected:
                self.sequence_duplicates += 1
                return
            self.sequence_gaps += sequence - expected
        self.expected_sequence = sequence + 1
