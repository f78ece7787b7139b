"""What a peer can make AudioStream hold is bounded in bytes: the events not taken yet (each
charged its samples and the message text it keeps), and the audio of an ``audio()`` ring."""

from __future__ import annotations

import asyncio
import base64

import numpy as np
import pytest
from memory_sockets import ClosableMemorySocket, MemorySocket

import audiofork as af
from audiofork import AudioStream, CheckpointOutcome, CheckpointResolved, Media, StreamClosed
from audiofork.aio import DEFAULT_MAX_EVENT_BYTES
from audiofork.aio._inbox import Inbox
from support.scripted_platform import media_message, played_message, start_message

TIMEOUT = 20
MiB = 1 << 20


def big_media(sequence: int) -> str:
    """A ``media`` message just under the parser's 1 MiB limit: about 0.7 MiB of L16."""
    pcm = np.full(360_000, sequence, dtype="<i2").tobytes()
    return media_message(base64.b64encode(pcm).decode(), sequence)


def silence(sequence: int) -> str:
    return media_message(base64.b64encode(bytes(640)).decode(), sequence)


def held_bytes(event: object) -> int:
    """What a kept event holds, as the app sees it: its payload text and its samples."""
    if isinstance(event, Media):
        return len(event.payload) + (event.pcm.nbytes if event.pcm is not None else 0)
    return 0


@pytest.mark.parametrize(
    ("options", "limit"),
    [({}, DEFAULT_MAX_EVENT_BYTES), ({"max_event_bytes": 3 * MiB}, 3 * MiB)],
)
async def test_events_not_taken_are_bounded_in_bytes(options: dict[str, int], limit: int) -> None:
    """40 frames of about 1.6 MiB each (text and samples) once pinned 65 MiB: now the events
    kept stay under the byte bound, the newest kept, the rest dropped and counted."""
    socket = MemorySocket()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket, **options) as stream:
        socket.inbox.put_nowait(start_message())
        for sequence in range(1, 41):
            socket.inbox.put_nowait(big_media(sequence))
        socket.inbox.put_nowait(played_message("unknown"))  # a marker after the frames
        while stream.session.stats["messages"] < 42:
            await asyncio.sleep(0.01)
        kept = []
        while not isinstance(event := await anext(stream), af.PlayedStream):
            kept.append(event)
    media = [e for e in kept if isinstance(e, Media)]
    assert 1 <= len(media) < 40
    assert sum(held_bytes(e) for e in kept) <= limit
    assert [int(e.pcm[0]) for e in media] == list(range(41 - len(media), 41))  # the newest
    assert stream.dropped_events == 41 - len(kept)


async def test_the_count_bound_holds_for_small_events() -> None:
    socket = MemorySocket()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket, max_events=5) as stream:
        socket.inbox.put_nowait(start_message())
        for sequence in range(1, 21):
            socket.inbox.put_nowait(silence(sequence))
        while stream.session.stats["messages"] < 21:
            await asyncio.sleep(0.01)
        assert stream.dropped_events == 16
        assert [type(await anext(stream)) for _ in range(5)] == [Media] * 5


async def test_a_checkpoint_answer_is_not_lost_to_the_bound() -> None:
    """Dropping unread events never drops what a checkpoint await needs."""
    socket = ClosableMemorySocket()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket, max_events=1) as stream:
        socket.inbox.put_nowait(start_message())
        await anext(stream)
        await stream.play(np.zeros(320, np.int16), 16000)
        marking = asyncio.create_task(stream.checkpoint("mark"))
        await asyncio.sleep(0)
        socket.inbox.put_nowait(played_message("mark"))
        for sequence in range(1, 6):
            socket.inbox.put_nowait(silence(sequence))
        assert await marking == CheckpointOutcome.PLAYED


def pcm_event(samples: int, payload: str = "") -> Media:
    return Media(payload=payload, pcm=np.zeros(samples, np.int16))


def test_inbox_charges_samples_and_message_text_and_drops_the_oldest() -> None:
    inbox = Inbox(max_events=100, max_bytes=10_000)
    inbox.deliver([pcm_event(2000)], message_bytes=1000)  # 5,000 bytes
    inbox.deliver([pcm_event(1000)], message_bytes=500)  # 2,500
    assert (inbox.held_bytes, inbox.dropped_events) == (7500, 0)
    inbox.deliver([pcm_event(1500)], message_bytes=0)  # 3,000: the first goes
    assert (inbox.held_bytes, inbox.dropped_events, inbox.dropped_bytes) == (5500, 1, 5000)
    inbox.deliver([pcm_event(6000)])  # larger than the bound on its own: dropped at once
    assert inbox.held_bytes == 0
    inbox.deliver([StreamClosed(af.CloseReason.CLOSED)])
    assert inbox.next_event() == StreamClosed(af.CloseReason.CLOSED)
    assert inbox.next_event() is None and inbox.held_bytes == 0


def test_inbox_charges_media_kept_from_before_start_its_own_text() -> None:
    inbox = Inbox(max_events=100, max_bytes=1 << 20)
    start = af.Start(stream_id="s", media_format=af.MediaFormat("audio/x-l16", 16000))
    inbox.deliver([start, pcm_event(100, "A" * 400), pcm_event(100, "B" * 400)], 300)
    assert inbox.held_bytes == 300 + 2 * (200 + 400)


async def test_inbox_resolves_every_checkpoint_future_at_the_end() -> None:
    inbox = Inbox(max_events=10, max_bytes=1000)
    played, forgotten = inbox.watch("a"), inbox.watch("b")
    inbox.deliver([CheckpointResolved("a", CheckpointOutcome.PLAYED, 20.0)])
    inbox.deliver([StreamClosed(af.CloseReason.CONNECTION_LOST)])
    assert (played.result(), forgotten.result()) == ("played", "closed")
    late = inbox.watch("c")
    assert late.result() == CheckpointOutcome.CLOSED
