"""The echo and transcriber examples in the Twilio (and Plivo) dialect, end to end: real
subprocesses serving real WebSockets, driven by a scripted Twilio connection (plain json).
The caller's μ-law comes back as Twilio ``media``, the checkpoint each second is a ``mark``
resolved ``played`` when echoed, the dialect is detected or given on the command line; the
transcriber writes the Twilio call's audio to a WAV named after its ``streamSid``."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from audiofork.codec import ulaw_decode
from support.examples import example_process, lines_until
from support.scripted_platform import STREAM_ID, ScriptedPlatform, tone
from support.twilio_platform import STREAM_SID, ScriptedTwilio, payload_bytes

TIMEOUT = 30


def best_lag(echoed: np.ndarray, sent: np.ndarray) -> tuple[int, float]:
    """The delay (samples, up to 5 ms at 8 kHz) at which ``echoed`` best matches ``sent``,
    and the correlation there."""
    scores = [
        (float(np.corrcoef(echoed[lag:], sent[: len(sent) - lag])[0, 1]), lag) for lag in range(41)
    ]
    correlation, lag = max(scores)
    return lag, correlation


@pytest.mark.parametrize("args", [(), ("--dialect", "twilio")], ids=["detected", "given"])
async def test_echo_bot_speaks_twilio(args: tuple[str, ...]) -> None:
    speech = tone(1200, rate=8000)
    async with (
        asyncio.timeout(TIMEOUT),
        example_process("echo_bot.py", *args) as (url, process),
    ):
        async with ScriptedTwilio.connect(url) as platform:
            await platform.begin()
            await platform.media(speech)
            first = await platform.until("mark")
            assert [m["event"] for m in first] == ["media"] * 50 + ["mark"]
            assert first[-1] == {"event": "mark", "streamSid": STREAM_SID, "mark": {"name": "cp-1"}}
            assert all(
                m["streamSid"] == STREAM_SID and set(m["media"]) == {"payload"} for m in first[:-1]
            )
            await platform.mark("cp-1")
            rest = [await platform.next() for _ in range(10)]
            # μ-law in, 16 kHz in the app, μ-law out: all the caller's audio comes back, the
            # same sound behind by the resamplers' delay of a few ms.
            echoed = ulaw_decode(payload_bytes(first[:-1] + rest)).astype(np.float64)
            assert len(echoed) == len(speech)
            lag, correlation = best_lag(echoed, speech.astype(np.float64))
            assert 0 <= lag <= 40 and correlation > 0.99, (lag, correlation)
        assert process.stderr is not None
        log = await lines_until(process.stderr, "stream ended")
    assert any("started (" in line and "twilio" in line for line in log), log
    assert "echo_bot: checkpoint cp-1: played\n" in log
    assert log[-1] == "echo_bot: stream ended: connection_lost\n"


async def test_echo_bot_speaks_plivo_as_vobiz_writes_it() -> None:
    speech = tone(1000)
    async with (
        asyncio.timeout(TIMEOUT),
        example_process("echo_bot.py", "--dialect", "plivo") as (url, process),
    ):
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            await platform.media(speech)
            got = await platform.until("checkpoint")
            assert [m["event"] for m in got] == ["playAudio"] * 50 + ["checkpoint"]
            assert got[-1] == {"event": "checkpoint", "streamId": STREAM_ID, "name": "cp-1"}
            await platform.played("cp-1")
        assert process.stderr is not None
        log = await lines_until(process.stderr, "stream ended")
    assert any("started (" in line and "plivo" in line for line in log), log
    assert "echo_bot: checkpoint cp-1: played\n" in log


async def test_transcriber_writes_a_twilio_call(tmp_path: Path) -> None:
    speech = tone(1000, rate=8000, hz=220)
    args = ("transcriber.py", "--out-dir", str(tmp_path), "--dialect", "twilio")
    async with asyncio.timeout(TIMEOUT), example_process(*args) as (url, process):
        async with ScriptedTwilio.connect(url) as platform:
            await platform.begin()
            await platform.media(speech)
        assert process.stdout is not None
        (line,) = await lines_until(process.stdout, "wrote")
    path = tmp_path / f"{STREAM_SID}.wav"
    assert line == f"wrote {path}: 1000 ms, 0 ms dropped\n"
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (1, 16000, 16000)
