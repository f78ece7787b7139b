"""Duck-typed in-memory sockets for AudioStream tests: the test plays the platform.

The test puts platform messages in ``inbox`` (``None`` closes the socket); what the app sends
lands in ``wire``. A :class:`GatedSocket` makes every send wait on a future the test
releases, the way a full write buffer does, so a test can cancel a task at each of those
waits.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt


class MemorySocket:
    """``send_text``/``receive_text`` only: the stream's own task reads it."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.wire: list[str] = []
        #: The task of each ``receive_text()`` call, in order.
        self.readers: list[asyncio.Task[Any] | None] = []

    async def send_text(self, text: str) -> None:
        self.wire.append(text)

    async def receive_text(self) -> str | bytes | None:
        self.readers.append(asyncio.current_task())
        return await self.inbox.get()


class ClosableMemorySocket(MemorySocket):
    """With a ``close()`` that ends a pending ``receive_text()``: the app's task may read it."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    async def close(self) -> None:
        self.closed = True
        self.inbox.put_nowait(None)


class GatedSocket(MemorySocket):
    """Every send waits for :meth:`release`. ``write_first``: the message is on the wire before
    the wait (a library that writes, then waits for its buffer to drain), else after it (one
    that waits for room, then writes)."""

    def __init__(self, *, write_first: bool) -> None:
        super().__init__()
        self.write_first = write_first
        self.gates: deque[asyncio.Future[None]] = deque()
        self.ungated = False
        #: ``send_text()`` calls so far.
        self.sends = 0

    async def send_text(self, text: str) -> None:
        self.sends += 1
        if self.ungated:
            self.wire.append(text)
            return
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gates.append(gate)
        if self.write_first:
            self.wire.append(text)
        await gate
        if not self.write_first:
            self.wire.append(text)

    def release(self) -> None:
        """Let the oldest waiting send finish."""
        while self.gates:
            gate = self.gates.popleft()
            if not gate.done():
                gate.set_result(None)
                return
        raise AssertionError("no send is waiting")

    def open_all(self) -> None:
        """Let every send through, now and from now on."""
        self.ungated = True
        while self.gates:
            gate = self.gates.popleft()
            if not gate.done():
                gate.set_result(None)


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition`` holds (the test's timeout bounds it)."""
    while not condition():
        await asyncio.sleep(0)


def decoded(messages: list[dict[str, Any]]) -> npt.NDArray[np.int16]:
    """The L16 samples of the ``playAudio`` messages among ``messages``, in order."""
    return np.concatenate(
        [
            np.frombuffer(base64.b64decode(m["media"]["payload"]), "<i2")
            for m in messages
            if m["event"] == "playAudio"
        ]
    )
