"""pipecat in its own venv (``.venv-pipecat``, made by ``make .venv-pipecat/.audiofork``,
which ``make py-test`` runs first): pipecat pulls in onnxruntime, numba and openai, which the
main test venv does without. The tests run pipecat code there as real subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audiofork.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-pipecat" / "bin" / "python"
READY = ROOT / ".venv-pipecat" / ".audiofork"

#: For tests that run pipecat: skipped only where the venv was never made (``make test``
#: makes it, so CI runs them).
needs_pipecat = pytest.mark.skipif(
    not READY.exists(), reason="pipecat's venv not made: make .venv-pipecat/.audiofork"
)


def environment() -> dict[str, str]:
    """This environment without the main venv's paths (the pipecat venv has its own)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@asynccontextmanager
async def pipecat_bot(
    *args: str,
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process, BotErrors]]:
    """``examples/pipecat_bot.py`` with ``args`` on a free port, in pipecat's venv; yields
    its ``ws://`` URL, the process (its stdout past the first line is JSON lines) and its
    stderr as read so far."""
    process = await asyncio.create_subprocess_exec(
        str(PYTHON),
        str(ROOT / "examples" / "pipecat_bot.py"),
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(),
    )
    assert process.stdout is not None and process.stderr is not None
    errors = BotErrors()
    reading = asyncio.create_task(errors.read(process.stderr))
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert line.startswith("listening on ws://"), (line, errors.text())
        yield line.split()[-1], process, errors
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
        await reading


class BotErrors:
    """The bot's stderr, read as it comes (a full pipe would block the bot); its last
    ``limit`` characters are kept."""

    def __init__(self, limit: int = 200_000) -> None:
        self._limit = limit
        self._text = ""
        self.ended = asyncio.Event()

    async def read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._text = (self._text + chunk.decode(errors="replace"))[-self._limit :]
        self.ended.set()

    def text(self) -> str:
        """What the bot wrote to stderr so far (its last ``limit`` characters)."""
        return self._text


#: The example bot's greeting tone level (0.3 of full scale), as RMS.
TONE_RMS = 0.3 * 32767 / np.sqrt(2)


def answer_xml(dialect: str, url: str) -> str:
    """The answer that streams the call to ``url`` both ways: TwiML or VobizXML."""
    if dialect == "twilio":
        return f'<Response><Connect><Stream url="{url}"/></Connect></Response>'
    return (
        '<Response><Stream bidirectional="true" keepCallAlive="true"'
        f' contentType="audio/x-mulaw;rate=8000">{url}</Stream></Response>'
    )


def loud_blocks(pcm: np.ndarray, rate: int = 8000) -> np.ndarray:
    """Which 20 ms blocks of ``pcm`` are the greeting's tone (louder than a tenth of it)."""
    block = rate // 50
    blocks = pcm[: len(pcm) // block * block].astype(np.float64).reshape(-1, block)
    return np.asarray(np.sqrt((blocks**2).mean(axis=1)) > TONE_RMS / 10)


def tone_ms(pcm: np.ndarray, rate: int = 8000) -> int:
    """Milliseconds of ``pcm`` that are tone, in whole 20 ms blocks."""
    return 20 * int(loud_blocks(pcm, rate).sum())


async def bot_lines_until(process: asyncio.subprocess.Process, name: str) -> list[dict[str, Any]]:
    """The bot's JSON lines up to the first whose ``frame`` or ``event`` is ``name``."""
    assert process.stdout is not None
    lines: list[dict[str, Any]] = []
    while not lines or name not in (lines[-1].get("frame"), lines[-1].get("event")):
        line = await process.stdout.readline()
        assert line, f"the bot ended before {name}: {lines}"
        lines.append(json.loads(line))
    return lines


def played(emulator: Emulator, call_uuid: str) -> tuple[np.ndarray, np.ndarray]:
    """The call's first stream's caller track and what the caller heard (empty before it)."""
    streams = emulator.call_info(call_uuid).streams
    if not streams:
        return np.zeros(0, np.int16), np.zeros(0, np.int16)
    return emulator.captured_audio(streams[0].stream_id)


async def until_played(emulator: Emulator, call_uuid: str, samples: int) -> np.ndarray:
    """What the caller heard, once it holds ``samples``."""
    while len(heard := played(emulator, call_uuid)[1]) < samples:
        await asyncio.sleep(0.02)
    return heard
