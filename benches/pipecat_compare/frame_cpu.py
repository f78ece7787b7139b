"""CPU per frame of pipecat serializers, in pipecat's venv: audiofork's ``AudioforkSerializer``
against pipecat's own (``VobizFrameSerializer`` from pipecat-vobiz, ``PlivoFrameSerializer``,
``TwilioFrameSerializer``), each at a 16 kHz pipeline on a μ-law 8 kHz stream, in one run.

A "frame" is what one 40 ms output chunk costs (``serialize``: resample, encode, base64,
JSON) plus two 20 ms inbound ``media`` messages (``deserialize``); CPU time
(``time.process_time``), the median of ``--rounds`` rounds of ``--frames`` frames. Prints JSON.

    .venv-pipecat/bin/python benches/pipecat_compare/frame_cpu.py --frames 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
from pipecat.frames.frames import OutputAudioRawFrame
from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.serializers.plivo import PlivoFrameSerializer
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.serializers.vobiz import VobizFrameSerializer

from audiofork import MediaFormat, ulaw_encode, wire
from audiofork.integrations.pipecat import AudioforkPlayout, AudioforkSerializer

RATE = 16000
DIALECTS = ("vobiz", "plivo", "twilio")


def theirs(dialect: str) -> FrameSerializer:
    if dialect == "twilio":
        return TwilioFrameSerializer(
            "s-1", params=TwilioFrameSerializer.InputParams(auto_hang_up=False)
        )
    if dialect == "plivo":
        return PlivoFrameSerializer(
            "s-1", params=PlivoFrameSerializer.InputParams(auto_hang_up=False)
        )
    return VobizFrameSerializer("s-1", params=VobizFrameSerializer.InputParams(auto_hang_up=False))


def ours(dialect: str) -> FrameSerializer:
    """Ours with its playout (which it needs; each 40 ms chunk is one message, so no
    drain is asked for)."""
    serializer = AudioforkSerializer(
        "s-1", dialect=dialect, media_format=MediaFormat("audio/x-mulaw", 8000)
    )
    AudioforkPlayout(serializer)
    return serializer


def speech_like(ms: int, rate: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    t = np.arange(rate * ms // 1000) / rate
    return (6000 * np.sin(2 * np.pi * 220 * t) + rng.normal(0, 800, len(t))).astype("<i2")


async def time_rounds(
    serializer: FrameSerializer, dialect: str, frames: int, rounds: int
) -> dict[str, float]:
    """Median CPU µs of ``serialize`` per 40 ms chunk, ``deserialize`` per 20 ms message, and
    a frame (one of the first, two of the second)."""
    await serializer.setup(SimpleNamespace(audio_in_sample_rate=RATE))
    out = OutputAudioRawFrame(speech_like(40, RATE).tobytes(), RATE, 1)
    payload = base64.b64encode(ulaw_encode(speech_like(20, 8000))).decode()
    inbound = [
        wire.media(
            "s-1", payload, sequence_number=n + 2, chunk=n + 1, timestamp_ms=20 * n, dialect=dialect
        )
        for n in range(2 * frames)
    ]
    outs: list[float] = []
    ins: list[float] = []
    for _ in range(rounds):
        began = time.process_time()
        for _ in range(frames):
            await serializer.serialize(out)
        outs.append((time.process_time() - began) / frames * 1e6)
        began = time.process_time()
        for message in inbound:
            await serializer.deserialize(message)
        ins.append((time.process_time() - began) / len(inbound) * 1e6)
    out_us, in_us = statistics.median(outs), statistics.median(ins)
    return {"out_us": out_us, "in_us": in_us, "frame_us": out_us + 2 * in_us}


async def run(frames: int, rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for dialect in DIALECTS:
        results[dialect] = {
            "audiofork": await time_rounds(ours(dialect), dialect, frames, rounds),
            "pipecat": await time_rounds(theirs(dialect), dialect, frames, rounds),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from loguru import logger

    logger.remove()  # pipecat's serializers log each dropped frame at debug level
    print(json.dumps(asyncio.run(run(args.frames, args.rounds))))


if __name__ == "__main__":
    main()
