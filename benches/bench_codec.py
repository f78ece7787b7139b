"""Codec benchmarks against audioop, numpy, the stdlib and pybase64, side by side.

Run for real with ``make bench``; ``make test`` runs them once with --benchmark-disable so they
never rot. Each group holds the same work done by audiofork and by its peers. Bulk groups
(1 s and 60 s of audio in one call) are reported per 20 ms of audio and in samples/s.
"""

from __future__ import annotations

import audioop
import base64

import numpy as np
import pybase64
import pytest

import audiofork as af

RATE = 8000
rng = np.random.default_rng(7)


def _speech_like(seconds: int) -> np.ndarray:
    t = np.arange(RATE * seconds) / RATE
    x = 9000 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2
    return (x + rng.normal(0, 800, len(t))).clip(-32768, 32767).astype(np.int16)


PCM = {"1s": _speech_like(1), "60s": _speech_like(60)}
PCM_BYTES = {k: v.tobytes() for k, v in PCM.items()}
ULAW = {k: audioop.lin2ulaw(v, 2) for k, v in PCM_BYTES.items()}
ALAW = {k: audioop.lin2alaw(v, 2) for k, v in PCM_BYTES.items()}
ULAW_TABLE = np.frombuffer(audioop.ulaw2lin(bytes(range(256)), 2), dtype=np.int16)
FRAME_CODES = ULAW["1s"][:160]  # one 20 ms μ-law frame
FRAME_B64 = base64.b64encode(FRAME_CODES).decode()
FRAME_L16_B64 = base64.b64encode(PCM_BYTES["1s"][:640]).decode()  # 20 ms L16 at 16 kHz
DURATIONS = ["1s", "60s"]


def _audio(benchmark, group: str, d: str) -> None:  # type: ignore[no-untyped-def]
    """A bulk benchmark: timed per 20 ms of its audio, throughput in samples."""
    benchmark.group = group
    benchmark.extra_info.update(samples=len(PCM[d]), frames=len(PCM[d]) // 160)


@pytest.mark.parametrize("d", DURATIONS)
def test_ulaw_encode_audiofork(benchmark, d):
    _audio(benchmark, f"ulaw encode {d}", d)
    assert benchmark(af.ulaw_encode, PCM[d]) == ULAW[d]


@pytest.mark.parametrize("d", DURATIONS)
def test_ulaw_encode_audiofork_bytes_in(benchmark, d):
    _audio(benchmark, f"ulaw encode {d}", d)
    assert benchmark(af.lin2ulaw, PCM_BYTES[d], 2) == ULAW[d]


@pytest.mark.parametrize("d", DURATIONS)
def test_ulaw_encode_peer_audioop(benchmark, d):
    _audio(benchmark, f"ulaw encode {d}", d)
    assert benchmark(audioop.lin2ulaw, PCM_BYTES[d], 2) == ULAW[d]


@pytest.mark.parametrize("d", DURATIONS)
def test_alaw_encode_audiofork(benchmark, d):
    _audio(benchmark, f"alaw encode {d}", d)
    assert benchmark(af.alaw_encode, PCM[d]) == ALAW[d]


@pytest.mark.parametrize("d", DURATIONS)
def test_alaw_encode_peer_audioop(benchmark, d):
    _audio(benchmark, f"alaw encode {d}", d)
    assert benchmark(audioop.lin2alaw, PCM_BYTES[d], 2) == ALAW[d]


@pytest.mark.parametrize("d", DURATIONS)
def test_ulaw_decode_audiofork(benchmark, d):
    _audio(benchmark, f"ulaw decode {d}", d)
    assert benchmark(af.ulaw_decode, ULAW[d]).tobytes() == audioop.ulaw2lin(ULAW[d], 2)


@pytest.mark.parametrize("d", DURATIONS)
def test_ulaw_decode_audiofork_bytes_out(benchmark, d):
    _audio(benchmark, f"ulaw decode {d}", d)
    assert benchmark(af.ulaw2lin, ULAW[d], 2) == audioop.ulaw2lin(ULAW[d], 2)


@pytest.mark.parametrize("d", DURATIONS)
def test_ulaw_decode_peer_audioop(benchmark, d):
    _audio(benchmark, f"ulaw decode {d}", d)
    assert len(audioop.ulaw2lin(ULAW[d], 2)) == 2 * len(PCM[d])
    benchmark(audioop.ulaw2lin, ULAW[d], 2)


@pytest.mark.parametrize("d", DURATIONS)
def test_ulaw_decode_peer_numpy_table(benchmark, d):
    _audio(benchmark, f"ulaw decode {d}", d)
    codes = np.frombuffer(ULAW[d], dtype=np.uint8)
    out = benchmark(lambda: ULAW_TABLE[codes])
    assert out.tobytes() == audioop.ulaw2lin(ULAW[d], 2)


@pytest.mark.parametrize("d", DURATIONS)
def test_alaw_decode_audiofork(benchmark, d):
    _audio(benchmark, f"alaw decode {d}", d)
    assert benchmark(af.alaw_decode, ALAW[d]).tobytes() == audioop.alaw2lin(ALAW[d], 2)


@pytest.mark.parametrize("d", DURATIONS)
def test_alaw_decode_peer_audioop(benchmark, d):
    _audio(benchmark, f"alaw decode {d}", d)
    assert len(audioop.alaw2lin(ALAW[d], 2)) == 2 * len(PCM[d])
    benchmark(audioop.alaw2lin, ALAW[d], 2)


def test_frame_decode_audiofork(benchmark):
    benchmark.group = "20 ms μ-law frame: base64 text -> int16"
    out = benchmark(af.decode_payload, FRAME_B64, "audio/x-mulaw")
    assert out.tobytes() == audioop.ulaw2lin(FRAME_CODES, 2)


def test_frame_decode_peer_b64decode_ulaw2lin(benchmark):
    benchmark.group = "20 ms μ-law frame: base64 text -> int16"

    def stdlib() -> np.ndarray:
        return np.frombuffer(audioop.ulaw2lin(base64.b64decode(FRAME_B64), 2), dtype=np.int16)

    assert benchmark(stdlib).tobytes() == audioop.ulaw2lin(FRAME_CODES, 2)


def test_frame_decode_peer_pybase64_ulaw2lin(benchmark):
    benchmark.group = "20 ms μ-law frame: base64 text -> int16"

    def fast() -> np.ndarray:
        return np.frombuffer(audioop.ulaw2lin(pybase64.b64decode(FRAME_B64), 2), dtype=np.int16)

    assert benchmark(fast).tobytes() == audioop.ulaw2lin(FRAME_CODES, 2)


def test_frame_decode_l16_audiofork(benchmark):
    benchmark.group = "20 ms L16/16k frame: base64 text -> int16"
    out = af.decode_payload(FRAME_L16_B64, "audio/x-l16")
    assert out.tobytes() == PCM_BYTES["1s"][:640]
    benchmark(af.decode_payload, FRAME_L16_B64, "audio/x-l16")


def test_frame_decode_l16_peer_b64decode_frombuffer(benchmark):
    benchmark.group = "20 ms L16/16k frame: base64 text -> int16"

    def stdlib() -> np.ndarray:
        return np.frombuffer(base64.b64decode(FRAME_L16_B64), dtype="<i2")

    assert stdlib().tobytes() == PCM_BYTES["1s"][:640]
    benchmark(stdlib)


def test_frame_encode_audiofork(benchmark):
    benchmark.group = "20 ms μ-law frame: int16 -> base64 text"
    pcm = PCM["1s"][:160]
    assert benchmark(af.encode_payload, pcm, "audio/x-mulaw") == FRAME_B64


def test_frame_encode_peer_lin2ulaw_pybase64(benchmark):
    benchmark.group = "20 ms μ-law frame: int16 -> base64 text"
    pcm = PCM["1s"][:160]
    result = benchmark(lambda: pybase64.b64encode(audioop.lin2ulaw(pcm.tobytes(), 2)).decode())
    assert result == FRAME_B64


def test_frame_encode_peer_lin2ulaw_b64encode(benchmark):
    benchmark.group = "20 ms μ-law frame: int16 -> base64 text"
    pcm = PCM["1s"][:160]
    result = benchmark(lambda: base64.b64encode(audioop.lin2ulaw(pcm.tobytes(), 2)).decode())
    assert result == FRAME_B64
