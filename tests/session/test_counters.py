"""``InboundCounters``: media and other messages, and sequence gaps and repeats."""

from __future__ import annotations

from audiofork import wire
from audiofork.session._counters import InboundCounters
from support.scripted_platform import l16, media_message, start_message, tone


def test_media_and_other_messages_are_counted_apart() -> None:
    counters = InboundCounters()
    counters.count(wire.parse_message(start_message()))
    counters.count(wire.parse_message(media_message(l16(tone(20)), 1)))
    assert (counters.media, counters.other_messages) == (1, 1)


def test_a_gap_counts_the_numbers_missed_and_a_repeat_leaves_the_expectation() -> None:
    counters = InboundCounters()
    for sequence in (0, 1, 4, 2, 5):
        counters.check_sequence(sequence)
    assert counters.sequence_gaps == 2  # 2 and 3 missed once 4 came
    assert counters.sequence_duplicates == 1  # 2 came after 4
    assert counters.expected_sequence == 6


def test_the_first_number_seen_sets_the_expectation() -> None:
    counters = InboundCounters()
    assert counters.expected_sequence is None
    counters.check_sequence(7)
    assert (counters.expected_sequence, counters.sequence_gaps) == (8, 0)
