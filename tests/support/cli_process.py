"""``audiofork`` commands as real subprocesses that import audiofork exactly as the tests do
(source tree or installed wheel)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from support.emulator_platform_apps import within

#: The child's import path: this process's.
PYTHONPATH = os.pathsep.join(sys.path)


async def start_cli(
    *args: str, env: dict[str, str] | None = None, stderr: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """``python -m audiofork.cli ARGS`` with stdout piped (and stderr, unless told)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "audiofork.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        env={**os.environ, "PYTHONPATH": PYTHONPATH, **(env or {})},
    )


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``audiofork ARGS`` to its end: exit code, stdout, stderr."""
    process = await start_cli(*args, env=env)
    out, err = await within(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@dataclass
class EmulatorProcess:
    """A running ``audiofork emulator``: the process, its base URL and its first line."""

    process: asyncio.subprocess.Process
    url: str
    banner: str

    async def line(self) -> str:
        """The next line it prints."""
        assert self.process.stdout is not None
        return (await within(self.process.stdout.readline())).decode()


@contextlib.asynccontextmanager
async def emulator_cli(
    *options: str, stderr: int = asyncio.subprocess.PIPE
) -> AsyncIterator[EmulatorProcess]:
    """``audiofork emulator --port 0 OPTIONS`` until the block ends; then SIGINT (and a kill
    if it is still running 30 s later)."""
    process = await start_cli("emulator", "--port", "0", *options, stderr=stderr)
    try:
        assert process.stdout is not None
        banner = (await within(process.stdout.readline())).decode()
        found = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert found is not None, banner
        yield EmulatorProcess(process, found.group(), banner)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await within(process.wait(), 30)
            finally:
                if process.returncode is None:
                    process.kill()
                    await within(process.wait())
