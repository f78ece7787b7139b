"""audiofork's pipecat serializer against pipecat's own, in the same pipeline, one run:
``examples/pipecat_bot.py`` (pipecat's FastAPI WebSocket transport, in pipecat's venv) called
through the emulator (real-time playout, in this process) with ``--serializer audiofork``
and ``--serializer pipecat``, in the Vobiz, Plivo and Twilio dialects.

- CPU per frame: ``frame_cpu.py`` (serialize a 40 ms chunk, deserialize two 20 ms messages).
- Echo delay: the caller's speech against what the caller hears back, on the emulator's
  one timeline (the lag of the cross-correlation peak).
- Barge-in time to silence: a key pressed one second into an 8 s greeting; the audio the
  caller still hears after the press.
- "Bot stopped speaking" error: the wall-clock time of the bot's ``BotStoppedSpeakingFrame``
  less the time the emulator played the greeting's last sample (negative: too early).

    .venv/bin/python benches/pipecat_compare/compare.py [--quick] [--out benches/results/pipecat.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from audiofork.emulator import Emulator, EmulatorConfig  # noqa: E402
from support.emulator_platform_apps import (  # noqa: E402
    ACCOUNT,
    TOKEN,
    VoiceApp,
    hang_up,
    place_call,
    started_emulator,
    within,
)
from support.pipecat_venv import (  # noqa: E402
    PYTHON,
    answer_xml,
    bot_lines_until,
    environment,
    loud_blocks,
    pipecat_bot,
    played,
    tone_ms,
    until_played,
)

RATE = 8000
SERIALIZERS = ("audiofork", "pipecat")


class Timeline:
    """When the emulator played each sample: the heard track's length, sampled every few
    ms with the wall clock (playout runs at real time between samples)."""

    def __init__(self, heard: Callable[[], int]) -> None:
        self._heard = heard
        self.points: list[tuple[int, float]] = []

    async def run(self) -> None:
        while True:
            self.points.append((self._heard(), time.time()))
            await asyncio.sleep(0.005)

    def time_of(self, sample: int) -> float:
        """Wall-clock time the sample at ``sample`` was played."""
        before = [(n, t) for n, t in self.points if n <= sample]
        n, t = before[-1] if before else self.points[0]
        return t + (sample - n) / RATE


@asynccontextmanager
async def call(
    dialect: str, serializer: str, caller_audio: str, *bot_args: str
) -> AsyncIterator[tuple[Emulator, str, asyncio.subprocess.Process, Timeline]]:
    """One call from the emulator to the bot; yields the emulator, the call, the bot and
    the heard track's timeline (sampled while the call runs)."""
    app = VoiceApp()
    await app.start()
    config = EmulatorConfig({ACCOUNT: TOKEN}, caller_audio=caller_audio, dialect=dialect)
    args = ("--dialect", dialect, "--serializer", serializer, *bot_args)
    try:
        async with (
            pipecat_bot(*args) as (url, bot, _),
            started_emulator(config, capture_audio=True) as emulator,
        ):
            app.xml = answer_xml(dialect, url)
            call_uuid = await place_call(emulator, app.url + "/answer")
            timeline = Timeline(lambda: len(played(emulator, call_uuid)[1]))
            sampler = asyncio.create_task(timeline.run())
            try:
                yield emulator, call_uuid, bot, timeline
            finally:
                sampler.cancel()
                await hang_up(emulator, call_uuid)
                await within(bot_lines_until(bot, "stream ended"))
    finally:
        await app.close()


async def echo_delay_ms(dialect: str, serializer: str, seconds: float) -> float:
    async with call(dialect, serializer, "speech") as (emulator, call_uuid, _, _):
        await within(until_played(emulator, call_uuid, int(RATE * seconds)), 60)
        sent, heard = played(emulator, call_uuid)
    n = min(len(sent), len(heard))
    a, b = sent[:n].astype(np.float64), heard[:n].astype(np.float64)
    size = 1 << (2 * n - 1).bit_length()
    xcorr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lag = int(np.argmax(xcorr[:RATE]))  # within the first second
    return 1000 * lag / RATE


async def stop_error_ms(dialect: str, serializer: str, greeting_ms: int) -> float:
    args = ("--greeting-ms", str(greeting_ms), "--no-echo")
    async with call(dialect, serializer, "silence", *args) as (emulator, call_uuid, bot, timeline):
        lines = await within(bot_lines_until(bot, "BotStoppedSpeakingFrame"), 60)
        stopped_at = lines[-1]["t"]

        async def greeting_played() -> np.ndarray:
            while True:
                heard = played(emulator, call_uuid)[1]
                loud = loud_blocks(heard)
                if loud.any() and len(loud) - 1 - int(np.flatnonzero(loud)[-1]) >= 25:
                    return heard  # half a second of silence after the tone
                await asyncio.sleep(0.02)

        heard = await within(greeting_played(), 60)
    last = int(np.flatnonzero(loud_blocks(heard))[-1])
    end = (last + 1) * RATE // 50
    return 1000 * (stopped_at - timeline.time_of(end))


async def silence_after_key_ms(dialect: str, serializer: str) -> float:
    args = ("--greeting-ms", "8000", "--no-echo")
    async with call(dialect, serializer, "silence", *args) as (emulator, call_uuid, bot, _):
        while tone_ms(played(emulator, call_uuid)[1]) < 1000:
            await asyncio.sleep(0.005)
        pressed = len(played(emulator, call_uuid)[1])
        emulator.send_dtmf(call_uuid, "5")
        await within(bot_lines_until(bot, "BotStoppedSpeakingFrame"), 30)
        heard = await within(until_played(emulator, call_uuid, pressed + 2 * RATE))
    loud = loud_blocks(heard)
    last = int(np.flatnonzero(loud)[-1])
    return 1000 * ((last + 1) * RATE // 50 - pressed) / RATE


def frame_cpu(frames: int) -> dict[str, Any]:
    out = subprocess.run(
        [str(PYTHON), str(Path(__file__).with_name("frame_cpu.py")), "--frames", str(frames)],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=600,
        check=True,
    )
    return dict(json.loads(out.stdout))


def machine() -> dict[str, Any]:
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


async def run(quick: bool) -> dict[str, Any]:
    dialects = ("vobiz",) if quick else ("vobiz", "plivo", "twilio")
    results: dict[str, Any] = {"machine": machine(), "loadavg_before": os.getloadavg()}
    results["frame_cpu"] = frame_cpu(200 if quick else 2000)
    calls: dict[str, dict[str, dict[str, float]]] = {}
    for dialect in dialects:
        for serializer in SERIALIZERS:
            figures = calls.setdefault(dialect, {}).setdefault(serializer, {})
            figures["echo_delay_ms"] = await echo_delay_ms(dialect, serializer, 2 if quick else 4)
            figures["silence_after_key_ms"] = await silence_after_key_ms(dialect, serializer)
            greeting = 1500 if quick else 3000
            figures["stopped_speaking_error_ms"] = await stop_error_ms(
                dialect, serializer, greeting
            )
    results["calls"] = calls
    results["greeting_ms"] = 1500 if quick else 3000
    results["loadavg_after"] = os.getloadavg()
    return results


def ratio(ours: float, theirs: float) -> str:
    return f"{theirs / ours:.1f}x" if ours else "-"


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    load = "/".join(f"{x:.2f}" for x in results["loadavg_before"])
    after = "/".join(f"{x:.2f}" for x in results["loadavg_after"])
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# pipecat: audiofork's serializer against pipecat's own",
        "",
        f"One run of `benches/pipecat_compare/compare.py`, {when};",
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}; load average {load} before,"
        f" {after} after (the machine is shared: read ratios within the run).",
        "",
        "Same bot (`examples/pipecat_bot.py`), same pipeline (pipecat's FastAPI WebSocket"
        " transport, 16 kHz), only the serializer differs: `AudioforkSerializer` with"
        " `AudioforkPlayout`, or pipecat's `VobizFrameSerializer` (pipecat-vobiz) /"
        " `PlivoFrameSerializer` / `TwilioFrameSerializer`. The emulator plays out at real"
        " time on loopback.",
        "",
        "## CPU per frame",
        "",
        "A 40 ms output chunk serialized and two 20 ms inbound messages deserialized (μ-law"
        " 8 kHz wire, 16 kHz pipeline), CPU µs, audiofork / pipecat, median of 5 rounds:",
        "",
        "| dialect | serialize, 40 ms out | deserialize, 20 ms in | frame | pipecat / audiofork |",
        "|---|---|---|---|---|",
    ]
    for dialect, cpu in results["frame_cpu"].items():
        ours, theirs = cpu["audiofork"], cpu["pipecat"]
        cells = [f"{ours[k]:.1f} / {theirs[k]:.1f}" for k in ("out_us", "in_us", "frame_us")]
        lines.append(
            f"| {dialect} | {' | '.join(cells)} | {ratio(ours['frame_us'], theirs['frame_us'])} |"
        )
    lines += [
        "",
        "## Through the emulator",
        "",
        f'"Stopped speaking" error: the bot\'s `BotStoppedSpeakingFrame` less the moment the'
        f" emulator played the last sample of a {results['greeting_ms']} ms greeting"
        " (negative: pipecat believed the bot silent while the caller still heard it)."
        " Silence after key: audio the caller heard after pressing a key one second into an"
        " 8 s greeting (the bot interrupts on the key). Echo delay: the lag of the caller's"
        " speech heard back.",
        "",
        "| dialect | serializer | echo delay ms | silence after key ms | stopped error ms |",
        "|---|---|---|---|---|",
    ]
    for dialect, by_serializer in results["calls"].items():
        for serializer, f in by_serializer.items():
            lines.append(
                f"| {dialect} | {serializer} | {f['echo_delay_ms']:.0f} |"
                f" {f['silence_after_key_ms']:.0f} | {f['stopped_speaking_error_ms']:+.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Vobiz only, short calls")
    parser.add_argument("--out", type=Path, default=ROOT / "benches" / "results" / "pipecat.md")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    results = asyncio.run(run(args.quick))
    args.out.write_text(report(results), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(report(results))


if __name__ == "__main__":
    main()
