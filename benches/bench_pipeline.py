"""Per-frame pipelines against the Python glue they replace, on the same 3,000 messages.

Inbound: 3,000 μ-law/8 kHz ``media`` messages → int16 at 16 kHz. Outbound: 60 s of 24 kHz
TTS in uneven chunks → 20 ms μ-law/8 kHz ``playAudio`` strings. The peers are the
pipecat-style path (json + base64 + audioop + soxr) and the fastest Python glue we know
(orjson + pybase64). Parse-only: each event type against ``json.loads``. Times are reported
per frame (message).
"""

from __future__ import annotations

import audioop
import base64
import json
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import orjson
import pybase64
import pytest
import soxr

import audiofork as af
from audiofork import InboundDecoder, MediaFormat, OutboundEncoder, wire
from audiofork.samples import speech

FRAMES = 3000
STREAM_ID = "c4dfd815-a92a-4140-ab85-5ff28c004116"
ULAW8K = MediaFormat("audio/x-mulaw", 8000)
_speech = np.tile(speech(16000)[0], 7)
_speech8k = af.resample(_speech, 16000, 8000)[: FRAMES * 160]
_codes = af.ulaw_encode(_speech8k)
MEDIA = [
    wire.media(
        STREAM_ID,
        base64.b64encode(_codes[i * 160 : (i + 1) * 160]).decode(),
        sequence_number=i + 1,
        chunk=i + 1,
        timestamp_ms=1778597597091 + 20 * i,
    )
    for i in range(FRAMES)
]
Int16 = npt.NDArray[np.int16]
TTS24K = af.resample(_speech, 16000, 24000)[: FRAMES * 480]
_rng = np.random.default_rng(3)
_cuts = np.cumsum(_rng.integers(200, 4000, size=2000))
TTS_CHUNKS = [c for c in np.split(TTS24K, _cuts[_cuts < len(TTS24K)]) if len(c)]


def _frames(benchmark, group: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = group
    benchmark.extra_info["frames"] = FRAMES


# What a peer's soxr stream may hold back at the end of the run (it is not flushed): its
# output comes in bursts and trails the input by up to about 115 ms.
HELD_BACK_S = 0.15


def _inbound_work(samples: int) -> None:
    """Before timing: the run turned every message into 16 kHz samples, less what a stream
    holds back."""
    owed = FRAMES * 320
    assert owed - HELD_BACK_S * 16000 <= samples <= owed, (samples, owed)


def _outbound_work(frames: int) -> None:
    """Before timing: the run produced a 20 ms frame for all of the TTS audio, less what a
    stream holds back."""
    assert FRAMES - HELD_BACK_S * 50 <= frames <= FRAMES, frames


# --- the paths, one 20 ms step at a time: make() -> step(input) -> output size ---------
#
# Shared with bench_latency.py, which times each step alone.


def inbound_audiofork() -> Callable[[str], int]:
    decoder = InboundDecoder(ULAW8K, 16000)
    return lambda message: len(decoder.decode_message(message).pcm)


def inbound_pipecat_style() -> Callable[[str], int]:
    """pipecat's path: json, base64, audioop and a soxr VHQ stream."""
    stream = soxr.ResampleStream(8000, 16000, 1, dtype="int16", quality="VHQ")

    def step(message: str) -> int:
        msg = json.loads(message)
        pcm = audioop.ulaw2lin(base64.b64decode(msg["media"]["payload"]), 2)
        return len(stream.resample_chunk(np.frombuffer(pcm, dtype=np.int16)))

    return step


def inbound_fast_python() -> Callable[[str], int]:
    """The fastest Python glue we know: orjson, pybase64, audioop and a soxr HQ stream."""
    stream = soxr.ResampleStream(8000, 16000, 1, dtype="int16", quality="HQ")

    def step(message: str) -> int:
        msg = orjson.loads(message)
        pcm = audioop.ulaw2lin(pybase64.b64decode(msg["media"]["payload"]), 2)
        return len(stream.resample_chunk(np.frombuffer(pcm, dtype=np.int16)))

    return step


def outbound_audiofork() -> Callable[[Int16], int]:
    encoder = OutboundEncoder(ULAW8K, STREAM_ID)
    return lambda chunk: len(encoder.push(chunk, 24000))


def outbound_pipecat_style() -> Callable[[Int16], int]:
    """soxr HQ, audioop, base64 and json, cutting 20 ms frames from what comes out."""
    stream = soxr.ResampleStream(24000, 8000, 1, dtype="int16", quality="HQ")
    pending = b""

    def step(chunk: Int16) -> int:
        nonlocal pending
        pending += audioop.lin2ulaw(stream.resample_chunk(chunk).tobytes(), 2)
        frames = []
        while len(pending) >= 160:
            frame, pending = pending[:160], pending[160:]
            media = {
                "contentType": "audio/x-mulaw",
                "sampleRate": 8000,
                "payload": base64.b64encode(frame).decode(),
            }
            frames.append(json.dumps({"event": "playAudio", "streamId": STREAM_ID, "media": media}))
        return len(frames)

    return step


INBOUND = {
    "audiofork": inbound_audiofork,
    "peer_pipecat_style": inbound_pipecat_style,
    "peer_fast_python": inbound_fast_python,
}
OUTBOUND = {"audiofork": outbound_audiofork, "peer_soxr_audioop_json": outbound_pipecat_style}


# --- inbound ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(INBOUND))
def test_inbound(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    _frames(benchmark, "inbound: media μ-law/8k -> int16/16k")

    def run() -> int:
        step = INBOUND[name]()
        return sum(step(m) for m in MEDIA)

    samples = run()
    if name == "audiofork":
        assert samples == FRAMES * 320
    _inbound_work(samples)
    benchmark(run)


# --- outbound --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OUTBOUND))
def test_outbound(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    _frames(benchmark, "outbound: 24 kHz TTS -> playAudio μ-law/8k")

    def run() -> int:
        step = OUTBOUND[name]()
        return sum(step(chunk) for chunk in TTS_CHUNKS)

    frames = run()
    if name == "audiofork":
        assert frames == FRAMES  # exact framing: 60 s in, 3,000 frames out
    _outbound_work(frames)
    benchmark(run)


# --- by dialect: the same frames as Vobiz and as Twilio write them ---------------------

TWILIO_MEDIA = [
    wire.media(
        "MZ18ad3ab5a668481ce02b83e7395059f0",
        json.loads(message)["media"]["payload"],
        sequence_number=i + 2,
        chunk=i + 1,
        timestamp_ms=20 * i,
        dialect="twilio",
    )
    for i, message in enumerate(MEDIA)
]
DIALECTS = {"audiofork_vobiz": ("vobiz", MEDIA), "audiofork_twilio": ("twilio", TWILIO_MEDIA)}


@pytest.mark.parametrize("name", list(DIALECTS))
def test_inbound_by_dialect(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    _frames(benchmark, "inbound by dialect: media μ-law/8k -> int16/16k")
    dialect, messages = DIALECTS[name]

    def run() -> int:
        decoder = InboundDecoder(ULAW8K, 16000, dialect=dialect)  # type: ignore[arg-type]
        return sum(len(decoder.decode_message(m).pcm) for m in messages)

    assert run() == FRAMES * 320
    benchmark(run)


@pytest.mark.parametrize("name", list(DIALECTS))
def test_outbound_by_dialect(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    _frames(benchmark, "outbound by dialect: 24 kHz TTS -> μ-law/8k messages")
    dialect, _ = DIALECTS[name]

    def run() -> int:
        encoder = OutboundEncoder(ULAW8K, STREAM_ID, dialect=dialect)  # type: ignore[arg-type]
        return sum(len(encoder.push(chunk, 24000)) for chunk in TTS_CHUNKS)

    assert run() == FRAMES
    benchmark(run)


# --- parse only ------------------------------------------------------------------------

EXAMPLES = {
    "media": MEDIA[0],
    "start": wire.start("s", MediaFormat("l16", 16000), call_id="c", account_id="a"),
    "playedStream": wire.played_stream("greeting", "s", 9),
    "clearedAudio": wire.cleared_audio("s", 7),
    "dtmf": wire.dtmf("s", "5", sequence_number=5, timestamp_ms=1),
    "playAudio": wire.play_audio("s", ULAW8K, base64.b64encode(bytes(160)).decode()),
    "checkpoint": wire.checkpoint("s", "greeting"),
}


@pytest.mark.parametrize("event", list(EXAMPLES))
def test_parse_audiofork(benchmark, event):
    benchmark.group = f"parse {event}"
    assert type(af.parse_message(EXAMPLES[event])).__name__.lower() == event.lower()
    benchmark(af.parse_message, EXAMPLES[event])


@pytest.mark.parametrize("event", list(EXAMPLES))
def test_parse_peer_json_loads(benchmark, event):
    benchmark.group = f"parse {event}"
    assert json.loads(EXAMPLES[event])["event"] == event
    benchmark(json.loads, EXAMPLES[event])


@pytest.mark.parametrize("event", list(EXAMPLES))
def test_parse_peer_orjson_loads(benchmark, event):
    benchmark.group = f"parse {event}"
    assert orjson.loads(EXAMPLES[event])["event"] == event
    benchmark(orjson.loads, EXAMPLES[event])
