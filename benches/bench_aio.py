"""AudioStream's plumbing per 20 ms frame: an echo over an in-memory socket, against the bare
StreamSession doing the same work over the same socket, in one run.

The socket plays a platform that sends the next of 3,000 μ-law/8 kHz ``media`` frames (one
event-loop turn later, as data from the network would come) once the echo of the previous
one arrived. The app decodes each to 16 kHz, plays it back and sends the ``playAudio``
frame. The bare loop awaits the socket and drives a ``StreamSession`` itself; the
difference of the per-frame times is what ``AudioStream`` adds (its plumbing).

Entries: the bare session (the reference); ``AudioStream`` on a socket with ``close()``
(the app's task reads it) and without (the stream's own task reads it, one hand-over per
frame); and, with ``AUDIOFORK_BENCH_BASELINE`` set to a revision whose asyncio layer is one
``aio.py`` (before it became a package: ``af9407b``), ``AudioStream`` as it was there,
loaded from ``git show`` into a temporary module.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from audiofork import Media, StreamSession
from audiofork.aio import AudioStream
from bench_pipeline import FRAMES, MEDIA
from bench_session import START

GROUP = "aio: echo of a media frame (μ-law/8k in, 16 kHz app, playAudio out)"
APP_RATE = 16000
ROOT = Path(__file__).resolve().parents[1]
#: A revision whose AudioStream runs beside today's (its asyncio layer a single aio.py).
BASELINE = os.environ.get("AUDIOFORK_BENCH_BASELINE")


class MemorySocket:
    """The platform's side in memory: the next frame comes a loop turn after an echo."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._frames: Iterator[str] = iter(MEDIA)
        self._ready: deque[str | None] = deque([START])
        self._waiter: asyncio.Future[None] | None = None
        self.echoed = 0
        self._loop.call_soon(self._arrive)  # the first frame follows start

    def _arrive(self) -> None:
        self._ready.append(next(self._frames, None))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def receive_text(self) -> str | None:
        while not self._ready:
            self._waiter = self._loop.create_future()
            await self._waiter
        return self._ready.popleft()

    async def send_text(self, text: str) -> None:
        self.echoed += 1
        self._loop.call_soon(self._arrive)


class ClosableMemorySocket(MemorySocket):
    async def close(self) -> None:
        self._ready.append(None)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


async def echo_bare() -> int:
    socket = ClosableMemorySocket()
    session = StreamSession(app_rate=APP_RATE)
    while (message := await socket.receive_text()) is not None:
        for event in session.receive(message):
            if type(event) is Media:
                session.play(event.pcm, APP_RATE)
        for text in session.data_to_send():
            await socket.send_text(text)
    return socket.echoed


def echo_through(stream_class: type[Any], socket_class: type[MemorySocket]) -> Callable[[], Any]:
    async def echo() -> int:
        socket = socket_class()
        async with stream_class(socket, app_rate=APP_RATE) as stream:
            async for event in stream:
                if type(event) is Media:
                    await stream.play(event.pcm, APP_RATE)
        return socket.echoed

    return echo


def baseline_aio() -> ModuleType:
    """``audiofork/aio.py`` of the baseline revision, imported from a temporary file."""
    assert BASELINE is not None
    shown = subprocess.run(
        ["git", "show", f"{BASELINE}:python/audiofork/aio.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "aio_baseline.py"
        path.write_text(shown.stdout, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("aio_baseline", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["aio_baseline"] = module
        spec.loader.exec_module(module)
    return module


def run_echo(
    benchmark: Any, echo: Callable[[], Coroutine[Any, Any, int]], group: str = GROUP
) -> None:
    benchmark.group = group
    benchmark.extra_info["frames"] = FRAMES
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(echo()) == FRAMES  # every frame echoed
        benchmark(lambda: loop.run_until_complete(echo()))
    finally:
        loop.close()


def test_echo_audiofork_bare_session(benchmark):
    run_echo(benchmark, echo_bare)


def test_echo_audiostream(benchmark):
    run_echo(benchmark, echo_through(AudioStream, ClosableMemorySocket))


def test_echo_audiostream_read_by_its_task(benchmark):
    run_echo(benchmark, echo_through(AudioStream, MemorySocket))


if BASELINE is not None:

    def test_echo_audiostream_baseline(benchmark):
        run_echo(benchmark, echo_through(baseline_aio().AudioStream, ClosableMemorySocket))
