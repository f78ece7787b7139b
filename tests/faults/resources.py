"""What a fault could leak, counted: open file descriptors (``/proc/self/fd``) and asyncio
tasks, before a block and after it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: Real seconds the counts may take to settle after the block (sockets close in callbacks).
SETTLE_S = 10.0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@asynccontextmanager
async def released() -> AsyncIterator[None]:
    """Fail unless, once the block is done, as many file descriptors are open as before it
    and no asyncio task started in it is left (waiting up to :data:`SETTLE_S` for both)."""
    await asyncio.sleep(0)
    fds, tasks = open_fds(), asyncio.all_tasks()
    yield
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_S
    while True:
        now, left = open_fds(), asyncio.all_tasks() - tasks
        if now == fds and not left:
            return
        if loop.time() > deadline:
            raise AssertionError(f"file descriptors {fds} -> {now}; tasks left: {left}")
        await asyncio.sleep(0.02)
