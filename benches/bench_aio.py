"""AudioStream's plumbing per 20 ms frame: an echo over an in-memory socket, against the bare
StreamSession doing the same work over the same socket, in one run.

Also the cost of speaking with ``say()`` against ``play()`` (see ``SPEAK_GROUPS``).

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
import json
import os
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from audiofork import CheckpointOutcome, Media, StreamSession, wire
from audiofork.aio import AudioStream
from bench_pipeline import FRAMES, MEDIA, TTS24K
from bench_session import START, STREAM_ID, TTS_FRAMES

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


def run_frames(
    benchmark: Any,
    group: str,
    work: Callable[[], Coroutine[Any, Any, int]],
    expected: int = FRAMES,
) -> None:
    """Time ``work``, which must send ``expected`` frames, per ``FRAMES`` frames."""
    benchmark.group = group
    benchmark.extra_info["frames"] = FRAMES
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(work()) == expected  # every frame sent
        benchmark(lambda: loop.run_until_complete(work()))
    finally:
        loop.close()


def run_echo(
    benchmark: Any, echo: Callable[[], Coroutine[Any, Any, int]], group: str = GROUP
) -> None:
    run_frames(benchmark, group, echo)


def test_echo_audiofork_bare_session(benchmark):
    run_echo(benchmark, echo_bare)


def test_echo_audiostream(benchmark):
    run_echo(benchmark, echo_through(AudioStream, ClosableMemorySocket))


def test_echo_audiostream_read_by_its_task(benchmark):
    run_echo(benchmark, echo_through(AudioStream, MemorySocket))


if BASELINE is not None:

    def test_echo_audiostream_baseline(benchmark):
        run_echo(benchmark, echo_through(baseline_aio().AudioStream, ClosableMemorySocket))


# --- speaking: say() against play() ------------------------------------------------------

SPEAK_GROUPS = {
    "clip": "aio: speaking a 60 s TTS clip (24 kHz → μ-law/8k playAudio), per frame",
    "chunks": "aio: speaking 20 ms TTS chunks as they stream (24 kHz → μ-law/8k), per frame",
}


class PlayoutSocket:
    """A platform that sends ``start``, then answers each checkpoint with ``playedStream``;
    counts the ``playAudio`` frames."""

    def __init__(self) -> None:
        self._replies: asyncio.Queue[str | None] = asyncio.Queue()
        self._replies.put_nowait(START)
        self.frames = 0

    async def receive_text(self) -> str | None:
        return await self._replies.get()

    async def send_text(self, text: str) -> None:
        if '"playAudio"' in text[:40]:
            self.frames += 1
        elif '"checkpoint"' in text[:40]:
            name = json.loads(text)["name"]
            self._replies.put_nowait(wire.played_stream(name, STREAM_ID))

    async def close(self) -> None:
        self._replies.put_nowait(None)


class RunawayClock:
    """Playout that keeps up with anything: each reading is a second after the last, so
    the heard estimate is always at the end of what was sent and nothing waits for it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


async def speak_play(chunks: list[Any]) -> int:
    socket = PlayoutSocket()
    async with AudioStream(socket, app_rate=APP_RATE, clock=RunawayClock()) as stream:
        await started(stream)
        for chunk in chunks:
            await stream.play(chunk, 24000)
        assert await stream.drain() is CheckpointOutcome.PLAYED
    return socket.frames


async def speak_say(chunks: list[Any]) -> int:
    socket = PlayoutSocket()
    async with AudioStream(socket, app_rate=APP_RATE, clock=RunawayClock()) as stream:
        await started(stream)
        if len(chunks) == 1:
            utterance = stream.say(chunks[0], 24000)
        else:
            utterance = stream.say_stream(24000)
            for chunk in chunks:
                await utterance.write(chunk)
            utterance.end()
        assert await utterance is CheckpointOutcome.PLAYED
    return socket.frames


def run_speaking(
    benchmark: Any, shape: str, speak: Callable[[list[Any]], Coroutine[Any, Any, int]]
) -> None:
    chunks = [TTS24K] if shape == "clip" else TTS_FRAMES
    # The end of the reply sends the resampler's tail too, padded to one more frame.
    run_frames(benchmark, SPEAK_GROUPS[shape], lambda: speak(chunks), FRAMES + 1)


async def started(stream: AudioStream) -> None:
    async for _ in stream:  # the first event is start
        return


@pytest.mark.parametrize("shape", sorted(SPEAK_GROUPS))
def test_speak_audiofork_play(benchmark, shape):
    run_speaking(benchmark, shape, speak_play)


@pytest.mark.parametrize("shape", sorted(SPEAK_GROUPS))
def test_speak_say(benchmark, shape):
    run_speaking(benchmark, shape, speak_say)
