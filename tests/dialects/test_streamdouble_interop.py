"""Interop: streamdouble, a third-party Twilio Media Streams simulator, places a call to the
Twilio-dialect echo example (both real subprocesses): no protocol violation, every frame of
the caller's audio comes back, each mark is echoed, and its verdict is a pass (exit 0).

streamdouble lives in a venv of its own (``make .venv-interop/.installed``, which
``make py-test`` runs first): its pytest plugin's ``simulated_call`` fixture shares a name
with :mod:`audiofork.simulate`'s, so it cannot be installed beside this suite.
"""

from __future__ import annotations

import asyncio
import json
import wave
from pathlib import Path

import numpy as np
import pytest

from audiofork import resample
from audiofork.samples import speech
from support.emulator_platform_apps import within
from support.examples import example_process, lines_until

STREAMDOUBLE = Path(__file__).resolve().parents[2] / ".venv-interop" / "bin" / "streamdouble"


def speech_8k_wav(path: Path) -> Path:
    pcm, rate = speech()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.asarray(resample(pcm, rate, 8000), "<i2").tobytes())
    return path


@pytest.mark.skipif(
    not STREAMDOUBLE.exists(), reason="streamdouble not installed: make .venv-interop/.installed"
)
async def test_streamdouble_drives_the_twilio_echo_app(tmp_path: Path) -> None:
    audio = speech_8k_wav(tmp_path / "caller.wav")
    async with example_process("echo_bot.py", "--dialect", "twilio") as (url, app):
        call = await asyncio.create_subprocess_exec(
            str(STREAMDOUBLE),
            "call",
            url,
            "--audio",
            str(audio),
            "--json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await within(call.communicate(), 90)
        assert app.stderr is not None
        log = await within(lines_until(app.stderr, "stream ended"))
    report = json.loads(out)
    assert call.returncode == report["exit_code"] == 0, (report, err.decode())
    assert report["violations"] == [] and report["unknown_events"] == []
    assert report["frames_sent"] == report["media_frames_received"] == 500
    assert report["marks_received"] == report["marks_echoed"] == 10
    assert report["frames_dropped"] == 0 and not report["closed_before_audio"]
    assert "echo_bot: checkpoint cp-10: played\n" in log, log
