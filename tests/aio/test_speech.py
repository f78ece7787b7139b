"""AudioStream utterances over an in-memory socket the test drives as the platform, on a
clock the test sets: say() returns at once, utterances play in order, resolve with what was
heard of them, and no wait outlives a clear or the end of the stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pytest
from memory_sockets import GatedSocket, MemorySocket, decoded, until

from audiofork import (
    ArgumentError,
    AudioStream,
    CheckpointOutcome,
    CodecError,
    StreamStateError,
    Utterance,
    UtteranceResolved,
    UtteranceState,
)
from support.clock import ManualClock
from support.scripted_platform import (
    STREAM_ID,
    play_ms,
    played_message,
    start_message,
    tone,
)

TIMEOUT = 10
WORDS = [("Your", 0, 150), ("order", 180, 400), ("has", 420, 520), ("shipped.", 540, 900)]
TEXT = "Your order has shipped."


class Platform:
    """The socket, the clock, and what the app sent, read back as JSON."""

    def __init__(self, socket: MemorySocket, clock: ManualClock) -> None:
        self.socket = socket
        self.clock = clock

    def start(self) -> None:
        self.socket.inbox.put_nowait(start_message())

    def sent(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.socket.wire]

    def played_ms(self) -> float:
        return sum(play_ms(m) for m in self.sent() if m["event"] == "playAudio")

    def checkpoints(self) -> list[str]:
        return [m["name"] for m in self.sent() if m["event"] == "checkpoint"]

    def confirm(self, name: str) -> None:
        self.socket.inbox.put_nowait(played_message(name))


@asynccontextmanager
async def streaming(
    pace_ms: int | None = None, start: bool = True
) -> AsyncIterator[tuple[AudioStream, Platform]]:
    socket, clock = MemorySocket(), ManualClock()
    platform = Platform(socket, clock)
    async with asyncio.timeout(TIMEOUT):
        async with AudioStream(socket, pace_ms=pace_ms, clock=clock) as stream:
            if start:
                platform.start()
                await until(lambda: stream.session.start is not None)
            yield stream, platform


async def test_say_returns_at_once_and_reports_the_audio_not_the_padding() -> None:
    async with streaming() as (stream, platform):
        reply = stream.say(tone(130), 16000, text=TEXT)
        assert isinstance(reply, Utterance)
        assert reply.state is UtteranceState.QUEUED and platform.sent() == []
        assert stream.speaking and stream.queued_ms == 130.0
        await until(lambda: len(platform.checkpoints()) == 1)
        assert platform.played_ms() == 140.0  # padded to a whole frame
        assert reply.duration_ms == 130.0
        platform.clock.now += 0.05
        assert reply.state is UtteranceState.PLAYING
        assert stream.current is reply
        assert reply.heard_ms == pytest.approx(50.0)
        assert reply.heard_text is None  # without word timings, only once played
        platform.clock.now += 1.0
        platform.confirm(platform.checkpoints()[0])
        assert await reply is CheckpointOutcome.PLAYED
        assert reply.state is UtteranceState.PLAYED
        assert reply.heard_ms == 130.0  # not 140: the padding was not the reply
        assert stream.heard_ms() == 140.0  # the stream's timeline has the padding
        assert reply.heard_text == TEXT
        assert not stream.speaking and stream.current is None


async def test_utterances_play_in_order_and_resolve_in_order() -> None:
    async with streaming() as (stream, platform):
        first = stream.say(tone(200), 16000)
        second = stream.say(tone(300, 8000), 8000)
        third = stream.say_stream(8000)
        await third.write(tone(100, 8000))
        third.end()
        await until(lambda: len(platform.checkpoints()) == 3)
        frames, runs = 0, []
        for message in platform.sent():
            if message["event"] == "checkpoint":
                runs.append(frames)
                frames = 0
            else:
                frames += 1
        # 8 kHz resampled to 16 kHz: the flush sends the resampler's tail, padded.
        assert runs == [10, 16, 6]
        platform.clock.now += 0.25
        assert stream.current is second
        assert (first.state, second.state, third.state) == (
            UtteranceState.PLAYING,
            UtteranceState.PLAYING,
            UtteranceState.QUEUED,
        )
        assert second.heard_ms == pytest.approx(50.0)
        platform.clock.now += 1.0
        platform.confirm(platform.checkpoints()[2])
        assert [await u for u in (first, second, third)] == [CheckpointOutcome.PLAYED] * 3
        assert [u.heard_ms for u in (first, second, third)] == pytest.approx([200, 300, 100])


async def test_interrupt_resolves_everything_and_returns_the_one_playing() -> None:
    async with streaming(pace_ms=300) as (stream, platform):
        reply = stream.say(tone(900), 16000, text=TEXT, words=WORDS)
        later = stream.say(tone(500), 16000)
        fed = stream.say_stream(16000)
        # Paced: about pace_ms is sent, then the speaker waits for the playout.
        await until(lambda: platform.played_ms() >= 300)
        assert stream.queued_ms == pytest.approx(1400.0)  # all given, sent or not
        platform.clock.now += 0.25  # the speaker sends up to 300 ms ahead of 250 ms
        await until(lambda: platform.played_ms() >= 500)
        platform.clock.now += 0.2
        assert stream.current is reply
        assert reply.heard_text == "Your order"
        stopped = await stream.interrupt()
        assert stopped is reply
        assert [u.state for u in (reply, later, fed)] == [UtteranceState.CLEARED] * 3
        assert reply.heard_ms == pytest.approx(450.0)
        assert reply.heard_text == "Your order"
        assert later.heard_ms == 0.0 and fed.heard_ms == 0.0
        # No wait hangs after the clear, the writer of a streamed one included.
        assert [await u for u in (reply, later, fed)] == [CheckpointOutcome.CLEARED] * 3
        await fed.write(tone(5000))  # dropped: returns at once
        fed.end()
        assert not stream.speaking
        sent_before = len(platform.sent())
        assert platform.sent()[-1]["event"] == "clearAudio"
        # Nothing of the cleared replies goes out afterwards; a new one plays.
        after = stream.say(tone(100), 16000)
        await until(lambda: len(platform.checkpoints()) == 1)
        assert sum(play_ms(m) for m in platform.sent()[sent_before:] if "media" in m) == 100.0
        platform.clock.now += 1.0
        platform.confirm(platform.checkpoints()[0])
        assert await after is CheckpointOutcome.PLAYED


async def test_interrupt_with_nothing_playing() -> None:
    async with streaming() as (stream, platform):
        assert await stream.interrupt() is None
        reply = stream.say(tone(100), 16000)  # sent, but not yet heard at all
        await until(lambda: len(platform.checkpoints()) == 1)
        assert await stream.interrupt() is None
        assert await reply is CheckpointOutcome.CLEARED and reply.heard_ms == 0.0


async def test_say_stream_feeds_pieces_with_backpressure() -> None:
    async with streaming() as (stream, platform):
        reply = stream.say_stream(16000, text="streamed")
        await reply.write(tone(1500))
        assert reply.duration_ms == 1500.0
        writing = asyncio.create_task(reply.write(tone(600)))  # 2.1 s unheard: it waits
        await until(lambda: platform.played_ms() >= 2100)
        await asyncio.sleep(0.2)
        assert not writing.done()
        platform.clock.now += 0.2  # the playout catches up: 1.9 s unheard
        await writing
        reply.end()
        with pytest.raises(StreamStateError, match="write\\(\\) after end\\(\\)"):
            await reply.write(tone(20))
        await until(lambda: len(platform.checkpoints()) == 1)
        platform.clock.now += 2.0
        platform.confirm(platform.checkpoints()[0])
        assert await reply is CheckpointOutcome.PLAYED
        assert reply.heard_ms == 2100.0 and reply.heard_text == "streamed"


@pytest.mark.parametrize("ending", ["aclose", "stop", "socket_closed"])
async def test_the_end_of_the_stream_resolves_every_utterance_closed(ending: str) -> None:
    async with streaming(pace_ms=200) as (stream, platform):
        playing = stream.say(tone(1000), 16000)
        open_ended = stream.say_stream(16000)
        await until(lambda: platform.played_ms() > 0)
        platform.clock.now += 0.1
        if ending == "aclose":
            await stream.aclose()
        elif ending == "stop":
            await stream.stop()
        else:
            platform.socket.inbox.put_nowait(None)
        assert await playing is CheckpointOutcome.CLOSED
        assert await open_ended is CheckpointOutcome.CLOSED
        assert playing.heard_ms == pytest.approx(100.0) and playing.duration_ms == 1000.0
        # On a stream that ended, a new one resolves at once.
        late = stream.say(tone(100), 16000)
        assert late.done() and await late is CheckpointOutcome.CLOSED
        assert late.state is UtteranceState.CLOSED


async def test_a_say_before_start_waits_for_the_format() -> None:
    async with streaming(start=False) as (stream, platform):
        greeting = stream.say(tone(60), 16000)
        await asyncio.sleep(0.01)
        assert platform.sent() == [] and greeting.state is UtteranceState.QUEUED
        platform.start()
        await until(lambda: len(platform.checkpoints()) == 1)
        assert platform.sent()[0]["streamId"] == STREAM_ID
        platform.clock.now += 1.0
        platform.confirm(platform.checkpoints()[0])
        assert await greeting is CheckpointOutcome.PLAYED


async def test_the_session_events_are_seen_by_async_for_too() -> None:
    async with streaming() as (stream, platform):
        reply = stream.say(tone(40), 16000)
        await until(lambda: len(platform.checkpoints()) == 1)
        platform.confirm(platform.checkpoints()[0])
        await reply
        events = []
        async for event in stream:
            events.append(event)
            if type(event) is UtteranceResolved:
                break
        assert events[-1] == UtteranceResolved(reply.id, CheckpointOutcome.PLAYED, 40.0, 40.0)


async def test_bad_input_is_refused_at_the_call() -> None:
    async with streaming() as (stream, platform):
        bad = np.zeros(50, np.float64)
        bad[7] = np.inf
        with pytest.raises(CodecError, match=r"^pcm\[7\] is inf") as info:
            stream.say(bad, 16000)
        assert info.value.kind == "bad_value"
        with pytest.raises(TypeError, match="pcm"):
            stream.say([0.0] * 10, 16000)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="sample_rate"):
            stream.say(tone(20), 16000.0)  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match="sample_rate"):
            stream.say_stream(0)
        with pytest.raises(TypeError, match="text must be a str"):
            stream.say(tone(20), 16000, text=b"hi")  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match=r"words\[0\]: end_ms"):
            stream.say(tone(20), 16000, words=[("hi", 5, 1)])
        fed = stream.say_stream(16000)
        with pytest.raises(CodecError, match=r"^pcm\[0\] is nan"):
            await fed.write(np.array([np.nan], np.float32))
        assert fed.duration_ms == 0.0
        assert stream.session.pending_utterances == (fed.id,)
        # Float64 in [-1, 1] is fine.
        fed.end()
        ok = stream.say(np.full(320, 0.25), 16000)
        await until(lambda: len(platform.checkpoints()) == 2)
        platform.confirm(platform.checkpoints()[-1])
        assert await ok is CheckpointOutcome.PLAYED and ok.heard_ms == 20.0


async def test_a_reply_the_stream_cannot_play_is_refused_and_leaves_nothing_pending() -> None:
    """A-law on the wire and no playback_format: playAudio cannot carry it. Said before
    start, the reply fails its await; said after, the call refuses it. Neither stays
    pending in the session."""
    socket, clock = MemorySocket(), ManualClock()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket, clock=clock) as stream:
        early = stream.say(tone(40), 16000)
        fed = stream.say_stream(16000)
        socket.inbox.put_nowait(start_message(encoding="audio/x-alaw", rate=8000))
        with pytest.raises(StreamStateError, match="cannot be sent in playAudio"):
            await early
        with pytest.raises(StreamStateError, match="cannot be sent in playAudio"):
            await fed
        assert early.done() and early.state is UtteranceState.CLOSED
        assert stream.session.pending_utterances == () and not stream.speaking
        for _ in range(3):
            with pytest.raises(StreamStateError, match="cannot be sent in playAudio"):
                stream.say(tone(40), 16000)
        assert stream.session.pending_utterances == () and not stream.speaking


async def test_session_commands_called_directly_strand_no_utterance() -> None:
    """The session's commands are the stream's to call; called directly, the utterances
    they resolve still resolve (with the figures last seen) and no figure raises."""
    async with streaming() as (stream, platform):
        reply = stream.say(tone(500), 16000)
        await until(lambda: len(platform.checkpoints()) == 1)
        platform.clock.now += 0.1
        assert reply.heard_ms == pytest.approx(100.0)
        stream.session.clear()  # not stream.clear()
        assert stream.queued_ms == stream.session.queued_ms
        assert reply.state is UtteranceState.CLEARED
        assert reply.heard_ms == pytest.approx(100.0) and reply.duration_ms == 500.0
        assert await reply is CheckpointOutcome.CLEARED
        assert not stream.speaking and stream.current is None
        # An await already waiting ends when the stream does, at the latest.
        fed = stream.say_stream(16000)
        waiting = asyncio.create_task(asyncio.wait_for(fed, TIMEOUT))
        await until(lambda: stream.session.pending_utterances == (fed.id,))
        stream.session.close()  # not stream.aclose()
        assert fed.state is UtteranceState.CLOSED
        await stream.aclose()
        assert await waiting is CheckpointOutcome.CLOSED


async def test_an_utterance_stops_counting_audio_once_resolved() -> None:
    async with streaming() as (stream, platform):
        fed = stream.say_stream(16000)
        await fed.write(tone(300))
        await until(lambda: platform.played_ms() >= 300)
        await stream.interrupt()
        assert await fed is CheckpointOutcome.CLEARED
        await fed.write(tone(700))  # dropped: neither played nor counted
        assert fed.duration_ms == 300.0
        fed.end()
        late = stream.say_stream(16000)
        await stream.aclose()
        await late.write(tone(100))
        assert late.duration_ms == 0.0 and await late is CheckpointOutcome.CLOSED


async def test_a_reply_heard_to_its_end_is_not_cut_by_a_barge_in() -> None:
    """Only the platform's confirmation outstanding: nothing is being heard."""
    async with streaming() as (stream, platform):
        reply = stream.say(tone(130), 16000, text=TEXT)
        await until(lambda: len(platform.checkpoints()) == 1)
        platform.clock.now += 0.1
        assert stream.current is reply
        platform.clock.now += 1.0
        assert stream.current is None and stream.speaking
        assert await stream.interrupt() is None
        assert await reply is CheckpointOutcome.CLEARED and reply.heard_ms == 130.0


async def test_play_drain_and_checkpoint_are_refused_while_an_utterance_is_pending() -> None:
    """Their audio or padding would land inside the reply (or between queued ones) and count
    as its own; whether the reply has begun is a race the app cannot see, so any pending
    one refuses them."""
    async with streaming() as (stream, platform):
        reply = stream.say(tone(100), 16000)
        with pytest.raises(StreamStateError, match=r"cannot play\(\) while utterance 'u-1'"):
            await stream.play(tone(20), 16000)
        with pytest.raises(StreamStateError, match=r"cannot drain\(\) while utterance 'u-1'"):
            await stream.drain()
        with pytest.raises(StreamStateError, match=r"cannot checkpoint\(\) while utterance"):
            stream.checkpoint("mine")
        await until(lambda: len(platform.checkpoints()) == 1)
        assert stream.session.pending_checkpoints == tuple(platform.checkpoints())
        platform.clock.now += 1.0
        platform.confirm(platform.checkpoints()[0])
        assert await reply is CheckpointOutcome.PLAYED and reply.duration_ms == 100.0
        await stream.play(tone(20), 16000)  # nothing pending: allowed again
        mark = asyncio.create_task(stream.checkpoint("mine"))
        await until(lambda: "mine" in platform.checkpoints())
        platform.confirm("mine")
        assert await mark is CheckpointOutcome.PLAYED


async def test_heard_text_is_none_only_when_it_cannot_be_told() -> None:
    async with streaming() as (stream, platform):
        bare = stream.say(tone(100), 16000)
        plain = stream.say(tone(100), 16000, text=TEXT)
        timed = stream.say(tone(1000), 16000, text=TEXT, words=WORDS)
        untexted = stream.say(tone(100), 16000, words=[("Hi", 0, 50), ("there", 60, 200)])
        assert [u.heard_text for u in (bare, plain, timed, untexted)] == [None, "", "", ""]
        await until(lambda: len(platform.checkpoints()) == 4)
        platform.clock.now += 0.15  # plain: half heard, which words is not known
        assert plain.heard_text is None
        platform.clock.now += 10.0
        platform.confirm(platform.checkpoints()[-1])
        outcomes = [await u for u in (bare, plain, timed, untexted)]
        assert [u.state.value for u in (bare, plain, timed, untexted)] == [
            o.value for o in outcomes
        ]
        # Played: all of it, even a last word whose timing ran past the audio.
        assert [u.heard_text for u in (bare, plain, timed, untexted)] == [
            None,
            TEXT,
            TEXT,
            "Hi there",
        ]


async def test_a_write_queued_behind_an_unended_utterance_does_not_wait() -> None:
    """Backpressure applies once an utterance has begun: writing the next reply before
    ending this one (in the same task) cannot wait on audio that never plays."""
    async with streaming() as (stream, platform):
        first = stream.say_stream(16000)
        await first.write(tone(100))
        second = stream.say_stream(16000)
        await second.write(tone(5000))  # returns at once: it waits behind `first`
        assert second.state is UtteranceState.QUEUED and second.duration_ms == 5000.0
        first.end()
        second.end()
        await until(lambda: len(platform.checkpoints()) == 2)


async def test_a_waiting_write_returns_when_its_utterance_is_cut() -> None:
    """The writer's timer is far off (the clock is the test's, and frozen); the barge-in
    wakes it."""
    async with streaming() as (stream, platform):
        fed = stream.say_stream(16000)
        await fed.write(tone(1000))
        await until(lambda: fed._begun)
        # 29 s over the bound: its timer is three times the test's timeout away.
        writing = asyncio.create_task(fed.write(tone(30_000)))
        await until(lambda: fed.duration_ms == 31_000 and not fed._feeding)
        assert not writing.done()
        platform.clock.now += 0.5
        assert await stream.interrupt() is fed
        await writing
        assert fed.heard_ms == pytest.approx(500.0) and fed.duration_ms == 31_000


async def test_writes_keep_their_order_while_one_plays_in_the_writers_task() -> None:
    """A write() while the speaker waits for more plays in the writer's task; writes that
    come while it is still sending (the socket makes it wait) queue behind it."""
    socket, clock = GatedSocket(write_first=False), ManualClock()
    async with asyncio.timeout(TIMEOUT), AudioStream(socket, clock=clock) as stream:
        socket.inbox.put_nowait(start_message())
        await until(lambda: stream.session.start is not None)
        reply = stream.say_stream(16000)
        await until(lambda: reply._feed_now is not None)  # the speaker waits for audio
        pieces = [tone(40, hz=hz) for hz in (300, 500, 700)]
        writes = [asyncio.create_task(reply.write(piece)) for piece in pieces]
        await until(lambda: bool(socket.gates))  # the first write waits on the socket
        assert reply._feeding
        reply.end()
        socket.open_all()
        await asyncio.gather(*writes)
        await until(lambda: any('"checkpoint"' in text for text in socket.wire))
        audio = [json.loads(text) for text in socket.wire if '"playAudio"' in text]
        np.testing.assert_array_equal(decoded(audio), np.concatenate(pieces))
