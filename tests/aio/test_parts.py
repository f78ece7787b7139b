"""The asyncio layer's small parts on their own: ``run_eagerly``, ``Wakeup``, and the
``Sender`` over a transport that takes messages without waiting."""

from __future__ import annotations

import asyncio
import json

import pytest

from audiofork import StreamSession
from audiofork.adapters import TransportClosed
from audiofork.aio._eager import run_eagerly
from audiofork.aio._sender import Sender
from audiofork.aio._wakeup import Wakeup
from support.scripted_platform import start_message, tone

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


class NowaitTransport:
    """A transport with ``send_nowait``: it takes ``room`` messages at once, then only what
    ``send()`` writes after waiting for :attr:`gate`; ``gone`` makes both raise."""

    close_ends_receive = False

    def __init__(self, room: int) -> None:
        self.room = room
        self.wire: list[str] = []
        self.waited_sends = 0
        self.gone = False
        self.gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def send_nowait(self, text: str) -> bool:
        if self.gone:
            raise TransportClosed("gone")
        if self.room == 0:
            return False
        self.room -= 1
        self.wire.append(text)
        return True

    async def send(self, text: str) -> None:
        self.waited_sends += 1
        await self.gate
        if self.gone:
            raise TransportClosed("gone")
        self.wire.append(text)

    async def open(self) -> None: ...
    async def receive(self) -> str | bytes | None: ...
    async def close(self) -> None: ...


def streaming_session() -> StreamSession:
    session = StreamSession(app_rate=16000)
    session.receive(start_message())
    return session


async def test_a_transport_that_takes_messages_at_once_gets_them_without_a_coroutine() -> None:
    session, transport, lost = streaming_session(), NowaitTransport(room=100), []
    sender = Sender(session, transport, lambda: lost.append(True))
    session.play(tone(60), 16000)
    session.checkpoint("mark")
    tasks_before = len(asyncio.all_tasks())
    await sender.flush()
    assert [json.loads(t)["event"] for t in transport.wire] == ["playAudio"] * 3 + ["checkpoint"]
    assert transport.waited_sends == 0 and not lost
    assert len(asyncio.all_tasks()) == tasks_before


async def test_once_the_transport_is_full_send_takes_over_in_order_whoever_is_cancelled() -> None:
    session, transport, lost = streaming_session(), NowaitTransport(room=1), []
    sender = Sender(session, transport, lambda: lost.append(True))
    session.play(tone(60), 16000)
    speaking = asyncio.create_task(sender.flush())
    await asyncio.sleep(0)
    session.checkpoint("mark")
    marking = asyncio.create_task(sender.flush())
    await asyncio.sleep(0)
    assert len(transport.wire) == 1 and transport.waited_sends == 1
    speaking.cancel()  # a barge-in: what it queued still goes out
    transport.room = 100
    transport.gate.set_result(None)
    async with asyncio.timeout(TIMEOUT):
        await marking
    assert [json.loads(t)["event"] for t in transport.wire] == ["playAudio"] * 3 + ["checkpoint"]
    assert not lost


async def test_send_nowait_failing_ends_the_stream_and_every_wait() -> None:
    session, transport, lost = streaming_session(), NowaitTransport(room=0), []
    sender = Sender(session, transport, lambda: lost.append(True))
    session.play(tone(40), 16000)
    waiting = asyncio.create_task(sender.flush())  # waits in send()
    await asyncio.sleep(0)
    transport.gone = True
    session.checkpoint("mark")
    sender.send_soon()  # the pump is busy: nothing is handed over now
    transport.gate.set_result(None)
    async with asyncio.timeout(TIMEOUT):
        await waiting
    assert lost and transport.wire == []
    session2, transport2, lost2 = streaming_session(), NowaitTransport(room=5), []
    sender2 = Sender(session2, transport2, lambda: lost2.append(True))
    transport2.gone = True
    session2.play(tone(20), 16000)
    await sender2.flush()  # fails at once, returns
    assert lost2 == [True] and transport2.wire == []
