"""Ring: exact reads, markers, overflow policies, and two threads without the GIL."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiofork import ArgumentError, BufferOverflowError, FormatError, Ring


def test_exact_reads_and_markers() -> None:
    ring = Ring(100)
    ring.write(np.arange(3, dtype=np.int16))
    ring.mark("a")
    ring.write(np.arange(3, 5, dtype=np.int16))
    ring.mark("b")
    assert ring.available == 5 and len(ring) == 5
    assert ring.read(6) is None
    peeked = ring.peek(2)
    assert peeked is not None and peeked.tolist() == [0, 1]
    first = ring.read(3)
    assert first is not None
    assert first[0].tolist() == [0, 1, 2] and first[1] == ["a"]
    second = ring.read(2)
    assert second is not None and second[1] == ["b"]
    assert (ring.read_position, ring.write_position) == (5, 5)


def test_marker_on_empty_ring_passes_at_once() -> None:
    ring = Ring(10)
    ring.mark("done")
    assert ring.take_passed_markers() == ["done"]


def test_reject_raises_saying_how_much_did_not_fit() -> None:
    ring = Ring(4, overflow="reject")
    ring.write(b"\x01\x00\x02\x00\x03\x00")
    with pytest.raises(BufferOverflowError, match="2 of 3 samples do not fit"):
        ring.write(np.array([4, 5, 6], dtype=np.int16))
    assert ring.available == 3
    with pytest.raises(BufferError):
        ring.write(np.zeros(5, dtype=np.int16))


def test_drop_oldest_reports_what_it_dropped() -> None:
    ring = Ring(4)
    ring.write(np.array([1, 2], dtype=np.int16))
    ring.mark("old")
    assert ring.write(np.array([3, 4, 5, 6], dtype=np.int16)) == (2, ["old"])
    read = ring.read(4)
    assert read is not None and read[0].tolist() == [3, 4, 5, 6]


def test_clear_reports_samples_and_markers() -> None:
    ring = Ring(10)
    ring.write(np.ones(7, dtype=np.int16))
    ring.mark("m")
    assert ring.clear() == (7, ["m"])
    assert ring.available == 0


def test_bad_arguments() -> None:
    with pytest.raises(ArgumentError, match="capacity"):
        Ring(0)
    with pytest.raises(FormatError, match="overflow"):
        Ring(4, overflow="newest")
    with pytest.raises(TypeError, match="int16, float32 or float64"):
        Ring(4).write(np.zeros(2, dtype=np.int64))


@given(st.lists(st.integers(1, 50), max_size=40), st.lists(st.integers(1, 50), max_size=40))
def test_any_write_and_read_sizes_keep_order(writes: list[int], reads: list[int]) -> None:
    ring = Ring(10_000, overflow="reject")
    written = 0
    for size in writes:
        ring.write(np.arange(written, written + size, dtype=np.int16))
        written += size
    got: list[int] = []
    for size in reads:
        result = ring.read(size)
        if result is None:
            assert size > ring.available
        else:
            got.extend(result[0].tolist())
    assert got == list(range(len(got)))
    assert len(got) + ring.available == written


def test_one_writer_one_reader_thread_lose_and_duplicate_nothing() -> None:
    total, chunk = 200_000, 97
    source = (np.arange(total) % 30000).astype(np.int16)
    ring = Ring(4096, overflow="reject")
    received: list[np.ndarray] = []

    def writer() -> None:
        position = 0
        while position < total:
            piece = source[position : position + chunk]
            try:
                ring.write(piece)
            except BufferOverflowError:
                continue  # full: try again until the reader makes room
            position += len(piece)

    def reader() -> None:
        count = 0
        while count < total:
            result = ring.read(min(160, total - count))
            if result is not None:
                received.append(result[0])
                count += len(result[0])

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert np.array_equal(np.concatenate(received), source)
