"""The picows adapter's own promises: frames kept for the app are bounded (the socket stops
being read), other paths are refused, a closed connection ends reads and refuses sends."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from websockets.asyncio.client import connect

import audiofork as af
from audiofork.adapters import TransportClosed, transport_for
from audiofork.adapters.picows import PicowsConnection, serve

TIMEOUT = 20


async def test_unread_frames_are_bounded_and_reading_resumes() -> None:
    connected: asyncio.Queue[PicowsConnection] = asyncio.Queue()
    release = asyncio.Event()

    async def handler(connection: PicowsConnection) -> None:
        await connected.put(connection)
        await release.wait()
        got = [await connection.receive() for _ in range(200)]
        assert got == [f"m{i}" for i in range(200)]

    async with asyncio.timeout(TIMEOUT):
        server = await serve(handler, "127.0.0.1", 0, max_queue=4)
        async with server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}/ws", write_limit=1024) as client:
                connection = await connected.get()

                async def send_all() -> None:
                    for i in range(200):
                        await client.send(f"m{i}")

                sending = asyncio.create_task(send_all())
                await asyncio.sleep(0.3)  # the client writes all it can
                held = len(connection._frames)
                await asyncio.sleep(0.3)
                # reading stopped once 4 were held (plus what came in the same read): the
                # rest waits in the kernel's buffers and the client's
                assert connection._reading_paused and 4 <= held == len(connection._frames) < 200
                release.set()
                await sending
                await asyncio.sleep(0.1)
                assert connection._task is not None
                await connection._task  # the handler read all 200, in order


async def test_other_paths_are_refused() -> None:
    async def handler(connection: PicowsConnection) -> None:
        raise AssertionError("no handler for another path")

    async with asyncio.timeout(TIMEOUT):
        server = await serve(handler, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            with pytest.raises(websockets.exceptions.InvalidStatus, match="404"):
                async with connect(f"ws://127.0.0.1:{port}/other"):
                    pass


async def test_a_closed_connection_ends_reads_and_refuses_sends() -> None:
    outcome: asyncio.Future[tuple[object, BaseException | None]] = (
        asyncio.get_running_loop().create_future()
    )

    async def handler(connection: PicowsConnection) -> None:
        transport = transport_for(connection)
        assert transport is connection
        first = await transport.receive()
        end = await transport.receive()
        try:
            await transport.send("too late")
        except TransportClosed as exc:
            outcome.set_result((end, exc))
        else:
            outcome.set_result((end, None))
        assert first == "hello"

    async with asyncio.timeout(TIMEOUT):
        server = await serve(handler, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}/ws") as client:
                await client.send("hello")
            end, error = await outcome
    assert end is None and isinstance(error, TransportClosed)


async def test_audio_stream_takes_a_picows_connection_and_the_app_closes_it() -> None:
    async def handler(connection: PicowsConnection) -> None:
        async with af.AudioStream(connection) as stream:
            await stream.stop()

    async with asyncio.timeout(TIMEOUT):
        server = await serve(handler, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}/ws") as client:
                await client.wait_closed()
            assert client.close_code == 1000


async def test_fragmented_messages_are_put_together_up_to_the_size_limit() -> None:
    got: asyncio.Queue[str | bytes | None] = asyncio.Queue()

    async def handler(connection: PicowsConnection) -> None:
        while True:
            message = await connection.receive()
            await got.put(message)
            if message is None:
                return

    async with asyncio.timeout(TIMEOUT):
        server = await serve(handler, "127.0.0.1", 0, max_frame_bytes=1000)
        async with server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}/ws") as client:
                await client.send(["ab", "cd", "é"])
                await client.send([b"\x00", b"\x01"])
                assert await got.get() == "abcdé"
                assert await got.get() == b"\x00\x01"
                await client.send(["x" * 600, "y" * 600])  # 1200 bytes > 1000
                assert await got.get() is None
            assert client.close_code == 1009


def test_max_queue_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_queue"):
        PicowsConnection(max_queue=0)
