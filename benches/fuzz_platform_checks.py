"""The property the ``platform_receive`` fuzz target checks: ``PlatformStream.receive``
over mutated sequences of app messages, interleaved with the driver's calls.

Each example builds a stream (format, tracks, one-way or bidirectional, default or tight
limits) and runs a sequence of steps: app messages (``playAudio`` in every format, some a
platform cannot play; ``checkpoint``; ``clearAudio``; ``stop``; messages only a platform
sends; unknown events; garbage), valid or mutated (benches/fuzz_mutations.py), some as
binary frames, interleaved with the driver's ``start``, ``tick``, ``data_to_send``,
``send_audio``, ``press``, ``stop``, ``close`` and ``connection_lost``. What must hold:

- ``receive`` raises only ``StreamStateError``, and only when the stream is not
  streaming; bad input is refused as one ``BadInput`` whose kind is documented, and
  leaves no trace but its count in ``bad_frames``;
- after an accepted ``clearAudio`` no checkpoint is pending; after ``stop``, ``close``,
  ``connection_lost`` or the app's ``stop`` none is pending and no answer is owed;
- a checkpoint is answered at most as often as it was accepted, and every accepted
  checkpoint ends acknowledged or dropped (the sequence ends with ``close``);
- what the stream holds never passes ``max_retained_bytes``, nor the queue its bound;
- everything ``data_to_send`` returns parses as a platform message.

benches/fuzz_platform.py runs it under atheris (coverage-guided); ``make test`` runs a
few hundred examples (tests/faults/test_platform_fuzz.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any, get_args

import numpy as np
from hypothesis import strategies as st

import audiofork as af
from audiofork import wire
from audiofork.errors import ErrorKind
from audiofork.platform import (
    AudioCleared,
    BadInput,
    CheckpointAnswered,
    CheckpointReceived,
    Notice,
    PlatformLimits,
    PlatformState,
    PlatformStream,
    StopReceived,
)
from fuzz_mutations import as_property, mutated

#: Every documented ``BadInput.kind`` (audiofork.platform's docstring).
BAD_INPUT_KINDS = set(get_args(ErrorKind)) | {
    "binary",
    "unexpected_event",
    "not_bidirectional",
    "checkpoint_limit",
    "answer_limit",
}
STREAM_ID = "0b6f7a0e-3f4b-4c1e-9d53-1f2a5c8e7d90"
STREAM_FORMATS = ["audio/x-mulaw;rate=8000", "audio/x-l16;rate=8000", "audio/x-l16;rate=16000"]
# What an app might put in playAudio: the three a platform plays and three it cannot.
PLAY_FORMATS = [
    ("audio/x-mulaw", 8000),
    ("audio/x-l16", 8000),
    ("audio/x-l16", 16000),
    ("audio/x-l16", 24000),
    ("audio/x-alaw", 8000),
    ("audio/x-l16", 44100),
]
TIGHT = PlatformLimits(
    max_message_bytes=4000,
    max_queue_s=0.2,
    max_answer_bytes=600,
    max_send_backlog_bytes=3000,
    answers_per_tick=1,
    answer_bytes_per_tick=100,
)


def play_audio(content_type: str, rate: int, ms: int) -> str:
    """A ``playAudio`` of ``ms`` of a tone, built by hand: the library's builder refuses
    the formats a platform cannot play."""
    tone = (3000 * np.sin(np.arange(max(1, rate * ms // 1000)) * 0.3)).astype(np.int16)
    media = {"contentType": content_type, "sampleRate": rate}
    media["payload"] = af.encode_payload(tone, content_type)
    return json.dumps({"event": "playAudio", "streamId": STREAM_ID, "media": media})


def trace(stream: PlatformStream) -> tuple[Any, ...]:
    """What a refused message must leave as it was (besides its count in bad_frames)."""
    stats = stream.stats
    stats.bad_frames = {}
    return (
        stream.state,
        stats,
        stream.queued_ms,
        stream.checkpoints_pending,
        stream.answers_waiting,
        stream.send_backlog_bytes,
        stream.retained_bytes,
    )


class Run:
    """One example: the stream and the checkpoints it accepted and answered."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.stream = PlatformStream(
            data.draw(st.sampled_from(STREAM_FORMATS), "format"),
            stream_id=STREAM_ID,
            call_id="call-1",
            tracks=data.draw(st.sampled_from([("inbound",), ("inbound", "outbound")]), "tracks"),
            bidirectional=data.draw(st.sampled_from([True, True, True, False]), "bidirectional"),
            limits=data.draw(st.sampled_from([None, TIGHT]), "limits"),
            clock=lambda: 1_700_000_000.0,
        )
        if data.draw(st.integers(0, 9), "start late") > 0:
            self.stream.start()
        self.accepted: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.names = ["cp-1"]

    def message(self) -> str:
        """A message an app might send, before mutation: mostly audio, checkpoints and
        clears, so the limits are reached."""
        draw = self.data.draw
        name = draw(st.sampled_from(self.names), "name")
        play = draw(st.sampled_from(PLAY_FORMATS), "play format")
        fresh = wire.checkpoint(STREAM_ID, f"cp-{len(self.names) + 1}")
        return draw(
            st.sampled_from(
                [
                    *[play_audio(*play, 20), play_audio(*play, 130)] * 2,
                    *[fresh] * 3,
                    wire.checkpoint(STREAM_ID, name),
                    *[wire.clear_audio(STREAM_ID)] * 2,
                    wire.stop(STREAM_ID),
                    wire.played_stream(name, STREAM_ID, 3),
                    wire.media(STREAM_ID, "AAAA", sequence_number=2, chunk=1, timestamp_ms=0),
                    '{"event":"somethingNew","streamId":"s"}',
                    "",
                ]
            ),
            "message",
        )

    def receive(self) -> None:
        stream = self.stream
        text = self.message()
        sent: str | bytes = text
        if not self.data.draw(st.booleans(), "intact"):
            sent = self.data.draw(mutated(text, st.sampled_from([False] * 9 + [True])), "as sent")
        before, bad_before = trace(stream), stream.stats.bad_frames
        try:
            notices = stream.receive(sent)
        except af.StreamStateError:
            assert before[0] is not PlatformState.STREAMING, "refused while streaming"
            assert trace(stream) == before
            return
        assert before[0] is PlatformState.STREAMING, "received while not streaming"
        bad = [n for n in notices if isinstance(n, BadInput)]
        if bad:
            assert len(notices) == 1, notices
            assert bad[0].kind in BAD_INPUT_KINDS, bad[0]
            assert trace(stream) == before, "a refused message changed the stream"
            counted = stream.stats.bad_frames
            assert counted[bad[0].kind] == bad_before.get(bad[0].kind, 0) + 1
            return
        self.note(notices)
        if any(isinstance(n, CheckpointReceived) for n in notices):
            self.names.append(f"cp-{len(self.names) + 1}")

    def note(self, notices: list[Notice]) -> None:
        for notice in notices:
            if isinstance(notice, CheckpointReceived):
                self.accepted[notice.name] += 1
            elif isinstance(notice, CheckpointAnswered):
                self.answered[notice.name] += 1
                assert self.answered[notice.name] <= self.accepted[notice.name], notice
            elif isinstance(notice, AudioCleared):
                assert self.stream.checkpoints_pending == 0, "a checkpoint pending after clear"
            elif isinstance(notice, StopReceived):
                self.ended("the app's stop")

    def ended(self, after: str) -> None:
        stream = self.stream
        assert stream.state is PlatformState.CLOSED, after
        assert stream.checkpoints_pending == 0, f"a checkpoint pending after {after}"
        assert stream.answers_waiting == 0, f"an answer owed after {after}"

    def driver_call(self, action: str) -> None:
        stream, draw = self.stream, self.data.draw
        try:
            if action == "start":
                stream.start()
            elif action == "tick":
                for _ in range(draw(st.integers(1, 12), "frames")):
                    self.note(stream.tick().notices)
            elif action == "data_to_send":
                for text in stream.data_to_send():
                    assert isinstance(af.parse_message(text), af.PLATFORM_EVENTS), text
            elif action == "send_audio":
                stream.send_audio(np.zeros(draw(st.integers(0, 2000), "samples"), np.int16), 16000)
            elif action == "press":
                stream.press(draw(st.sampled_from(["1", "#*9", "0" * 120]), "digits"))
            elif action in ("stop", "close"):
                self.note(getattr(stream, action)())
                self.ended(action)
            elif action == "connection_lost":
                stream.connection_lost()
                self.ended(action)
        except af.StreamStateError:
            assert action in ("start", "tick", "send_audio", "press"), action
            assert stream.state is not PlatformState.STREAMING or action == "start"
        except af.BufferOverflowError:
            assert action == "press", action

    def bounded(self) -> None:
        stream = self.stream
        assert stream.retained_bytes <= stream.max_retained_bytes
        assert stream.queued_ms <= stream.limits.max_queue_s * 1000

    def finish(self) -> None:
        self.note(self.stream.close())
        self.ended("close")
        stats = self.stream.stats
        assert sum(self.accepted.values()) == stats.checkpoints_received
        assert stats.checkpoints_received == (
            stats.checkpoints_acknowledged + stats.checkpoints_dropped
        ), stats
        assert stats.clears == stats.clears_answered + stats.clears_unanswered, stats


ACTIONS = ["start", "tick", "data_to_send", "send_audio", "press", "stop", "close"]
ACTIONS += ["connection_lost"]


def check(data: st.DataObject) -> None:
    run = Run(data)
    for _ in range(data.draw(st.integers(1, 40), "steps")):
        if data.draw(st.integers(0, 3), "kind") > 0:  # three quarters app messages
            run.receive()
        else:
            run.driver_call(data.draw(st.sampled_from(ACTIONS), "action"))
        run.bounded()
    run.finish()


def platform_receive(max_examples: int = 200) -> Callable[[], None]:
    """The property as a hypothesis test (it also has ``.hypothesis.fuzz_one_input``)."""
    return as_property(check, max_examples)
