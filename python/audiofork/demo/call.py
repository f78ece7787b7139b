"""``audiofork demo``: a phone call on this machine.

The emulator (the Vobiz platform) calls the example echo app (:mod:`audiofork.demo.echo_app`)
with the bundled speech sample as the caller; the app plays every frame back. Live
progress while the call runs, then a summary: frames each way, the app's per-frame
processing time, checkpoints acknowledged, how much of its audio the app estimates was
heard against what the platform played, the echo round trip measured by cross-correlating
what the caller said with what the caller heard, the bill (read back through the Stream REST
API) and the two WAV recordings.

Under ``--speed N`` the echo app's session runs on the emulator's clock
(:attr:`~audiofork.emulator.Emulator.clock`), as any app must whose timing estimates are to
match the platform's playout.

It drives the emulator as any program may: the call is placed and its stream read back over
the REST API, and the progress, the counters and the audio come from the
:class:`~audiofork.emulator.Emulator`'s public methods.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TextIO

import aiohttp
import numpy as np
import numpy.typing as npt

from audiofork.demo.echo_app import EchoApp
from audiofork.emulator import CallInfo, Emulator, EmulatorConfig, StreamInfo
from audiofork.vobiz import AsyncStreamsClient, Stream

__all__ = ["echo_delay_ms", "run"]

ACCOUNT = "MA_DEMO"
TOKEN = "demo-token"
RATE_PER_MINUTE = "0.003"
_BAR = 30
_REFRESH_S = 0.1
_MAX_ECHO_S = 1.0


def echo_delay_ms(
    sent: npt.NDArray[np.int16], heard: npt.NDArray[np.int16], rate: int
) -> float | None:
    """The delay of ``heard`` behind ``sent`` (ms, up to 1 s) at the peak of their
    cross-correlation; ``None`` if they do not correlate (nothing echoed)."""
    n = min(len(sent), len(heard))
    if n == 0:
        return None
    a = sent[:n].astype(np.float64)
    b = heard[:n].astype(np.float64)
    size = 1 << (2 * n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lags = corr[: min(n, int(rate * _MAX_ECHO_S) + 1)]
    lag = int(np.argmax(lags))
    energy = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    if energy == 0.0 or lags[lag] / energy < 0.3:
        return None
    return lag * 1000.0 / rate


def _progress(call: CallInfo, echo: EchoApp, expected_s: float) -> str:
    elapsed = call.duration
    done = 1.0 if not call.live else min(elapsed / expected_s, 1.0)
    filled = round(done * _BAR)
    sent = received = acked = 0
    if call.streams:
        stats = call.streams[0].stats
        sent = stats.media_sent.get("inbound", 0)
        received = stats.play_audio_received
        acked = stats.checkpoints_acknowledged
    return (
        f"[{'#' * filled}{'.' * (_BAR - filled)}] {done:4.0%} {elapsed:3d} s  "
        f"frames caller→app {sent:4d}  app→caller {received:4d}  "
        f"checkpoints acknowledged {acked}/{echo.stats.checkpoints_sent}"
    )


async def _place_call(emulator: Emulator, echo: EchoApp) -> str:
    """Place the call over the REST API; its id."""
    url = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
    body = {"from": "+14155550100", "to": "+14155550199", "answer_url": echo.answer_url}
    headers = {"X-Auth-ID": ACCOUNT, "X-Auth-Token": TOKEN}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        r.raise_for_status()
        call_uuid: str = (await r.json())["call_uuid"]
    return call_uuid


async def _watch(
    emulator: Emulator, call_uuid: str, echo: EchoApp, expected_s: float, out: TextIO
) -> None:
    """Show progress until the call and its streams have ended."""
    live = out.isatty()
    finished = asyncio.ensure_future(emulator.call_ended(call_uuid))
    last_second = -1
    while not finished.done():
        await asyncio.wait({finished}, timeout=_REFRESH_S)
        call = emulator.call_info(call_uuid)
        line = _progress(call, echo, expected_s)
        if live:
            out.write("\r" + line)
            out.flush()
        elif call.duration != last_second:
            last_second = call.duration
            out.write(line + "\n")
            out.flush()  # live through a pipe too
    line = _progress(finished.result(), echo, expected_s)
    out.write(("\r" + line if live else line) + "\n\n")


async def _demo(out: TextIO, speed: float, record_dir: Path) -> int:
    config = EmulatorConfig(
        {ACCOUNT: TOKEN},
        rate_per_minute=RATE_PER_MINUTE,
        speed=speed,
        record_dir=record_dir,
        caller_audio="speech",
    )
    async with Emulator(config, capture_audio=True) as emulator:
        echo = EchoApp(clock=emulator.clock)
        await echo.start()
        try:
            speech_s = emulator.caller_audio_s or 0.0
            expected_s = speech_s + config.hangup_grace_s
            out.write(
                f"audiofork demo: the emulator ({emulator.url}, speed {speed:g}) calls an echo "
                f"app ({echo.url}) with {speech_s:.1f} s of speech\n\n"
            )
            call_uuid = await _place_call(emulator, echo)
            await _watch(emulator, call_uuid, echo, expected_s, out)
            async with AsyncStreamsClient(ACCOUNT, TOKEN, f"{emulator.url}/api/v1") as client:
                streams = await client.list(call_uuid)
        finally:
            await emulator.close()  # hang up first: the app's sockets end with the call
            await echo.close()
        call = emulator.call_info(call_uuid)
        if not call.streams or not streams:
            out.write(f"the call ended without a stream ({call.hangup_cause}); see the log\n")
            return 1
        sent, heard = emulator.captured_audio(call.streams[0].stream_id)
    _summary(out, call, call.streams[0], (sent, heard), echo, streams[0])
    return 0


def _summary(
    out: TextIO,
    call: CallInfo,
    stream_info: StreamInfo,
    audio: tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]],
    echo: EchoApp,
    stream: Stream,
) -> None:
    stats = stream_info.stats
    delay = echo_delay_ms(*audio, stream_info.sample_rate)
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(echo.stats.checkpoints.items())) or "none"
    bad = sum(stats.bad_frames.values())
    rows = [
        ("call", f"{call.call_uuid}: hung up ({call.hangup_cause}) after {call.duration} s"),
        ("stream", f"{stream_info.stream_id}: {stream_info.content_type}, {stream_info.status}"),
        (
            "frames",
            f"{stats.media_sent.get('inbound', 0)} sent caller→app, "
            f"{stats.play_audio_received} received app→caller (playAudio), {bad} bad",
        ),
        (
            "app",
            f"per-frame processing p50 {echo.stats.processing_us(50):.0f} µs, "
            f"p99 {echo.stats.processing_us(99):.0f} µs ({echo.stats.frames_in} frames)",
        ),
        (
            "checkpoints",
            f"{echo.stats.checkpoints_sent} sent, {stats.checkpoints_acknowledged} "
            f"acknowledged by playedStream (app saw: {outcomes})",
        ),
        (
            "heard",
            f"the app estimates {_ms(echo.stats.heard_ms)} of its audio heard at the hangup; "
            f"the platform played {stats.played_ms:.0f} ms",
        ),
        (
            "echo",
            "no echo found in what the caller heard"
            if delay is None
            else f"round trip {delay:.1f} ms (caller audio → app → playout, cross-correlated)",
        ),
        (
            "billing",
            f"{stream.bill_duration} s streamed → {stream.rounded_bill_duration} s billed, "
            f"{stream.billed_amount} at {RATE_PER_MINUTE} per minute",
        ),
    ]
    for directory in stream_info.recording_dirs:
        rows += [("recording", str(directory / "caller.wav")), ("", str(directory / "played.wav"))]
    width = max(len(label) for label, _ in rows)
    for label, text in rows:
        out.write(f"  {label:<{width}}  {text}\n")


def _ms(value: float | None) -> str:
    return "no estimate" if value is None else f"{value:.0f} ms"


def run(out: TextIO, *, speed: float = 1.0, record_dir: Path | None = None) -> int:
    """Run the demo call; returns the exit status (130 after Ctrl-C, which hangs up and
    closes the emulator first)."""
    directory = record_dir or Path(tempfile.mkdtemp(prefix="audiofork-demo-"))
    try:
        return asyncio.run(_demo(out, speed, directory))
    except KeyboardInterrupt:
        out.write(f"\ninterrupted: the call was hung up; recordings so far in {directory}\n")
        return 130
