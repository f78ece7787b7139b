"""The example programs (``examples/*.py``) as real subprocesses, on a free port."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@asynccontextmanager
async def example_process(*args: str) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """Run ``examples/<args>`` on a free port; yield its ``ws://`` URL and the process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / args[0]),
        "--port",
        "0",
        *args[1:],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert process.stdout is not None
        line = (await process.stdout.readline()).decode()
        assert line.startswith("listening on ws://"), line
        yield line.split()[-1], process
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def lines_until(stream: asyncio.StreamReader, text: str) -> list[str]:
    lines: list[str] = []
    while not lines or text not in lines[-1]:
        line = await stream.readline()
        assert line, f"ended before {text!r}: {lines}"
        lines.append(line.decode())
    return lines
