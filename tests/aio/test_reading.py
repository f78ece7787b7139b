"""AudioStream's reading: who reads the socket, and that every message reaches the session
whatever happens to the task reading it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from memory_sockets import ClosableMemorySocket, MemorySocket, until

import audiofork as af
from audiofork import AudioStream, CheckpointOutcome
from support.scripted_platform import l16, media_message, played_message, start_message, tone

TIMEOUT = 10


async def test_an_echo_loop_reads_the_socket_in_its_own_task() -> None:
    """No hand-over per frame: the task iterating reads each message itself, and the
    stream's task takes over while that task waits for a checkpoint."""
    socket = ClosableMemorySocket()
    consumer: asyncio.Task[Any] | None = None
    async with asyncio.timeout(TIMEOUT), AudioStream(socket) as stream:
        consumer = asyncio.current_task()
        socket.inbox.put_nowait(start_message())
        for sequence in range(1, 11):
            socket.inbox.put_nowait(media_message(l16(tone(20)), sequence))
        echoed = 0
        async for event in stream:
            if isinstance(event, af.Media):
                await stream.play(event.pcm, 16000)
                echoed += 1
                if echoed == 10:
                    marking = stream.checkpoint("end")
                    # The app awaits; the stream's task reads the answer.
                    socket.inbox.put_nowait(played_message("end"))
                    assert await marking == CheckpointOutcome.PLAYED
                    break
    readers = socket.readers
    assert readers[:11] == [consumer] * 11  # start and ten frames, each read by the app's task
    assert readers[-1] is not consumer  # the answer: read by the stream's own task
    assert len(socket.wire) == 11


async def test_a_socket_without_close_is_read_by_the_streams_task_only() -> None:
    socket = MemorySocket()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket) as stream:
        socket.inbox.put_nowait(start_message())
        socket.inbox.put_nowait(media_message(l16(tone(20)), 1))
        assert isinstance(await anext(stream), af.Start)
        assert isinstance(await anext(stream), af.Media)
        assert asyncio.current_task() not in socket.readers
        assert len(set(socket.readers)) == 1


@pytest.mark.parametrize("socket_class", [ClosableMemorySocket, MemorySocket])
async def test_cancelling_the_iterating_task_loses_no_message(socket_class: type) -> None:
    """The app cancels the task iterating while it waits on the socket: the stream's task
    reads on, so another task's checkpoint still resolves ``played`` and nothing is lost."""
    socket = socket_class()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket) as stream:
        socket.inbox.put_nowait(start_message())
        seen: list[Any] = []

        async def iterate() -> None:
            async for event in stream:
                seen.append(event)

        iterating = asyncio.create_task(iterate())
        await until(lambda: bool(seen))
        await stream.play(tone(20), 16000)
        marking = asyncio.create_task(stream.checkpoint("mark"))
        await until(lambda: len(socket.wire) == 2)
        iterating.cancel()
        with pytest.raises(asyncio.CancelledError):
            await iterating
        socket.inbox.put_nowait(played_message("mark"))
        socket.inbox.put_nowait(media_message(l16(tone(20)), 1))
        assert await marking == CheckpointOutcome.PLAYED
        rest = [await anext(stream) for _ in range(3)]
    assert [type(e).__name__ for e in rest] == ["PlayedStream", "CheckpointResolved", "Media"]


async def test_a_timeout_around_a_read_loses_nothing() -> None:
    socket = ClosableMemorySocket()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket) as stream:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await anext(stream)
        socket.inbox.put_nowait(start_message())
        socket.inbox.put_nowait(media_message(l16(tone(20)), 1))
        assert isinstance(await anext(stream), af.Start)
        assert isinstance(await anext(stream), af.Media)


async def test_closing_the_stream_ends_an_iteration_reading_in_another_task() -> None:
    socket = ClosableMemorySocket()
    async with asyncio.timeout(TIMEOUT):
        async with AudioStream(socket) as stream:
            socket.inbox.put_nowait(start_message())
            iterating = asyncio.create_task(_collect(stream))
            await until(lambda: len(socket.readers) == 2)  # waiting for the next message
        events = await iterating
    assert [type(e).__name__ for e in events] == ["Start", "StreamClosed"]
    assert socket.closed


async def _collect(stream: AudioStream) -> list[Any]:
    return [event async for event in stream]


async def test_a_flood_of_malformed_messages_is_counted_and_logged_sparingly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    socket = ClosableMemorySocket()
    caplog.set_level(logging.WARNING, logger="audiofork.aio")
    async with asyncio.timeout(TIMEOUT), AudioStream(socket) as stream:
        socket.inbox.put_nowait(start_message())
        for _ in range(1000):
            socket.inbox.put_nowait('{"event": "media", "media": {"payload": "' + "x" * 5000)
        socket.inbox.put_nowait(media_message(l16(tone(20)), 1))
        assert isinstance(await anext(stream), af.Start)
        assert isinstance(await anext(stream), af.Media)
        assert stream.protocol_errors == 1000
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(lines) == 10  # 1, 2, 4, ..., 512
    assert all(len(line) < 400 for line in lines)
    assert "(512 so far)" in lines[-1]
