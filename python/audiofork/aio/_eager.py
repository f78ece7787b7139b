"""``run_eagerly``: start a coroutine in the calling task, and hand it to a task of its own
only if it has to wait.

Sending a message usually completes without waiting (the transport writes it to its buffer),
so a task per message would cost a trip through the event loop for nothing. But when a send
does wait (a full write buffer), cancelling the task that asked for it must not cut it short:
the message would be lost, or half written. Python 3.12's eager tasks solve the same problem;
this is the same idea for every supported Python, without creating a task when nothing waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["run_eagerly"]


def run_eagerly(coro: Coroutine[Any, None, None]) -> asyncio.Task[None] | None:
    """Run ``coro`` in the current task until it first waits.

    Returns ``None`` if it finished without waiting (an exception it raised propagates), else
    the task that runs the rest of it. The rest belongs to that task: cancelling the caller
    does not interrupt it; cancelling the task does (before its first step, by closing
    ``coro``). Its first step ran in the caller's task, so ``coro`` must not hold
    anything bound to the current task (``asyncio.timeout``, a cancel scope) across its first
    wait.
    """
    try:
        yielded = coro.send(None)
    except StopIteration:
        return None
    task = asyncio.get_running_loop().create_task(_finish(coro, yielded))
    # Cancelled before its first step, the task never resumes ``coro``: end it then.
    task.add_done_callback(lambda _: coro.close())
    return task


async def _finish(coro: Coroutine[Any, None, None], yielded: Any) -> None:
    await _Resumed(coro, yielded)


class _Resumed:
    """Awaitable that continues ``coro``, which has already yielded ``yielded`` to its first
    driver: ``yield from coro`` (PEP 380) from the middle."""

    __slots__ = ("_coro", "_yielded")

    def __init__(self, coro: Coroutine[Any, None, None], yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded

    def __await__(self) -> Generator[Any, None, None]:
        coro, yielded = self._coro, self._yielded
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # passed on, as ``yield from`` does
                try:
                    yielded = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    yielded = coro.send(sent)
                except StopIteration:
                    return
