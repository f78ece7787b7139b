"""Soak: many frames, many sessions and a long call, with memory, files and tasks counted.

    python tests/soak/soak.py [--frames 1000000] [--sessions 10000] [--call-minutes 30]
                              [--speed 20] [--out benches/results/soak.md]

Three phases, each through the public API only:

- **frames**: every frame of a call's life through ``InboundDecoder``, ``OutboundEncoder``
  and ``StreamSession`` at once (``receive``, ``play``, ``data_to_send``, a checkpoint each
  second confirmed by the platform's ``playedStream``, a ``clear`` answered by
  ``clearedAudio`` every 20 s);
- **sessions**: sessions opened, used both ways and ended (``close``, ``stop``, a ``stop``
  received or ``connection_lost`` in turn);
- **call**: a call through the emulator (``audiofork.emulator.Emulator``, REST API) at
  ``speed`` times real time to an echo app on ``AudioStream``, hung up by the REST API
  after the given minutes of virtual time and read back with ``AsyncStreamsClient``; a
  shorter call first is its warm-up.

Resident memory is read from ``/proc/self/statm`` after a warm-up (first-use tables,
caches, the allocator's arenas, imports) and at the end; file descriptors from ``/proc/self/fd``
and asyncio tasks are counted before and after. What must hold: less than 1 MiB of growth
after warm-up, and as many descriptors and tasks at the end as at the start.
tests/soak/test_soak.py runs a short version of each in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

import audiofork as af
from audiofork import wire
from audiofork.emulator import Emulator, EmulatorConfig
from audiofork.samples import speech
from audiofork.vobiz import AsyncStreamsClient
from audiofork.vobiz.xml import Response, StreamElement

MAX_GROWTH_BYTES = 1 << 20
STREAM_ID = "c4dfd815-a92a-4140-ab85-5ff28c004116"
ULAW8K = af.MediaFormat("audio/x-mulaw", 8000)
START = wire.start(STREAM_ID, ULAW8K, call_id="5401fd2e-6344-40df-a22c-c8ffea7a92e7")
ACCOUNT, TOKEN = "MA_SOAK", "soak-token"
PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settled_rss() -> int:
    gc.collect()
    return resident_bytes()


@dataclass
class Phase:
    """What one phase did and what it left behind."""

    name: str
    work: str
    seconds: float = 0.0
    rss_warm: int = 0
    rss_end: int = 0
    rss_peak: int = 0
    fds: tuple[int, int] = (0, 0)
    tasks: tuple[int, int] | None = None
    checks: dict[str, Any] = field(default_factory=dict)

    @property
    def growth(self) -> int:
        return self.rss_end - self.rss_warm

    def sample(self) -> None:
        self.rss_peak = max(self.rss_peak, resident_bytes())

    def problems(self) -> list[str]:
        found = []
        if self.growth >= MAX_GROWTH_BYTES:
            found.append(f"RSS grew {self.growth / 1024:.0f} KiB after warm-up")
        if self.fds[0] != self.fds[1]:
            found.append(f"file descriptors {self.fds[0]} -> {self.fds[1]}")
        if self.tasks is not None and self.tasks[0] != self.tasks[1]:
            found.append(f"asyncio tasks {self.tasks[0]} -> {self.tasks[1]}")
        return found


def _payloads() -> list[str]:
    """One second of the bundled speech as 20 ms μ-law payloads."""
    pcm = af.resample(speech(16000)[0][16000:32000], 16000, 8000)
    return [af.encode_payload(frame, "audio/x-mulaw") for frame in np.split(pcm, 50)]


def soak_frames(frames: int, warmup: int) -> Phase:
    """`frames` media messages through a decoder, an encoder and a session together."""
    phase = Phase("frames", f"{frames:,} frames")
    phase.fds = (open_fds(), 0)
    payloads = _payloads()
    decoder = af.InboundDecoder(ULAW8K, 16000)
    encoder = af.OutboundEncoder(ULAW8K, STREAM_ID)
    session = af.StreamSession(app_rate=16000)
    session.receive(START)
    sequence = 1  # the platform numbers every message it sends
    decoded = encoded = sent = played = cleared = issued = 0
    pending: str | None = None
    started = time.perf_counter()
    for i in range(frames):
        message = wire.media(
            STREAM_ID, payloads[i % 50], sequence_number=sequence, chunk=i + 1, timestamp_ms=20 * i
        )
        sequence += 1
        pcm = decoder.decode_message(message).pcm
        decoded += len(pcm)
        encoded += len(encoder.push(pcm, 16000))
        (media,) = session.receive(message)
        session.play(media.pcm, 16000)
        if i % 50 == 49:  # a checkpoint each second; the platform confirms the one before
            if pending is not None:
                confirmed = session.receive(wire.played_stream(pending, STREAM_ID, sequence))
                played += sum(isinstance(e, af.CheckpointResolved) for e in confirmed)
                sequence += 1
            pending = session.checkpoint()
            issued += 1
        if i % 1000 == 999:  # barge-in every 20 s, answered by the platform
            cleared += len(session.clear())
            pending = None
            session.receive(wire.cleared_audio(STREAM_ID, sequence))
            sequence += 1
        sent += sum(isinstance(af.parse_message(t), af.PlayAudio) for t in session.data_to_send())
        if i == warmup:
            phase.rss_warm = settled_rss()
        if i % 10_000 == 0:
            phase.sample()
    closed = len(session.close()) - 1  # the checkpoint left pending, then StreamClosed
    phase.seconds = time.perf_counter() - started
    phase.rss_end = settled_rss()
    phase.fds = (phase.fds[0], open_fds())
    stats = session.stats
    phase.checks = {
        "samples decoded": decoded,
        "frames encoded": encoded,
        "session media": int(stats["media"]),
        "playAudio sent": sent,
        "checkpoints played/cleared/closed": f"{played}/{cleared}/{closed} of {issued}",
        "sequence gaps": int(stats["sequence_gaps"]),
    }
    assert decoded == 320 * frames and encoded == frames == stats["media"] == sent, phase.checks
    assert stats["sequence_gaps"] == 0 and played + cleared + closed == issued, phase.checks
    return phase


_ENDINGS: list[Callable[[af.StreamSession], list[Any]]] = [
    af.StreamSession.close,
    af.StreamSession.stop,
    lambda s: s.receive(wire.stop(STREAM_ID)),
    af.StreamSession.connection_lost,
]


def soak_sessions(sessions: int, warmup: int) -> Phase:
    """`sessions` sessions opened, used both ways and ended, one after another."""
    phase = Phase("sessions", f"{sessions:,} sessions")
    phase.fds = (open_fds(), 0)
    message = wire.media(STREAM_ID, _payloads()[0], sequence_number=1, chunk=1, timestamp_ms=0)
    reply = np.zeros(2400, np.int16)  # 100 ms at 24 kHz
    closed = 0
    started = time.perf_counter()
    for i in range(sessions):
        session = af.StreamSession(app_rate=16000)
        session.receive(START)
        session.receive(message)
        session.play(reply, 24000)
        session.checkpoint()
        session.data_to_send()
        events = _ENDINGS[i % len(_ENDINGS)](session)
        closed += sum(
            isinstance(e, af.CheckpointResolved) and e.outcome is af.CheckpointOutcome.CLOSED
            for e in events
        )
        if i == warmup:
            phase.rss_warm = settled_rss()
        if i % 1000 == 0:
            phase.sample()
    phase.seconds = time.perf_counter() - started
    phase.rss_end = settled_rss()
    phase.fds = (phase.fds[0], open_fds())
    phase.checks = {"checkpoints resolved closed": closed}
    assert closed == sessions, phase.checks
    return phase


class EchoApp:
    """A voice app on loopback: answers with a bidirectional ``<Stream>``, plays every
    caller frame back with ``AudioStream`` and sends a checkpoint each second, counting how
    they resolve. (The demo's echo app also keeps every frame's timing, which grows by
    design over a long call.)"""

    def __init__(self) -> None:
        self.frames = self.checkpoints = 0
        self.outcomes: dict[str, int] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/answer", self._answer)
        app.router.add_get("/ws", self._stream)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _answer(self, _request: web.Request) -> web.Response:
        ws_url = self.url.replace("http://", "ws://", 1) + "/ws"
        element = StreamElement(ws_url, bidirectional=True, keep_call_alive=True)
        return web.Response(text=Response([element]).to_xml(), content_type="application/xml")

    async def _stream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        checkpoints: set[asyncio.Task[None]] = set()
        async with af.AudioStream(ws, app_rate=8000) as stream:
            async for event in stream:
                if isinstance(event, af.Media) and event.track == "inbound":
                    await stream.play(event.pcm, 8000)
                    self.frames += 1
                    if self.frames % 50 == 0:
                        self.checkpoints += 1
                        task = asyncio.create_task(self._count(stream.checkpoint()))
                        checkpoints.add(task)
                        task.add_done_callback(checkpoints.discard)
            await asyncio.gather(*checkpoints)
        return ws

    async def _count(self, outcome: Any) -> None:
        name = (await outcome).value
        self.outcomes[name] = self.outcomes.get(name, 0) + 1


async def _call(seconds: int, speed: float, phase: Phase | None = None) -> dict[str, Any]:
    """One call of `seconds` virtual seconds, placed, hung up and read back through the REST
    API; what the app and the API saw."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=speed, caller_audio="tone:440")
    app = EchoApp()
    headers = {"X-Auth-ID": ACCOUNT, "X-Auth-Token": TOKEN}
    async with Emulator(config) as emulator, aiohttp.ClientSession(headers=headers) as http:
        await app.start()
        calls = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        body = {"from": "+14155550100", "to": "+14155550199", "answer_url": f"{app.url}/answer"}
        async with http.post(calls, json=body) as reply:
            reply.raise_for_status()
            call_uuid = (await reply.json())["call_uuid"]
        duration = 0
        while duration < seconds:
            await asyncio.sleep(0.25)
            async with http.get(f"{calls}{call_uuid}/") as reply:
                call = await reply.json()
            assert call["call_status"] in ("ringing", "in-progress"), call
            duration = call["duration"]
            if phase is not None:
                phase.sample()
        async with http.delete(f"{calls}{call_uuid}/") as reply:
            assert reply.status == 204, reply.status
        at_hangup = (app.frames, app.checkpoints)
        async with AsyncStreamsClient(ACCOUNT, TOKEN, f"{emulator.url}/api/v1") as client:
            (stream,) = await client.list(call_uuid)
    await app.close()
    checks = {
        "virtual seconds": duration,
        "frames echoed": app.frames,
        "checkpoints": f"{app.checkpoints} sent, resolved {dict(sorted(app.outcomes.items()))}",
        "frames after the hang-up": app.frames - at_hangup[0],
        "billed seconds": stream.bill_duration,
        "stream status": stream.status,
    }
    # The echo ran throughout: a frame each 20 ms of the stream (billed in started seconds;
    # more is checked apart, as audio_beyond_the_stream), less what an emulator starved of
    # CPU falls behind by at 20x; every checkpoint resolved, most of those sent before the
    # hang-up played (the rest were in flight then).
    assert 0.8 * (stream.bill_duration - 1) * 50 <= app.frames, checks
    assert sum(app.outcomes.values()) == app.checkpoints, checks
    assert app.outcomes.get("played", 0) >= 0.8 * at_hangup[1] - 2, checks
    return checks


async def _measured_call(seconds: int, speed: float, warmup_s: int) -> Phase:
    phase = Phase("call", f"{seconds / 60:g}-minute call at speed {speed:g}")
    await asyncio.sleep(0)
    tasks, fds = len(asyncio.all_tasks()), open_fds()
    started = time.perf_counter()
    await _call(warmup_s, speed)  # the warm-up: a whole shorter call, first uses included
    phase.rss_warm = phase.rss_peak = settled_rss()
    phase.checks = await _call(seconds, speed, phase)
    phase.seconds = time.perf_counter() - started
    for _ in range(10):  # callbacks scheduled by the closing sockets run
        await asyncio.sleep(0)
    phase.rss_end = settled_rss()
    phase.tasks, phase.fds = (tasks, len(asyncio.all_tasks())), (fds, open_fds())
    return phase


def audio_beyond_the_stream(checks: dict[str, Any]) -> str | None:
    """What a call delivered beyond its stream's billed duration (a started second counts,
    so a stream that stops when it is billed to has nothing beyond), or None."""
    extra = checks["frames echoed"] - 50 * checks["billed seconds"]
    if extra <= 0:
        return None
    return (
        f"{extra} frames ({extra / 50:.2f} s) of caller audio beyond the stream's "
        f"{checks['billed seconds']} billed seconds, {checks['frames after the hang-up']} "
        "of all frames arriving after the hang-up was answered"
    )


def soak_call(seconds: int, speed: float, warmup_s: int) -> Phase:
    """A call of `warmup_s` virtual seconds to warm up, then one of `seconds`, through the
    emulator to an echo app: memory from the end of the first to the end of the second."""
    return asyncio.run(_measured_call(seconds, speed, warmup_s))


def markdown(phases: list[Phase], command: str) -> str:
    kib = 1024
    rows = [
        f"| {p.name} | {p.work} | {p.seconds:,.1f} s | {p.rss_warm / kib**2:,.1f} MiB | "
        f"{p.growth / kib:+,.0f} KiB | {(p.rss_peak - p.rss_warm) / kib:+,.0f} KiB | "
        f"{p.fds[0]} -> {p.fds[1]} | "
        f"{f'{p.tasks[0]} -> {p.tasks[1]}' if p.tasks else 'n/a'} | "
        f"{'; '.join(p.problems()) or 'pass'} |"
        for p in phases
    ]
    checks = [f"- {p.name}: " + ", ".join(f"{k} {v}" for k, v in p.checks.items()) for p in phases]
    beyond = [audio_beyond_the_stream(p.checks) for p in phases if p.name == "call"]
    findings = [f"- call: {found}" for found in beyond if found]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "# Soak report",
            "",
            f"`{command}`, {when}, load average at the end {load}. Memory is resident set "
            "size from `/proc/self/statm` after `gc.collect()`; growth is from the end of the "
            "warm-up to the end (peak: the highest sample in between). Limit: growth under "
            "1 MiB; descriptors and tasks back to their starting counts.",
            "",
            "| phase | work | time | RSS after warm-up | growth | peak | fds | asyncio tasks "
            "| outcome |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "What each phase checked:",
            "",
            *checks,
            "",
            "Findings besides memory, files and tasks:",
            "",
            *(findings or ["- none"]),
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--call-minutes", type=float, default=30)
    parser.add_argument("--speed", type=float, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    phases = []
    warmup_s = min(120, int(args.call_minutes * 15))
    for run in (
        lambda: soak_frames(args.frames, warmup=min(50_000, args.frames // 4)),
        lambda: soak_sessions(args.sessions, warmup=min(1000, args.sessions // 4)),
        lambda: soak_call(int(args.call_minutes * 60), args.speed, warmup_s=warmup_s),
    ):
        phase = run()
        print(
            f"{phase.name}: {phase.work} in {phase.seconds:.1f} s, RSS growth "
            f"{phase.growth / 1024:+.0f} KiB, fds {phase.fds}, tasks {phase.tasks}: "
            f"{'; '.join(phase.problems()) or 'pass'}",
            flush=True,
        )
        phases.append(phase)
    if args.out is not None:
        command = (
            f"python tests/soak/soak.py --frames {args.frames} --sessions "
            f"{args.sessions} --call-minutes {args.call_minutes:g} --speed {args.speed:g}"
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(markdown(phases, command))
        print(f"wrote {args.out}")
    return 1 if any(p.problems() for p in phases) else 0


if __name__ == "__main__":
    raise SystemExit(main())
