"""The soak's short version (tests/soak/soak.py; ``make soak`` runs the long one): 20,000
frames, 1,000 sessions and a one-minute call through the emulator at 20x, each leaving
resident memory within 1 MiB of its level after warm-up and as many file descriptors and
asyncio tasks as it found."""

from __future__ import annotations

import sys

import pytest

from soak import soak_call, soak_frames, soak_sessions

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self/statm and /proc/self/fd"
)


def test_20000_frames_through_decoder_encoder_and_session() -> None:
    phase = soak_frames(20_000, warmup=5_000)
    assert not phase.problems(), (phase.problems(), phase.checks)


def test_1000_sessions_opened_and_closed() -> None:
    phase = soak_sessions(1_000, warmup=250)
    assert not phase.problems(), (phase.problems(), phase.checks)


def test_one_minute_call_through_the_emulator() -> None:
    phase = soak_call(60, speed=20, warmup_s=15)
    assert not phase.problems(), (phase.problems(), phase.checks)
