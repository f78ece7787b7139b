"""The registry behind ``audiofork.metrics`` on its own: a stream that is dropped without
being closed leaves its last reading in the totals, so no counter goes backwards; the cycle
collector freeing streams in the middle of a scrape leaves the scrape whole; a closed event
loop is not kept alive."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import numpy as np

import audiofork as af
from audiofork import wire
from audiofork.metrics._live import LiveStreams

STREAM_ID = "s-1"
ULAW = af.MediaFormat("audio/x-mulaw", 8000)


class SessionOnly:
    """What the registry reads of an ``AudioStream``, around a real session."""

    def __init__(self) -> None:
        self.session = af.StreamSession(app_rate=8000)
        self.refused_by_kind = {"bad_json": 2}


async def test_a_stream_dropped_unclosed_keeps_its_last_reading() -> None:
    live = LiveStreams()
    live.interval_s, live.enabled = 0.01, True
    stream = SessionOnly()
    session = stream.session
    session.receive(wire.start(STREAM_ID, ULAW, call_id="c"))
    payload = af.encode_payload(np.zeros(160, np.int16), "audio/x-mulaw")
    for n in range(1, 11):
        session.receive(wire.media(STREAM_ID, payload, sequence_number=n, chunk=n, timestamp_ms=0))
    session.play(np.zeros(8000, np.int16), 8000)  # one second: 50 frames
    live.opened(stream)
    try:
        async with asyncio.timeout(20):
            while live.snapshot().totals.frames_sent < 50:  # the loop's timer read it
                await asyncio.sleep(0.01)
        del stream, session
        gc.collect()
        snap = live.snapshot()
        assert (snap.opened, snap.live) == (1, 0)
        totals = snap.totals
        assert (totals.media_received, totals.frames_sent) == (10, 50)
        assert totals.sent_ms == 1000 and totals.refused == {"bad_json": 2}
    finally:
        live.reset()


class Cyclic(SessionOnly):
    """A stream only the cycle collector frees (it refers to itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.me = self


class CollectingCounts(dict[str, int]):
    """Refusal counts whose reading runs the cycle collector: the collector starting in the
    middle of a scrape (any allocation can start it, on any thread)."""

    def items(self) -> Any:
        gc.collect()
        return super().items()


async def test_streams_collected_during_a_snapshot_leave_it_whole() -> None:
    live = LiveStreams()
    live.enabled = True
    kept = SessionOnly()
    gc.disable()
    try:
        live.opened(kept)
        for _ in range(10):
            live.opened(Cyclic())  # unreachable at once, freed by the next collection
        (entry,) = [e for ref, e in live._streams.items() if ref() is kept]
        entry.counts.refused = CollectingCounts(bad_json=1)
        snap = live.snapshot()
        assert (snap.opened, snap.totals.refused) == (11, {"bad_json": 1})
        assert live.snapshot().live == 1
    finally:
        gc.enable()
        live.reset()


def test_a_closed_event_loop_is_let_go() -> None:
    """A loop closed with a stream still registered on it (never closed, say ``asyncio.run``
    ending) is not kept alive by the registry; the stream's last reading stays counted."""
    live = LiveStreams()
    live.enabled = True
    stream = SessionOnly()

    async def open_one() -> None:
        live.opened(stream)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(open_one())
    loop.close()
    closed = weakref.ref(loop)
    del loop
    try:
        snap = live.snapshot()
        gc.collect()
        assert closed() is None
        assert (snap.opened, snap.live) == (1, 0)
    finally:
        live.reset()
