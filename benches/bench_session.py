"""StreamSession's overhead per 20 ms frame over the bare pipelines it wraps, in one run.

Inbound: 3,000 μ-law/8 kHz ``media`` messages to int16 at 16 kHz, through
``StreamSession.receive`` against ``InboundDecoder.decode_message``. Outbound: 3,000 frames
of 24 kHz audio in 20 ms chunks to μ-law/8 kHz ``playAudio``, through ``StreamSession.play``
plus ``data_to_send`` against ``OutboundEncoder.push``. The summary's ratio is session time
over bare time; the difference of the two per-frame times is the session's cost.
"""

from __future__ import annotations

import numpy as np

from audiofork import InboundDecoder, OutboundEncoder, StreamSession, wire
from bench_pipeline import FRAMES, MEDIA, TTS24K, ULAW8K, _frames

STREAM_ID = "c4dfd815-a92a-4140-ab85-5ff28c004116"  # the id of bench_pipeline's messages
START = wire.start(STREAM_ID, ULAW8K, call_id="5401fd2e-6344-40df-a22c-c8ffea7a92e7")
TTS_FRAMES = np.split(TTS24K, FRAMES)  # 20 ms each


def test_receive_audiofork_bare_decoder(benchmark):
    _frames(benchmark, "session receive(): media μ-law/8k -> int16/16k")

    def run() -> int:
        decoder = InboundDecoder(ULAW8K, 16000)
        return sum(len(decoder.decode_message(m).pcm) for m in MEDIA)

    assert benchmark(run) == FRAMES * 320


def test_receive_session(benchmark):
    _frames(benchmark, "session receive(): media μ-law/8k -> int16/16k")

    def run() -> int:
        session = StreamSession(app_rate=16000)
        session.receive(START)
        return sum(len(session.receive(m)[0].pcm) for m in MEDIA)

    assert benchmark(run) == FRAMES * 320


def test_play_audiofork_bare_encoder(benchmark):
    _frames(benchmark, "session play(): 20 ms of 24 kHz -> playAudio μ-law/8k")

    def run() -> int:
        encoder = OutboundEncoder(ULAW8K, STREAM_ID)
        return sum(len(encoder.push(chunk, 24000)) for chunk in TTS_FRAMES)

    assert benchmark(run) == FRAMES


def test_play_session(benchmark):
    _frames(benchmark, "session play(): 20 ms of 24 kHz -> playAudio μ-law/8k")

    def run() -> int:
        session = StreamSession(playback_format=ULAW8K)
        session.receive(START)
        count = 0
        for chunk in TTS_FRAMES:
            session.play(chunk, 24000)
            count += len(session.data_to_send())
        return count

    assert benchmark(run) == FRAMES
