"""A lean load generator: many simulated calls from one process, over picows.

    python -m audiofork.loadtest.generator ws://127.0.0.1:8765/ws --calls 200 --seconds 30

Each call is an :class:`~audiofork.loadtest.EchoCall` (a ``PlatformStream`` speaking
frame tags, μ-law at 8 kHz) on a picows client connection. Calls start evenly over
``--ramp`` seconds and each lasts ``--seconds``; every call's frames are paced against
absolute 20 ms deadlines, the calls spread over 20 phases one millisecond apart so that
the generator sends a steady stream instead of a burst every 20 ms. picows hands each
message to a callback (no task, no coroutine per message), which keeps the generator's
own cost per frame low; it reports that cost (its CPU time) and how late its ticks ran,
so a run shows whether the generator kept up.

The summary is one JSON object on stdout (:func:`summarize`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from audiofork.loadtest._call import CallResult, EchoCall

__all__ = ["GeneratorReport", "main", "run", "summarize"]

FRAME_S = 0.02
PHASES = 20


class _CallSocket(WSListener):
    """One call's connection: app messages go to the call, its replies straight back."""

    def __init__(self, call: EchoCall, clock: Callable[[], float]) -> None:
        self.call = call
        self.clock = clock
        self.transport: WSTransport | None = None
        self.closed = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.TEXT:
            message: str | bytes = frame.get_payload_as_ascii_text()
        elif kind is WSMsgType.BINARY:
            message = frame.get_payload_as_bytes()
        else:
            if kind is WSMsgType.CLOSE:
                transport.disconnect()
            return
        if self.closed:
            return
        self.send(self.call.receive(message, self.clock()))

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True

    def send(self, messages: list[str]) -> None:
        transport = self.transport
        if transport is None or self.closed:
            return
        for text in messages:
            transport.send(WSMsgType.TEXT, text.encode())


@dataclass
class GeneratorReport:
    """What one generator process saw."""

    calls: int
    results: list[CallResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # calls that could not connect or dropped
    lateness_ms: list[float] = field(default_factory=list)  # how late each phase tick ran
    t0: float = 0.0  # time.monotonic() when the first call was placed
    window: tuple[float, float] = (0.0, 0.0)  # a span of time.monotonic() to count frames in
    window_frames: int = 0  # media frames sent in that span
    cpu_s: float = 0.0  # the generator's own CPU time (user + system)
    wall_s: float = 0.0


class _Pacer:
    """Ticks the calls of each phase at absolute 20 ms deadlines; hangs up finished ones."""

    def __init__(self, loop: asyncio.AbstractEventLoop, report: GeneratorReport) -> None:
        self.loop = loop
        self.report = report
        self.phases: list[list[_CallSocket]] = [[] for _ in range(PHASES)]
        self.active = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def join(self, socket: _CallSocket, phase: int) -> None:
        calls = self.phases[phase]
        calls.append(socket)
        self.active += 1
        self.idle.clear()
        if len(calls) == 1:
            deadline = self.loop.time() + FRAME_S
            self.loop.call_at(deadline, self._tick, phase, deadline)

    def _tick(self, phase: int, deadline: float) -> None:
        now = self.loop.time()
        self.report.lateness_ms.append((now - deadline) * 1000)
        calls = self.phases[phase]
        report = self.report
        still: list[_CallSocket] = []
        for socket in calls:
            call = socket.call
            if socket.closed:
                self._end(socket, "the app closed the connection before the call ended")
            elif call.done:
                socket.send(call.hang_up())
                self._end(socket, None)
            else:
                # the loop's clock counts whole ms on uvloop: stamp each frame finer
                stamp = time.monotonic()
                socket.send(call.tick(stamp))
                if report.window[0] <= stamp < report.window[1]:
                    report.window_frames += 1
                still.append(socket)
        self.phases[phase] = still
        if still:
            deadline += FRAME_S
            self.loop.call_at(max(deadline, now), self._tick, phase, deadline)

    def _end(self, socket: _CallSocket, failure: str | None) -> None:
        if socket.transport is not None and not socket.closed:
            socket.transport.disconnect()
        socket.closed = True
        self.report.results.append(socket.call.finish())
        if failure is not None:
            self.report.failures.append(failure)
        self.active -= 1
        if self.active == 0:
            self.idle.set()


async def run(
    url: str, calls: int, seconds: float, ramp: float, window: tuple[float, float] = (0, 0)
) -> GeneratorReport:
    """Place ``calls`` calls to ``url`` over ``ramp`` seconds, each ``seconds`` long; count
    the frames sent between ``window`` seconds after the first call was placed."""
    loop = asyncio.get_running_loop()
    report = GeneratorReport(calls=calls)
    pacer = _Pacer(loop, report)
    cpu0 = time.process_time()
    report.t0 = time.monotonic()
    report.window = (report.t0 + window[0], report.t0 + window[1])
    start = loop.time()

    async def place(index: int) -> None:
        await asyncio.sleep(max(0.0, start + index * ramp / max(calls, 1) - loop.time()))
        call = EchoCall(seconds, stream_id=f"load-{os.getpid()}-{index}")
        try:
            _, listener = await ws_connect(lambda: _CallSocket(call, time.monotonic), url)
        except Exception as exc:  # OSError, a timeout, picows' WSError family
            report.failures.append(f"connect: {type(exc).__name__}: {exc}")
            report.results.append(call.finish())
            return
        socket = cast(_CallSocket, listener)
        socket.send(call.start())
        pacer.join(socket, index % PHASES)

    await asyncio.gather(*(place(i) for i in range(calls)))
    await pacer.idle.wait()
    report.cpu_s = time.process_time() - cpu0
    report.wall_s = loop.time() - start
    return report


def _percentiles(values: list[float], points: tuple[float, ...]) -> list[float | None]:
    if not values:
        return [None for _ in points]
    return [round(float(v), 3) for v in np.percentile(np.asarray(values), points)]


def summarize(report: GeneratorReport) -> dict[str, Any]:
    """The report as plain numbers: call and frame counts, latency and gap percentiles
    (``gap_p90_ms`` over calls, of each call's longest gap), the generator's CPU and tick
    lateness."""
    results = report.results
    latencies = [ms for r in results for ms in r.latencies_ms]
    longest = [r.longest_gap_ms for r in results]
    first_audio = [r.first_audio_ms for r in results if r.first_audio_ms is not None]
    p50, p99 = _percentiles(latencies, (50, 99))
    (gap_p90,) = _percentiles(longest, (90,))
    late50, late99 = _percentiles(report.lateness_ms, (50, 99))
    return {
        "calls": report.calls,
        "calls_completed": len(results) - len(report.failures),
        "failures": report.failures[:20],
        "failure_count": len(report.failures),
        "frames_sent": sum(r.frames_sent for r in results),
        "media_sent": sum(r.media_sent for r in results),
        "frames_echoed": sum(r.frames_echoed for r in results),
        "lost": sum(r.lost for r in results),
        "duplicated": sum(r.duplicated for r in results),
        "reordered": sum(r.reordered for r in results),
        "refused": sum(r.refused for r in results),
        "degraded": sum(r.degraded for r in results),
        "latency_p50_ms": p50,
        "latency_p99_ms": p99,
        "latency_max_ms": round(max(latencies), 3) if latencies else None,
        "gaps": sum(len(r.gaps_ms) for r in results),
        "gap_p90_ms": gap_p90,
        "gap_longest_ms": round(max(longest, default=0.0), 3),
        "first_audio_p50_ms": _percentiles(first_audio, (50,))[0],
        "generator_cpu_s": round(report.cpu_s, 3),
        "generator_wall_s": round(report.wall_s, 3),
        "tick_late_p50_ms": late50,
        "tick_late_p99_ms": late99,
        "t0": report.t0,
        "window": list(report.window),
        "window_frames": report.window_frames,
        "pid": os.getpid(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("url", help="the echo app's WebSocket URL, e.g. ws://127.0.0.1:8765/ws")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each call")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds to place all calls")
    parser.add_argument("--no-uvloop", action="store_true", help="run on asyncio's own loop")
    parser.add_argument(
        "--window", type=float, nargs=2, default=(0.0, 0.0), metavar=("FROM", "TO"),
        help="count the frames sent from FROM to TO seconds after the first call",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.calls < 1 or args.seconds <= 0 or args.ramp < 0:
        parser.error("--calls must be >= 1, --seconds > 0 and --ramp >= 0")
    coroutine = run(args.url, args.calls, args.seconds, args.ramp, tuple(args.window))
    if args.no_uvloop:
        report = asyncio.run(coroutine)
    else:
        import uvloop

        report = uvloop.run(coroutine)
    json.dump(summarize(report), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
