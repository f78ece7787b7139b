"""Random interleavings of app messages (valid and not), frames, caller audio, DTMF, drains
and endings on a PlatformStream with small limits, so every bound is reached.

After every step: the bytes retained stay under the documented bound (and the counters
behind that figure match a recount); a refused input left everything a driver can observe
unchanged; every accepted checkpoint is pending, owed, answered or dropped (counted) — never
lost — and answers leave in the order their checkpoints were accepted, each once. By the
end every accepted checkpoint is answered or counted as dropped.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from audiofork import BufferOverflowError
from audiofork.platform import (
    AudioQueued,
    BadInput,
    CheckpointAnswered,
    CheckpointReceived,
    Degraded,
    Notice,
    PlatformLimits,
    PlatformState,
    PlatformStream,
)
from audiofork.platform._outbox import utf8_size

LIMITS = PlatformLimits(
    max_message_bytes=20_000,
    max_queue_s=0.3,
    max_answer_bytes=1_500,
    max_send_backlog_bytes=2_500,
    answers_per_tick=2,
    answer_bytes_per_tick=300,
)
PLAYABLE = [("audio/x-l16", 8000), ("audio/x-l16", 16000), ("audio/x-l16", 24000)]
PLAYABLE += [("audio/x-mulaw", 8000)]


def play_audio(content_type: str, rate: int, raw: bytes) -> str:
    payload = base64.b64encode(raw).decode()
    media = {"contentType": content_type, "sampleRate": rate, "payload": payload}
    return json.dumps({"event": "playAudio", "streamId": "s", "media": media})


BAD_MESSAGES = st.one_of(
    st.sampled_from(
        [
            "not json {",
            b"\x00binary",
            "x" * 20_001,
            play_audio("audio/x-wav", 8000, b"\x00\x00"),
            play_audio("audio/x-l16", 11025, b"\x00\x00"),
            play_audio("audio/x-mulaw", 16000, b"\x00"),
            play_audio("audio/x-l16", 8000, b"\x00\x00\x00"),
            play_audio("audio/x-l16", 8000, b"").replace('"payload": ""', '"payload": "@@"'),
            json.dumps({"event": "dance"}),
            json.dumps({"event": "media", "media": {}}),
            json.dumps({"event": "start"}),
            json.dumps({"event": "checkpoint", "streamId": "s"}),
            json.dumps({"event": "clearAudio"}),
            "[]",
        ]
    ),
    st.binary(max_size=50),
)


#: Checkpoint names: short, long, and long enough to fill the owed budget in a few.
NAMES = st.one_of(
    st.text(max_size=20), st.text(min_size=40, max_size=300), st.integers(0, 700).map("n".__mul__)
)


def observable(stream: PlatformStream) -> tuple[Any, ...]:
    stats = stream.stats
    stats.bad_frames = {}
    return (
        stream.state,
        stream.frames,
        stream.queued_ms,
        stream.checkpoints_pending,
        stream.answers_waiting,
        stream.send_backlog_bytes,
        stream.has_data_to_send,
        stream.keys_pending,
        stream.retained_bytes,
        stats,
    )


class PlatformMachine(RuleBasedStateMachine):
    @initialize(
        content_type=st.sampled_from(
            ["audio/x-l16;rate=8000", "audio/x-l16;rate=16000", "audio/x-mulaw;rate=8000"]
        ),
        both=st.booleans(),
    )
    def setup(self, content_type: str, both: bool) -> None:
        self.stream = PlatformStream(
            content_type,
            stream_id="s",
            call_id="c",
            tracks=("inbound", "outbound") if both else ("inbound",),
            bidirectional=True,
            limits=LIMITS,
            clock=lambda: 0.0,
        )
        self.stream.start()
        self.accepted: list[str] = []  # checkpoint names, unique, in acceptance order
        self.acknowledged: list[str] = []  # from CheckpointAnswered notices
        self.answered: list[str] = []  # playedStream names taken from data_to_send
        self.clears_sent = 0
        self.sequence = 0
        self.lost = False
        self.count = 0

    # --- helpers ----------------------------------------------------------------------

    def absorb(self, notices: list[Notice]) -> None:
        for notice in notices:
            event(f"{type(notice).__name__} {getattr(notice, 'kind', '')}".strip())
            if isinstance(notice, CheckpointReceived):
                self.accepted.append(notice.name)
            elif isinstance(notice, CheckpointAnswered):
                self.acknowledged.append(notice.name)

    def refused(self, message: str | bytes, before: tuple[Any, ...]) -> None:
        """``message`` was refused: one BadInput, nothing else moved."""
        bad = sum(self.stream.stats.bad_frames.values())
        assert observable(self.stream) == before, message[:80]
        assert bad >= 1

    @property
    def streaming(self) -> bool:
        return self.stream.state is PlatformState.STREAMING

    # --- rules ------------------------------------------------------------------------

    @precondition(lambda self: self.streaming)
    @rule(fmt=st.sampled_from(PLAYABLE), samples=st.integers(0, 3000), level=st.integers(0, 99))
    def play(self, fmt: tuple[str, int], samples: int, level: int) -> None:
        content_type, rate = fmt
        width = 2 if content_type == "audio/x-l16" else 1
        raw = bytes([level]) * (samples * width)
        before = self.stream.queued_ms
        overflow = self.stream.stats.overflow_ms
        notices = self.stream.receive(play_audio(content_type, rate, raw))
        notice = notices[0]
        if isinstance(notice, Degraded):  # did not fit: dropped whole, and counted
            assert notice.kind == "overflow"
            assert self.stream.queued_ms == before
            assert self.stream.stats.overflow_ms == overflow + samples * 1000 / rate
        else:  # queued whole (to within a sample of rate conversion)
            assert isinstance(notice, AudioQueued)
            assert abs(notice.duration_ms - samples * 1000 / rate) <= 1000 / self.stream.rate
            assert self.stream.queued_ms == pytest.approx(before + notice.duration_ms)
        self.absorb(notices)

    @precondition(lambda self: self.streaming)
    @rule(text=NAMES)
    def checkpoint(self, text: str) -> None:
        self.count += 1
        name = f"{self.count}:{text}"
        message = json.dumps({"event": "checkpoint", "streamId": "s", "name": name})
        before = observable(self.stream)
        notices = self.stream.receive(message)
        if isinstance(notices[0], BadInput):
            assert notices[0].kind == "checkpoint_limit"
            self.refused(message, before)
        self.absorb(notices)

    @precondition(lambda self: self.streaming)
    @rule()
    def clear(self) -> None:
        message = json.dumps({"event": "clearAudio", "streamId": "s"})
        before = observable(self.stream)
        notices = self.stream.receive(message)
        if isinstance(notices[0], BadInput):
            assert notices[0].kind == "answer_limit"
            self.refused(message, before)
        self.absorb(notices)

    @precondition(lambda self: self.streaming)
    @rule(message=BAD_MESSAGES)
    def bad(self, message: str | bytes) -> None:
        before = observable(self.stream)
        notices = self.stream.receive(message)
        assert len(notices) == 1 and isinstance(notices[0], BadInput), notices
        self.refused(message, before)

    @precondition(lambda self: self.streaming)
    @rule(text=st.text(max_size=60))
    def anything(self, text: str) -> None:
        before = observable(self.stream)
        notices = self.stream.receive(text)
        if notices and isinstance(notices[0], BadInput):
            self.refused(text, before)
        self.absorb(notices)

    @precondition(lambda self: self.streaming)
    @rule(frames=st.integers(1, 30))
    def tick(self, frames: int) -> None:
        for _ in range(frames):
            frame = self.stream.tick()
            assert len(frame.played) == self.stream.frame_samples
            self.absorb(frame.notices)

    @rule()
    def drain(self) -> None:
        for text in self.stream.data_to_send():
            message = json.loads(text)
            assert message["sequenceNumber"] == self.sequence
            self.sequence += 1
            if message["event"] == "playedStream":
                self.answered.append(message["name"])
            elif message["event"] == "clearedAudio":
                self.clears_sent += 1

    @precondition(lambda self: self.state_allows_audio)
    @rule(samples=st.integers(0, 4000), rate=st.sampled_from([8000, 16000, 44100]))
    def caller_speaks(self, samples: int, rate: int) -> None:
        pcm = np.full(samples, 1000, dtype=np.int16)
        queued = self.stream.send_audio(pcm, rate)  # the caller's own queue holds 10 minutes
        assert abs(queued - samples * self.stream.rate / rate) <= 1

    @property
    def state_allows_audio(self) -> bool:
        return self.stream.state is not PlatformState.CLOSED

    @precondition(lambda self: self.streaming)
    @rule(digit=st.sampled_from("0123456789*#ABCD"))
    def dtmf(self, digit: str) -> None:
        before = observable(self.stream)
        try:
            self.stream.dtmf(digit)
        except BufferOverflowError:
            assert observable(self.stream) == before

    @precondition(lambda self: self.streaming)
    @rule(digits=st.text("0123456789*#ABCD", min_size=1, max_size=60), spacing=st.integers(20, 90))
    def press(self, digits: str, spacing: int) -> None:
        before = observable(self.stream)
        pending = self.stream.keys_pending
        try:
            self.stream.press(digits, spacing_ms=spacing)
        except BufferOverflowError:
            assert observable(self.stream) == before
        else:
            assert self.stream.keys_pending <= pending + len(digits)

    @precondition(lambda self: self.streaming)
    @rule(how=st.sampled_from(["stop", "close", "connection_lost", "app_stop"]))
    def end(self, how: str) -> None:
        if how == "stop":
            self.absorb(self.stream.stop("hangup"))
        elif how == "close":
            self.absorb(self.stream.close())
        elif how == "app_stop":
            self.absorb(self.stream.receive(json.dumps({"event": "stop", "streamId": "s"})))
        else:
            self.stream.connection_lost()
            self.lost = True
        assert self.stream.state is PlatformState.CLOSED
        assert self.stream.checkpoints_pending == 0 and self.stream.answers_waiting == 0
        assert self.stream.keys_pending == 0
        stats = self.stream.stats
        assert stats.checkpoints_received == stats.checkpoints_acknowledged + (
            stats.checkpoints_dropped
        )
        self.drain()
        if not self.lost:
            assert self.answered == self.acknowledged  # every answer queued went out
            assert self.clears_sent == stats.clears

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def bytes_stay_bounded(self) -> None:
        stream = self.stream
        assert stream.retained_bytes <= stream.max_retained_bytes
        # The counters behind retained_bytes match what is really held.
        outbox, answers = stream._outbox, stream._answers
        assert outbox.bytes == sum(utf8_size(text) for text in outbox._texts)
        assert answers.owed_bytes == sum(cost for _, cost in answers._owed)
        assert answers.pending_bytes == sum(answers._pending)
        assert answers.total_bytes <= LIMITS.max_answer_bytes

    @invariant()
    def no_checkpoint_is_lost(self) -> None:
        stats = self.stream.stats
        owed_clears = stats.clears - stats.clears_answered - stats.clears_unanswered
        owed_checkpoints = self.stream.answers_waiting - owed_clears
        assert owed_clears >= 0 and owed_checkpoints >= 0
        assert stats.checkpoints_received == len(self.accepted)
        assert stats.checkpoints_received == (
            stats.checkpoints_acknowledged
            + stats.checkpoints_dropped
            + self.stream.checkpoints_pending
            + owed_checkpoints
        )
        assert stats.checkpoints_acknowledged == len(self.acknowledged)
        # Answered in acceptance order, each once; what left is what was acknowledged first.
        order = {name: i for i, name in enumerate(self.accepted)}
        positions = [order[name] for name in self.acknowledged]
        assert positions == sorted(set(positions))
        assert self.answered == self.acknowledged[: len(self.answered)]


PlatformMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=50, deadline=None
)
TestPlatformMachine = PlatformMachine.TestCase
