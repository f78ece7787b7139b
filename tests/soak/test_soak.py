"""The soak's short version (tests/soak/soak.py; ``make soak`` runs the long one): 20,000
frames, 1,000 sessions and a one-minute call through the emulator at 20x, each leaving
resident memory within 1 MiB of its level after warm-up and as many file descriptors and
asyncio tasks as it found; and the call delivering no more caller audio than its stream
lasted."""

from __future__ import annotations

import sys

import pytest

from soak import Phase, audio_beyond_the_stream, soak_call, soak_frames, soak_sessions

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self/statm and /proc/self/fd"
)


def test_20000_frames_through_decoder_encoder_and_session() -> None:
    phase = soak_frames(20_000, warmup=5_000)
    assert not phase.problems(), (phase.problems(), phase.checks)


def test_1000_sessions_opened_and_closed() -> None:
    phase = soak_sessions(1_000, warmup=250)
    assert not phase.problems(), (phase.problems(), phase.checks)


@pytest.fixture(scope="module")
def call() -> Phase:
    return soak_call(60, speed=20, warmup_s=15)


def test_one_minute_call_through_the_emulator(call: Phase) -> None:
    assert not call.problems(), (call.problems(), call.checks)


def test_no_caller_audio_beyond_the_billed_stream(call: Phase) -> None:
    """The platform stops forking the caller's audio when the call is hung up: the app gets
    at most the stream's billed duration of it."""
    assert audio_beyond_the_stream(call.checks) is None, call.checks
