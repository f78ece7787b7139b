"""AudioStream's sending: every message taken from the session goes out once, in order,
whatever happens to the task that asked for it; and no wait hangs when sending fails."""

from __future__ import annotations

import asyncio
import base64
import json
from socket import SO_SNDBUF, SOL_SOCKET
from typing import Any

import numpy as np
import pytest
from memory_sockets import GatedSocket, MemorySocket, decoded, until

import audiofork as af
from audiofork import AudioStream, CheckpointOutcome
from support.app_servers import serve_websockets
from support.scripted_platform import ScriptedPlatform, played_message, start_message, tone

TIMEOUT = 10


async def waits_at_send(socket: GatedSocket, count: int) -> None:
    """Until the ``count``-th send waits on the socket."""
    while socket.sends < count or not socket.gates:
        await asyncio.sleep(0)


def kinds(wire: list[str]) -> list[str]:
    return [json.loads(text)["event"] for text in wire]


def audio_of(wire: list[str]) -> np.ndarray:
    payloads = [json.loads(t)["media"]["payload"] for t in wire if '"playAudio"' in t]
    return np.frombuffer(b"".join(base64.b64decode(p) for p in payloads), "<i2")


async def started(socket: MemorySocket, **options: Any) -> AudioStream:
    stream = AudioStream(socket, **options)
    await stream.__aenter__()
    socket.inbox.put_nowait(start_message())
    assert isinstance(await anext(stream), af.Start)
    return stream


@pytest.mark.parametrize("write_first", [True, False], ids=["write-then-wait", "wait-then-write"])
@pytest.mark.parametrize("cancel_at", range(5))
async def test_cancelling_the_speaking_task_loses_no_message(
    write_first: bool, cancel_at: int
) -> None:
    """A barge-in cancels the task playing a reply while its sends wait on the socket, at each
    of those waits in turn; another task's checkpoint, queued meanwhile, still goes out after
    the audio, once, and resolves ``played``."""
    socket = GatedSocket(write_first=write_first)
    reply = tone(60)  # three frames
    async with asyncio.timeout(TIMEOUT):
        stream = await started(socket)
        speaking = asyncio.create_task(stream.play(reply, 16000))
        await until(lambda: socket.sends == 1)  # the first frame waits on the socket
        marking = asyncio.create_task(stream.checkpoint("mark"))
        await asyncio.sleep(0)
        for released in range(1, cancel_at + 1):
            socket.release()
            if released < 4:
                await waits_at_send(socket, released + 1)
        speaking.cancel()
        socket.open_all()
        await until(lambda: len(socket.wire) == 4)
        socket.inbox.put_nowait(played_message("mark"))
        assert await marking == CheckpointOutcome.PLAYED
        await stream.aclose()
    assert kinds(socket.wire) == ["playAudio"] * 3 + ["checkpoint"]
    np.testing.assert_array_equal(audio_of(socket.wire), reply)
    assert speaking.done()


async def test_cancelling_the_task_awaiting_a_checkpoint_still_sends_it() -> None:
    socket = GatedSocket(write_first=False)
    async with asyncio.timeout(TIMEOUT):
        stream = await started(socket)
        speaking = asyncio.create_task(stream.play(tone(40), 16000))
        await until(lambda: socket.sends == 1)
        marking = asyncio.create_task(stream.checkpoint("mark"))
        await asyncio.sleep(0)
        marking.cancel()
        socket.open_all()
        await speaking
        await until(lambda: len(socket.wire) == 3)
        follow_up = stream.checkpoint("after")  # the session's timeline went on as marked
        socket.inbox.put_nowait(played_message("after"))
        assert await follow_up == CheckpointOutcome.PLAYED
        await stream.aclose()
    assert kinds(socket.wire) == ["playAudio", "playAudio", "checkpoint", "checkpoint"]


class FailingSocket(MemorySocket):
    """The socket breaks at the ``fail_at``-th send (counting from 1)."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.sends = 0

    async def send_text(self, text: str) -> None:
        self.sends += 1
        if self.sends >= self.fail_at:
            raise OSError("connection reset by peer")
        await super().send_text(text)


@pytest.mark.parametrize("fail_at", [1, 2, 3])
async def test_a_send_failing_ends_the_stream_and_resolves_every_wait(fail_at: int) -> None:
    socket = FailingSocket(fail_at)
    async with asyncio.timeout(TIMEOUT):
        stream = await started(socket)
        await stream.play(tone(40), 16000)
        outcome = await stream.checkpoint()
        drained = await stream.drain()
        events = [event async for event in stream]
        await stream.aclose()
    assert (outcome, drained) == (CheckpointOutcome.CLOSED, CheckpointOutcome.CLOSED)
    assert events[-1] == af.StreamClosed(af.CloseReason.CONNECTION_LOST)
    assert len(socket.wire) == fail_at - 1


async def test_closing_while_a_send_waits_ends_every_wait() -> None:
    socket = GatedSocket(write_first=True)
    async with asyncio.timeout(TIMEOUT):
        stream = await started(socket)
        speaking = asyncio.create_task(stream.play(tone(100), 16000))
        await until(lambda: socket.sends == 1)
        marking = asyncio.create_task(stream.checkpoint())
        await asyncio.sleep(0)
        before = set(asyncio.all_tasks())
        await stream.aclose()  # the socket never takes the rest
        await speaking
        assert await marking == CheckpointOutcome.CLOSED
        assert not [t for t in before if not t.done() and t is not asyncio.current_task()]


async def test_messages_go_out_in_order_across_tasks_while_the_socket_makes_them_wait() -> None:
    """Three tasks play, mark and clear while earlier sends still wait: the wire holds their
    messages in the order the session queued them."""
    socket = GatedSocket(write_first=False)
    async with asyncio.timeout(TIMEOUT):
        stream = await started(socket)
        first = asyncio.create_task(stream.play(tone(40), 16000))
        await until(lambda: socket.sends == 1)
        marked = asyncio.create_task(stream.checkpoint("one"))
        await asyncio.sleep(0)
        second = asyncio.create_task(stream.play(tone(20, hz=880), 16000))
        await asyncio.sleep(0)
        clearing = asyncio.create_task(stream.clear())
        await asyncio.sleep(0)
        for _ in range(5):
            socket.release()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.gather(first, second, clearing)
        assert await marked == CheckpointOutcome.CLEARED
        await stream.aclose()
    assert kinds(socket.wire) == ["playAudio", "playAudio", "checkpoint", "playAudio", "clearAudio"]


async def test_a_barge_in_during_backpressure_on_a_real_socket_loses_no_frame() -> None:
    """websockets on loopback with small buffers and a platform that stops reading: the reply's
    sends really wait for the socket. The speaking task is cancelled then; every frame the
    session counted as sent reaches the platform once, in order, before the checkpoint another
    task placed meanwhile, and that checkpoint resolves ``played`` at the audio's end."""
    reply = tone(20_000)
    result: asyncio.Future[tuple[CheckpointOutcome, float]] = (
        asyncio.get_running_loop().create_future()
    )

    async def app(ws: Any) -> None:
        ws.transport.get_extra_info("socket").setsockopt(SOL_SOCKET, SO_SNDBUF, 4096)
        async with AudioStream(ws) as stream:
            async for event in stream:
                if isinstance(event, af.Start):
                    speaking = asyncio.create_task(stream.play(reply, 16000))
                    _, high = ws.transport.get_write_buffer_limits()
                    while ws.transport.get_write_buffer_size() <= high:
                        await asyncio.sleep(0.01)  # until the socket makes the reply wait
                    marking = asyncio.create_task(stream.checkpoint("mark"))
                    await asyncio.sleep(0)
                    speaking.cancel()
                    result.set_result((await marking, stream.session.played_ms))
                    return

    async with (
        asyncio.timeout(TIMEOUT * 3),
        serve_websockets(app) as url,
        ScriptedPlatform.connect(url) as platform,
    ):
        await platform.start()
        await asyncio.sleep(0.3)  # not reading: the app's writes back up
        sent = await platform.until("checkpoint")
        await platform.played(sent[-1]["name"])
        outcome, played_ms = await result
    frames = [m for m in sent if m["event"] == "playAudio"]
    assert [m["event"] for m in sent] == ["playAudio"] * len(frames) + ["checkpoint"]
    np.testing.assert_array_equal(decoded(frames), reply[: len(frames) * 320])
    assert outcome == CheckpointOutcome.PLAYED
    assert played_ms == len(frames) * 20  # nothing the session counted went missing
    assert 0 < len(frames) < 1000  # the reply was cut
