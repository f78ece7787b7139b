"""The asyncio layer's small parts on their own: ``run_eagerly`` and ``Wakeup``."""

from __future__ import annotations

import asyncio

import pytest

from audiofork.aio._eager import run_eagerly
from audiofork.aio._wakeup import Wakeup

TIMEOUT = 10


async def test_run_eagerly_finishes_in_the_callers_task_when_nothing_waits() -> None:
    ran_in: list[asyncio.Task[object] | None] = []

    async def quick() -> None:
        ran_in.append(asyncio.current_task())

    tasks_before = len(asyncio.all_tasks())
    assert run_eagerly(quick()) is None
    assert ran_in == [asyncio.current_task()]
    assert len(asyncio.all_tasks()) == tasks_before


async def test_run_eagerly_hands_the_rest_to_a_task_the_caller_cannot_cancel() -> None:
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def slow() -> None:
        steps.append("first")
        steps.append(await gate)
        await asyncio.sleep(0)
        steps.append("last")

    async def caller() -> None:
        rest = run_eagerly(slow())
        assert rest is not None
        await asyncio.shield(rest)

    async with asyncio.timeout(TIMEOUT):
        calling = asyncio.create_task(caller())
        await asyncio.sleep(0)
        assert steps == ["first"]
        calling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await calling
        gate.set_result("second")
        while len(steps) < 3:
            await asyncio.sleep(0)
    assert steps == ["first", "second", "last"]


async def test_run_eagerly_passes_on_results_and_exceptions_of_what_it_awaits() -> None:
    gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    seen: list[object] = []

    async def body() -> None:
        try:
            await gate
        except ValueError as exc:
            seen.append(exc)
        seen.append(await asyncio.sleep(0, result=7))

    rest = run_eagerly(body())
    assert rest is not None
    gate.set_exception(ValueError("from the gate"))
    async with asyncio.timeout(TIMEOUT):
        await rest
    assert [str(seen[0]), seen[1]] == ["from the gate", 7]


async def test_run_eagerly_raises_what_the_first_step_raises() -> None:
    async def broken() -> None:
        raise LookupError("at once")

    with pytest.raises(LookupError, match="at once"):
        run_eagerly(broken())


@pytest.mark.parametrize("started", [True, False])
async def test_cancelling_the_task_ends_what_it_runs(started: bool) -> None:
    """Before or after the task's first step: the coroutine's cleanup runs either way."""
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleaned: list[bool] = []

    async def body() -> None:
        try:
            await gate
        finally:
            cleaned.append(True)

    rest = run_eagerly(body())
    assert rest is not None
    if started:
        await asyncio.sleep(0)
    rest.cancel()
    with pytest.raises(asyncio.CancelledError):
        await rest
    assert cleaned == [True]
    assert gate.cancelled() == started


async def test_wakeup_wakes_everyone_waiting_once() -> None:
    wakeup = Wakeup()
    woken: list[int] = []

    async def waiter(number: int) -> None:
        await wakeup.wait()
        woken.append(number)

    async with asyncio.timeout(TIMEOUT):
        tasks = [asyncio.create_task(waiter(n)) for n in range(3)]
        await asyncio.sleep(0)
        wakeup.fire()
        await asyncio.gather(*tasks)
        wakeup.fire()  # nobody waits: nothing happens
    assert sorted(woken) == [0, 1, 2]


async def test_wakeup_times_out_and_leaves_no_waiter_behind() -> None:
    wakeup = Wakeup()
    async with asyncio.timeout(TIMEOUT):
        for _ in range(100):
            await wakeup.wait(0.0001)
        waiting = asyncio.create_task(wakeup.wait())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert not wakeup._waiters
