"""Interop: streamdouble, a third-party Twilio Media Streams simulator, places a call to the
Twilio-dialect echo example (a real subprocess): no protocol violation, every frame of the
caller's audio comes back, each mark is echoed, and its verdict is a pass."""

from __future__ import annotations

import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np

from audiofork import resample
from audiofork.samples import speech
from support.emulator_platform_apps import within
from support.examples import example_process, lines_until


def speech_8k_wav(path: Path) -> Path:
    pcm, rate = speech()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.asarray(resample(pcm, rate, 8000), "<i2").tobytes())
    return path


async def test_streamdouble_drives_the_twilio_echo_app(
    simulated_call: Callable[..., Awaitable[Any]], tmp_path: Path
) -> None:
    audio = speech_8k_wav(tmp_path / "caller.wav")
    async with example_process("echo_bot.py", "--dialect", "twilio") as (url, process):
        report = await within(simulated_call(url, audio=str(audio)), 60)
        assert process.stderr is not None
        log = await within(lines_until(process.stderr, "stream ended"))
    assert report.violations == []
    assert report.spoke and report.passed, report.to_dict()
    metrics = report.metrics
    assert metrics.media_frames_received == metrics.frames_sent == 500
    assert "echo_bot: checkpoint cp-10: played\n" in log, log
    assert not any(": cleared" in line or ": closed" in line for line in log[:-1]), log
