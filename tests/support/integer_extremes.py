"""Every integer argument of the public API, driven with hypothesis to extreme values.

Run as a script by ``test_no_abort.py`` in a subprocess, so an abort (SIGABRT from a failed
allocation, a Rust panic) fails that test instead of killing the test runner. Each call must
return or raise one of the documented errors; a value that is accepted is also used (a ring
written and read, an encoder pushed and flushed), since that is where sizes turn into memory.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import audiofork as af
from audiofork import MediaFormat, wire

ULAW8K = MediaFormat("mulaw", 8000)
L16_24K = MediaFormat("l16", 24000)
PCM = np.zeros(480, np.int16)
EXPECTED = (af.AudioforkError, TypeError)


def _ring(capacity: int) -> None:
    ring = af.Ring(capacity)
    ring.write(PCM)
    ring.read(min(capacity, len(PCM)))


def _encoder(frame_ms: int) -> None:
    encoder = af.OutboundEncoder(L16_24K, "s", frame_ms)
    encoder.push(PCM, 24000)
    encoder.flush()


def _push(rate: int) -> None:
    encoder = af.OutboundEncoder(ULAW8K, "s")
    encoder.push(PCM, rate)
    encoder.flush()


def _decoder(out_rate: int) -> None:
    decoder = af.InboundDecoder(ULAW8K, out_rate)
    decoder.decode_payload(af.encode_payload(PCM, ULAW8K))


def _format(rate: int) -> None:
    fmt = MediaFormat("l16", rate, strict=False)
    fmt.samples_per_frame(20)
    af.OutboundEncoder(fmt, "s").push(PCM, 8000)


CALLS: dict[str, Callable[[int], object]] = {
    "Ring(capacity)": _ring,
    "Ring.read(n)": lambda v: af.Ring(4).read(v),
    "Ring.peek(n)": lambda v: af.Ring(4).peek(v),
    "InboundDecoder(out_rate)": _decoder,
    "InboundDecoder(max_message_size)": lambda v: af.InboundDecoder(
        ULAW8K, max_message_size=v
    ).decode_message(wire.stop("s")),
    "OutboundEncoder(frame_ms)": _encoder,
    "OutboundEncoder.push(sample_rate)": _push,
    "Resampler(in_rate)": lambda v: af.Resampler(v, 8000).process(PCM),
    "Resampler(out_rate)": lambda v: af.Resampler(8000, v).process(PCM),
    "Resampler.output_len(input_len)": lambda v: af.Resampler(8000, 48000).output_len(v),
    "resample(in_rate)": lambda v: af.resample(PCM, v, 8000),
    "resample(out_rate)": lambda v: af.resample(PCM, 8000, v),
    "parse_message(max_size)": lambda v: af.parse_message(wire.stop("s"), max_size=v),
    "MediaFormat(sample_rate)": _format,
    "MediaFormat.parse(default_rate)": lambda v: MediaFormat.parse("l16", default_rate=v),
    "MediaFormat.samples_per_frame(ms)": lambda v: L16_24K.samples_per_frame(v),
    "MediaFormat.bytes_per_frame(ms)": lambda v: L16_24K.bytes_per_frame(v),
    "media(sequence_number)": lambda v: wire.media(
        "s", "", sequence_number=v, chunk=1, timestamp_ms=1
    ),
    "media(chunk)": lambda v: wire.media("s", "", sequence_number=1, chunk=v, timestamp_ms=1),
    "media(timestamp_ms)": lambda v: wire.media(
        "s", "", sequence_number=1, chunk=1, timestamp_ms=v
    ),
    "dtmf(sequence_number)": lambda v: wire.dtmf("s", "1", sequence_number=v, timestamp_ms=1),
    "dtmf(timestamp_ms)": lambda v: wire.dtmf("s", "1", sequence_number=1, timestamp_ms=v),
    "start(sequence_number)": lambda v: wire.start("s", ULAW8K, call_id="c", sequence_number=v),
    "played_stream(sequence_number)": lambda v: wire.played_stream("n", "s", v),
    "cleared_audio(sequence_number)": lambda v: wire.cleared_audio("s", v),
    "Start(sequence_number)": lambda v: af.Start(
        stream_id="s", media_format=ULAW8K, sequence_number=v
    ),
    "Media(sequence_number)": lambda v: af.Media(payload="", sequence_number=v),
    "Media(timestamp_ms)": lambda v: af.Media(payload="", timestamp_ms=v),
    "Media(chunk)": lambda v: af.Media(payload="", chunk=v),
    "PlayedStream(sequence_number)": lambda v: af.PlayedStream(name="n", sequence_number=v),
    "ClearedAudio(sequence_number)": lambda v: af.ClearedAudio(sequence_number=v),
    "Dtmf(sequence_number)": lambda v: af.Dtmf(digit="1", sequence_number=v),
    "Dtmf(timestamp_ms)": lambda v: af.Dtmf(digit="1", timestamp_ms=v),
    "Stop(sequence_number)": lambda v: af.Stop(sequence_number=v),
}

#: Edges of every integer type a binding might convert to, and their neighbours.
EDGES = [
    0,
    1,
    -1,
    *(
        sign * 2**bits + delta
        for bits in (7, 8, 15, 16, 31, 32, 63, 64, 127, 128)
        for sign in (1, -1)
        for delta in (-1, 0, 1)
    ),
    10**5000,
]
INTEGERS = st.sampled_from(EDGES) | st.integers() | st.integers(0, 400_000)


@settings(max_examples=150, deadline=None, database=None)
@given(st.sampled_from(sorted(CALLS)), INTEGERS)
def check(name: str, value: int) -> None:
    with contextlib.suppress(*EXPECTED):
        CALLS[name](value)


if __name__ == "__main__":
    for name in sorted(CALLS):
        for value in EDGES:
            with contextlib.suppress(*EXPECTED):
                CALLS[name](value)
    check()
    sys.stdout.write(f"checked {len(CALLS)} integer arguments\n")
