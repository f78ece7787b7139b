"""The registry behind ``audiofork.metrics`` on its own: a stream that is dropped without
being closed leaves its last reading in the totals, so no counter goes backwards."""

from __future__ import annotations

import asyncio
import gc

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
