"""Work per message and per call does not grow with what the session holds.

Measured without a clock: the Python lines a call executes (``sys.settrace``) and the
memory it allocates at its peak (``tracemalloc``), each deterministic. A call whose work is
O(1) does about the same at n and at 10n items held; one that walks or copies them does
about ten times as much. The bound below allows three times.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable
from types import FrameType
from typing import Any

import numpy as np
import pytest

import audiofork as af
from audiofork import StreamSession
from support.clock import ManualClock
from support.scripted_platform import (
    cleared_message,
    l16,
    media_message,
    played_message,
    start_message,
    tone,
)

N = 1000
FRAME = tone(20)
MEDIA = media_message(l16(FRAME), 1)


def lines_run(call: Callable[[], Any]) -> int:
    """Python line events (in every frame, generators included) while ``call`` runs."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def peak_bytes(call: Callable[[], Any]) -> int:
    """Peak memory allocated while ``call`` runs, above what was allocated before."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


# Builds a session holding n items and returns the call to measure on it.
Build = Callable[[int], Callable[[], Any]]


def work(build: Build, n: int) -> tuple[int, int]:
    """(lines, peak bytes) of one call on a session built to hold ``n`` items."""
    return lines_run(build(n)), peak_bytes(build(n))


def assert_constant(build: Build) -> None:
    small, large = work(build, N), work(build, 10 * N)
    assert large[0] <= 3 * small[0] + 20, f"lines: {small[0]} at {N}, {large[0]} at {10 * N}"
    assert large[1] <= 3 * small[1] + 4096, f"bytes: {small[1]} at {N}, {large[1]} at {10 * N}"


def with_pending(n: int, clock: ManualClock | None = None) -> StreamSession:
    """A streaming session with ``n`` checkpoints sent and pending, 20 ms apart."""
    session = StreamSession(clock=clock or ManualClock(100.0))
    session.receive(start_message())
    for _ in range(n):
        session.play(FRAME, 16000)
        session.checkpoint()
    session.data_to_send()
    return session


def with_held(n: int) -> StreamSession:
    """A session holding ``n`` frames and ``n`` checkpoints after a clear."""
    session = StreamSession(hold_after_clear=True, clock=ManualClock(100.0))
    session.receive(start_message())
    session.clear()
    for _ in range(n):
        session.play(FRAME, 16000)
        session.checkpoint()
    session.data_to_send()
    return session


def test_an_in_order_played_stream_is_constant_work() -> None:
    def build(n: int) -> Callable[[], Any]:
        session = with_pending(n)
        return lambda: session.receive(played_message("cp-1"))

    assert_constant(build)


def test_confirming_every_checkpoint_in_turn_is_linear_in_all() -> None:
    def total(n: int) -> tuple[int, int]:
        session = with_pending(n)
        names = session.pending_checkpoints
        messages = [played_message(name) for name in names]

        def confirm_all() -> None:
            for message in messages:
                session.receive(message)

        return lines_run(confirm_all), len(names)

    (small, n), (large, n10) = total(N // 4), total(10 * N // 4)
    assert large / n10 <= 1.5 * small / n, f"lines per checkpoint: {small / n}, {large / n10}"


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s.queued_ms,
        lambda s: s.playable_ms,
        lambda s: s.heard_ms(),
        lambda s: s.played_ms,
        lambda s: s.has_data_to_send,
        lambda s: s.hold_deadline,
        lambda s: s.stats,
    ],
)
def test_reading_the_timeline_while_holding_is_constant_work(read: Callable[[Any], Any]) -> None:
    def build(n: int) -> Callable[[], Any]:
        session = with_held(n)
        return lambda: read(session)

    assert_constant(build)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.receive(MEDIA),
        lambda s: s.receive(cleared_message(1)),  # one of two clears answered: still holding
        lambda s: s.receive(played_message("nobody")),
        lambda s: s.receive(played_message("cp-1")),  # held, so it cannot have played
        lambda s: s.play(FRAME, 16000),
        lambda s: s.checkpoint(),
        lambda s: s.checkpoint("named"),
        lambda s: s.flush(),
        lambda s: s.data_to_send(),
    ],
)
def test_a_call_while_holding_is_constant_work(call: Callable[[Any], Any]) -> None:
    def build(n: int) -> Callable[[], Any]:
        session = with_held(n)
        session.clear()  # a second clear: the first answer does not release the hold
        for _ in range(n):
            session.play(FRAME, 16000)
            session.checkpoint()
        return lambda: call(session)

    assert_constant(build)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.receive(MEDIA),
        lambda s: s.play(FRAME, 16000),
        lambda s: s.checkpoint(),
        lambda s: s.queued_ms,
        lambda s: s.data_to_send(),
    ],
)
def test_a_call_with_many_pending_checkpoints_is_constant_work(
    call: Callable[[Any], Any],
) -> None:
    def build(n: int) -> Callable[[], Any]:
        session = with_pending(n)
        return lambda: call(session)

    assert_constant(build)


def test_media_before_start_is_constant_work_per_message() -> None:
    def build(n: int) -> Callable[[], Any]:
        session = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 16000))
        for i in range(n):
            session.receive(media_message(l16(np.zeros(8, np.int16)), i + 1))
            session.play(FRAME, 16000)
            session.checkpoint()
        return lambda: (session.receive(MEDIA), session.queued_ms, session.playable_ms)

    assert_constant(build)
