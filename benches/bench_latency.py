"""Per-frame latency: each 20 ms step timed on its own, ours against the pipecat-style path.

The throughput benches (bench_pipeline.py) time 3,000 frames per round and report the
median round; a media server also cares about the slow frames. Here every step is timed
alone with ``perf_counter_ns`` (which costs about 0.1 µs itself, included in every
sample), over the same 3,000 messages and the same 60 s of TTS cut in 20 ms chunks. The
samples of the last rounds go into the JSON (``extra_info["per_frame_ns"]``), from which
``benches/report.py`` draws the distributions.

Paths: the bare pipeline (``InboundDecoder`` / ``OutboundEncoder``), the same through
``StreamSession`` (``receive``; ``play`` + ``data_to_send``), and the pipecat-style glue of
bench_pipeline.py (json + base64 + audioop + soxr).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import perf_counter_ns
from typing import Any, TypeVar

import numpy as np
import pytest

from audiofork import StreamSession, wire
from bench_pipeline import (
    FRAMES,
    MEDIA,
    STREAM_ID,
    TTS24K,
    ULAW8K,
    Int16,
    inbound_audiofork,
    inbound_pipecat_style,
    outbound_audiofork,
    outbound_pipecat_style,
)

T = TypeVar("T")
ROUNDS = 5
KEPT_ROUNDS = 3  # the samples of the last rounds are kept; the first warm caches
TTS_FRAMES = np.split(TTS24K, FRAMES)  # 20 ms of 24 kHz each
START = wire.start(STREAM_ID, ULAW8K, call_id="5401fd2e-6344-40df-a22c-c8ffea7a92e7")


def inbound_session() -> Callable[[str], int]:
    session = StreamSession(app_rate=16000)
    session.receive(START)

    def step(message: str) -> int:
        return sum(len(e.pcm) for e in session.receive(message))  # type: ignore[union-attr]

    return step


def outbound_session() -> Callable[[Int16], int]:
    session = StreamSession(playback_format=ULAW8K)
    session.receive(START)

    def step(chunk: Int16) -> int:
        session.play(chunk, 24000)
        return len(session.data_to_send())

    return step


INBOUND: dict[str, Callable[[], Callable[[str], int]]] = {
    "audiofork_decoder": inbound_audiofork,
    "audiofork_session": inbound_session,
    "peer_pipecat_style": inbound_pipecat_style,
}
OUTBOUND: dict[str, Callable[[], Callable[[Int16], int]]] = {
    "audiofork_encoder": outbound_audiofork,
    "audiofork_session": outbound_session,
    "peer_pipecat_style": outbound_pipecat_style,
}


def _time_each(benchmark: Any, make: Callable[[], Callable[[T], int]], inputs: Sequence[T]) -> int:
    """Run every input through a fresh path, timing each step; keep the last rounds' times."""
    rounds: list[list[int]] = []
    produced = 0

    def run() -> None:
        nonlocal produced
        step = make()
        times = []
        produced = 0
        for item in inputs:
            started = perf_counter_ns()
            produced += step(item)
            times.append(perf_counter_ns() - started)
        rounds.append(times)

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    benchmark.extra_info["frames"] = len(inputs)
    benchmark.extra_info["per_frame_ns"] = [t for r in rounds[-KEPT_ROUNDS:] for t in r]
    return produced


@pytest.mark.parametrize("name", list(INBOUND))
def test_inbound_latency(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "per-frame latency, inbound: media μ-law/8k -> int16/16k"
    samples = _time_each(benchmark, INBOUND[name], MEDIA)
    # Ours: exactly 20 ms out per message; soxr's stream holds up to about 115 ms back.
    assert FRAMES * 320 - (0 if name.startswith("audiofork") else 0.15 * 16000) <= samples
    assert samples <= FRAMES * 320


@pytest.mark.parametrize("name", list(OUTBOUND))
def test_outbound_latency(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "per-frame latency, outbound: 20 ms of 24 kHz -> playAudio μ-law/8k"
    frames = _time_each(benchmark, OUTBOUND[name], TTS_FRAMES)
    assert FRAMES - (0 if name.startswith("audiofork") else 0.15 * 50) <= frames <= FRAMES
