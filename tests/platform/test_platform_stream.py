"""PlatformStream driven by hand: no sockets, no event loop, no clock but the frames.

App messages are written here with plain ``json`` + ``base64``, and the platform's output is
read back with ``json``, so the wire is checked independently of audiofork's builders.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from audiofork import ArgumentError, BufferOverflowError, MediaFormat, StreamStateError
from audiofork.platform import (
    AudioCleared,
    AudioQueue,
    AudioQueued,
    BadInput,
    CheckpointAnswered,
    CheckpointReceived,
    ClearAnswered,
    Degraded,
    PlatformLimits,
    PlatformState,
    PlatformStream,
    StopReceived,
)

Pcm = npt.NDArray[np.int16]


def ramp(n: int, start: int = 1) -> Pcm:
    return np.arange(start, start + n, dtype=np.int16)


def play_audio(pcm: Pcm, rate: int = 8000, content_type: str = "audio/x-l16") -> str:
    payload = base64.b64encode(pcm.astype("<i2").tobytes()).decode()
    media = {"contentType": content_type, "sampleRate": rate, "payload": payload}
    return json.dumps({"event": "playAudio", "streamId": "s1", "media": media})


def checkpoint(name: str) -> str:
    return json.dumps({"event": "checkpoint", "streamId": "s1", "name": name})


CLEAR = json.dumps({"event": "clearAudio", "streamId": "s1"})
STOP = json.dumps({"event": "stop", "streamId": "s1"})


def new_stream(**options: Any) -> PlatformStream:
    fields: dict[str, Any] = {
        "media_format": "audio/x-l16;rate=8000",
        "stream_id": "s1",
        "call_id": "c1",
        "account_id": "MA_1",
        "bidirectional": True,
        "clock": lambda: 1_700_000_000.0,
    }
    fields.update(options)
    return PlatformStream(**fields)


def started(**options: Any) -> PlatformStream:
    stream = new_stream(**options)
    stream.start()
    return stream


def sent(stream: PlatformStream) -> list[dict[str, Any]]:
    return [json.loads(text) for text in stream.data_to_send()]


def observable(stream: PlatformStream) -> tuple[Any, ...]:
    """Everything a driver can see, but the refusal counters."""
    stats = stream.stats
    stats.bad_frames = {}
    return (
        stream.state,
        stream.frames,
        stream.queued_ms,
        stream.checkpoints_pending,
        stream.answers_waiting,
        stream.send_backlog_bytes,
        stream.retained_bytes,
        stats,
    )


# --- the platform's messages ---------------------------------------------------------------


def test_start_and_media_frames_on_the_wire() -> None:
    stream = new_stream(
        media_format="audio/x-mulaw;rate=8000",
        tracks=("inbound", "outbound"),
        extra_headers={"tenant": "acme"},
        bidirectional=False,
    )
    assert stream.state is PlatformState.IDLE
    stream.send_audio(ramp(480, -240) * 50, 16000)  # 30 ms at 16 kHz: 15 ms at 8 kHz...
    stream.start(timestamp_ms=5000)
    [start] = sent(stream)
    assert start == {
        "event": "start",
        "sequenceNumber": 0,
        "start": {
            "callId": "c1",
            "streamId": "s1",
            "accountId": "MA_1",
            "tracks": ["inbound", "outbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
        },
        "extra_headers": '{"tenant":"acme"}',
    }
    frames = [stream.tick() for _ in range(3)]
    messages = sent(stream)
    assert [m["sequenceNumber"] for m in messages] == list(range(1, 7))
    assert [(m["media"]["track"], m["media"]["chunk"]) for m in messages] == [
        ("inbound", 1),
        ("outbound", 1),
        ("inbound", 2),
        ("outbound", 2),
        ("inbound", 3),
        ("outbound", 3),
    ]
    assert [m["media"]["timestamp"] for m in messages[::2]] == ["5000", "5020", "5040"]
    assert [f.timestamp_ms for f in frames] == [5000, 5020, 5040]
    assert {len(base64.b64decode(m["media"]["payload"])) for m in messages} == {160}
    inbound = np.concatenate([f.sent["inbound"] for f in frames])
    assert np.count_nonzero(inbound[:240]) > 200 and not inbound[240:].any()  # then silence
    assert not np.concatenate([f.sent["outbound"] for f in frames]).any()  # nobody spoke
    assert stream.stats.media_sent == {"inbound": 3, "outbound": 3}


def test_the_clock_sets_the_first_timestamp() -> None:
    stream = started()
    stream.tick()
    [media] = sent(stream)[1:]
    assert media["media"]["timestamp"] == "1700000000000"


def test_a_custom_source_feeds_its_track() -> None:
    class Counter:
        def __init__(self) -> None:
            self.next = 0

        def read(self, n: int) -> Pcm:
            self.next += n
            return ramp(n, self.next - n)

    stream = started(sources={"inbound": Counter()})
    frames = [stream.tick() for _ in range(2)]
    assert np.array_equal(np.concatenate([f.sent["inbound"] for f in frames]), ramp(320, 0))
    with pytest.raises(StreamStateError, match="own source"):
        stream.send_audio(ramp(10), 8000)


def test_a_source_returning_the_wrong_shape_is_refused() -> None:
    class Short:
        def read(self, n: int) -> Pcm:
            return ramp(n - 1)

    stream = started(sources={"inbound": Short()})
    with pytest.raises(ArgumentError, match="inbound source"):
        stream.tick()
    assert stream.frames == 0 and sent(stream)[1:] == []


# --- the app's audio, checkpoints and clears -----------------------------------------------


def test_app_audio_plays_from_the_next_frame_and_checkpoints_answer_when_it_has() -> None:
    stream = started()
    sent(stream)
    notices = stream.receive(play_audio(ramp(200), 16000))  # 12.5 ms: 100 samples at 8 kHz
    assert notices == [
        AudioQueued(MediaFormat("audio/x-l16", 16000), duration_ms=12.5, queued_ms=12.5)
    ]
    assert stream.receive(checkpoint("reply")) == [CheckpointReceived("reply")]
    assert stream.checkpoints_pending == 1
    first = stream.tick()  # the audio starts playing; nothing had been playing
    assert (first.played_samples, first.notices) == (0, [])
    second = stream.tick()  # the 100 samples have played
    assert second.played_samples == 100
    assert second.notices == [CheckpointAnswered("reply")]
    messages = sent(stream)
    assert [m["event"] for m in messages] == ["media", "media", "playedStream"]
    assert messages[-1] == {
        "event": "playedStream",
        "sequenceNumber": 3,
        "streamId": "s1",
        "name": "reply",
    }
    # Nothing queued or playing: a checkpoint is answered at once.
    stream.tick()
    assert stream.receive(checkpoint("idle")) == [
        CheckpointReceived("idle"),
        CheckpointAnswered("idle"),
    ]
    stats = stream.stats
    assert (stats.checkpoints_received, stats.checkpoints_acknowledged) == (2, 2)
    assert stats.played_ms == pytest.approx(12.5)


def test_clear_drops_audio_and_pending_checkpoints_and_is_answered() -> None:
    stream = started()
    stream.receive(play_audio(ramp(1600)))
    stream.receive(checkpoint("never"))
    stream.tick()  # one frame now playing, 1440 samples queued
    sent(stream)
    assert stream.receive(CLEAR) == [AudioCleared(180.0, 1), ClearAnswered()]
    assert [m["event"] for m in sent(stream)] == ["clearedAudio"]
    frames = [stream.tick() for _ in range(3)]
    assert [f.played_samples for f in frames] == [160, 0, 0]  # the frame playing plays out
    assert all(f.notices == [] for f in frames)
    stats = stream.stats
    assert (stats.clears, stats.clears_answered, stats.checkpoints_dropped) == (1, 1, 1)
    assert stats.cleared_ms == pytest.approx(180.0)


def test_overflow_drops_a_play_audio_whole() -> None:
    stream = started(limits=PlatformLimits(max_queue_s=0.1))  # 800 samples
    stream.receive(play_audio(ramp(500)))
    before = stream.queued_ms
    [notice] = stream.receive(play_audio(ramp(500)))
    assert isinstance(notice, Degraded) and notice.kind == "overflow"
    assert stream.queued_ms == before
    stats = stream.stats
    assert stats.play_audio_received == 2 and stats.overflow_ms == pytest.approx(62.5)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("not json at all {", "bad_json"),
        ("[" * 200, "too_deep"),
        (b"\x00\x01binary", "binary"),
        ("x" * 5000, "too_large"),
        (play_audio(ramp(4), 8000, "audio/x-wav"), "bad_encoding"),
        (play_audio(ramp(4), 11025), "bad_rate"),
        (play_audio(ramp(4), 16000, "audio/x-mulaw"), "bad_rate"),
        (play_audio(ramp(4)).replace("AQACAAMABAA=", "AQACAAMABA=="), "odd_length"),
        (play_audio(ramp(4)).replace("AQACAAMABAA=", "@@@@"), "bad_base64"),
        (json.dumps({"event": "dance"}), "unexpected_event"),
        (json.dumps({"event": "media", "media": {}}), "field_missing"),
        (json.dumps({"event": "playedStream", "name": "x"}), "unexpected_event"),
        (json.dumps({"event": "checkpoint", "streamId": "s1"}), "field_missing"),
        (json.dumps({"event": "checkpoint", "streamId": "s1", "name": 5}), "wrong_type"),
        ("[1, 2]", "wrong_type"),
    ],
)
def test_bad_input_is_refused_by_kind_and_leaves_no_trace(message: str | bytes, kind: str) -> None:
    stream = started(limits=PlatformLimits(max_message_bytes=4096))
    stream.receive(play_audio(ramp(800)))
    stream.receive(checkpoint("pending"))
    stream.tick()
    before = observable(stream)
    [notice] = stream.receive(message)
    assert isinstance(notice, BadInput) and notice.kind == kind, notice
    assert len(notice.detail) < 400
    assert observable(stream) == before
    assert stream.stats.bad_frames == {kind: 1}


def test_one_way_stream_refuses_app_commands_but_not_stop() -> None:
    stream = started(bidirectional=False)
    for message in (play_audio(ramp(160)), checkpoint("c"), CLEAR):
        [notice] = stream.receive(message)
        assert isinstance(notice, BadInput) and notice.kind == "not_bidirectional"
    assert stream.stats.bad_frames == {"not_bidirectional": 3}
    assert stream.receive(STOP) == [StopReceived()]
    assert stream.state is PlatformState.CLOSED


# --- bounds --------------------------------------------------------------------------------


def test_checkpoints_past_the_owed_budget_are_refused_at_once() -> None:
    stream = started(limits=PlatformLimits(max_answer_bytes=1000))
    stream.receive(play_audio(ramp(800)))
    name = "n" * 200  # each answer costs a little more than 250 bytes
    results = [stream.receive(checkpoint(f"{i}{name}"))[0] for i in range(5)]
    assert [type(r) for r in results] == [CheckpointReceived] * 3 + [BadInput] * 2
    refused = results[3]
    assert isinstance(refused, BadInput) and refused.kind == "checkpoint_limit"
    assert stream.checkpoints_pending == 3
    for _ in range(6):
        stream.tick()
    names = [m["name"][0] for m in sent(stream) if m["event"] == "playedStream"]
    assert names == ["0", "1", "2"]
    assert isinstance(stream.receive(checkpoint(name))[0], CheckpointReceived)  # room again
    stream.receive(play_audio(ramp(800)))
    while isinstance(stream.receive(checkpoint(name))[0], CheckpointReceived):
        pass  # fill the budget again
    stream.receive(CLEAR)  # drops the pending ones: their room is free at once
    assert stream.checkpoints_pending == 0
    assert isinstance(stream.receive(checkpoint(name))[0], CheckpointReceived)


def test_a_flood_of_answers_is_paced_behind_media() -> None:
    """50,000 checkpoints behind one second of audio: every one accepted is answered, at
    most ``answers_per_tick`` per frame and always after that frame's media, and the
    ones past the owed budget are refused, not accepted and lost."""
    stream = started(media_format="audio/x-mulaw;rate=8000")
    sent(stream)
    stream.receive(play_audio(ramp(8000)))
    accepted = []
    for i in range(50_000):
        notice = stream.receive(checkpoint(f"checkpoint-{i:05d}"))[0]
        if isinstance(notice, CheckpointReceived):
            accepted.append(notice.name)
    refused = stream.stats.bad_frames.get("checkpoint_limit", 0)
    assert len(accepted) + refused == 50_000 and refused > 0
    assert accepted == [f"checkpoint-{i:05d}" for i in range(len(accepted))]
    answered: list[str] = []
    per_frame = []
    while stream.checkpoints_pending or stream.answers_waiting:
        frame = stream.tick()
        messages = sent(stream)
        assert messages[0]["event"] == "media"  # media first, every frame
        names = [m["name"] for m in messages[1:] if m["event"] == "playedStream"]
        assert names == [n.name for n in frame.notices if isinstance(n, CheckpointAnswered)]
        per_frame.append(len(names))
        answered += names
        assert stream.retained_bytes <= stream.max_retained_bytes
    assert answered == accepted
    assert max(per_frame) == 200  # answers_per_tick
    assert stream.stats.media_dropped == 0


def test_an_app_that_does_not_read_loses_media_but_not_answers() -> None:
    """The driver never takes data_to_send (the socket is full): media past the 1 MiB
    backlog is dropped and counted; answers wait, within the owed budget, and all leave once
    the backlog drains."""
    stream = started(media_format="audio/x-l16;rate=24000", tracks=("inbound", "outbound"))
    stream.receive(play_audio(np.zeros(80_000, dtype=np.int16)))  # 10 s: the backlog fills
    for i in range(100):
        stream.receive(checkpoint(f"c{i}"))
    notices = []
    for _ in range(600):
        notices += stream.tick().notices
        assert stream.retained_bytes <= stream.max_retained_bytes
    stats = stream.stats
    assert stats.media_dropped > 0
    assert any(isinstance(n, Degraded) and n.kind == "send_backlog" for n in notices)
    # The backlog stops at its limit; one answer (paid for in the owed budget) may pass it.
    assert 0 <= stream.send_backlog_bytes - PlatformLimits().max_send_backlog_bytes < 100
    assert stream.answers_waiting >= 99  # owed, not dropped (one may sit in the backlog)
    with pytest.raises(BufferOverflowError, match="not reading"):
        stream.dtmf("1")
    drained = sent(stream)  # the socket drains
    stream.tick()
    drained += sent(stream)
    names = [m["name"] for m in drained if m["event"] == "playedStream"]
    assert names == [f"c{i}" for i in range(100)]


def test_a_clear_past_the_owed_budget_is_refused_and_changes_nothing() -> None:
    limits = PlatformLimits(max_answer_bytes=400, answers_per_tick=1)
    stream = started(limits=limits)
    for i in range(5):
        stream.receive(checkpoint(f"c{i}"))  # idle: each owed at once, one leaves per frame
    stream.receive(play_audio(ramp(1600)))
    before = observable(stream)
    [notice] = stream.receive(CLEAR)
    assert isinstance(notice, BadInput) and notice.kind == "answer_limit"
    assert observable(stream) == before


# --- ending --------------------------------------------------------------------------------


def test_stop_sends_owed_answers_then_stop_and_drops_pending_checkpoints() -> None:
    stream = started(limits=PlatformLimits(answers_per_tick=1))
    stream.receive(checkpoint("a"))
    stream.receive(checkpoint("b"))  # owed: this frame's one answer went to "a"
    stream.receive(play_audio(ramp(800)))
    stream.receive(checkpoint("c"))  # waits for the audio
    notices = stream.stop("hangup")
    assert notices == [CheckpointAnswered("b")]
    messages = sent(stream)
    assert [m["event"] for m in messages] == ["start", "playedStream", "playedStream", "stop"]
    assert messages[-1]["stop"] == {"callId": "c1", "reason": "hangup"}
    stats = stream.stats
    assert (stats.checkpoints_acknowledged, stats.checkpoints_dropped) == (2, 1)
    assert stream.stop() == [] and stream.close() == []  # idempotent
    for call in (lambda: stream.receive(CLEAR), stream.tick, lambda: stream.dtmf("1")):
        with pytest.raises(StreamStateError, match="closed"):
            call()


def test_the_apps_stop_closes_the_stream_after_its_answers() -> None:
    stream = started(limits=PlatformLimits(answers_per_tick=1))
    stream.receive(checkpoint("a"))
    stream.receive(checkpoint("b"))
    assert stream.receive(STOP) == [StopReceived(), CheckpointAnswered("b")]
    assert [m["event"] for m in sent(stream)] == ["start", "playedStream", "playedStream"]


def test_connection_lost_counts_everything_it_could_not_send() -> None:
    stream = started(limits=PlatformLimits(answers_per_tick=1))
    stream.receive(checkpoint("a"))
    stream.receive(checkpoint("b"))
    stream.receive(CLEAR)
    stream.receive(play_audio(ramp(800)))
    stream.receive(checkpoint("c"))
    stream.connection_lost()
    assert stream.data_to_send() == []
    stats = stream.stats
    assert stats.checkpoints_received == 3
    assert (stats.checkpoints_acknowledged, stats.checkpoints_dropped) == (1, 2)
    assert (stats.clears, stats.clears_answered, stats.clears_unanswered) == (1, 0, 1)
    assert stream.retained_bytes == stream.frame_samples * 2


# --- commands and arguments ----------------------------------------------------------------


def test_dtmf_is_stamped_with_the_current_frame() -> None:
    stream = started()
    stream.tick()
    stream.tick()
    stream.dtmf("#")
    message = sent(stream)[-1]
    assert message["dtmf"] == {"track": "inbound", "digit": "#", "timestamp": "1700000000040"}
    assert stream.stats.dtmf_sent == 1
    for digit in ("", "12", "x", "\u0661"):
        with pytest.raises(ArgumentError, match="digit"):
            stream.dtmf(digit)
    with pytest.raises(TypeError, match="digit"):
        stream.dtmf(5)  # type: ignore[arg-type]


def test_commands_in_the_wrong_state() -> None:
    stream = new_stream()
    for call in (lambda: stream.receive(CLEAR), stream.tick, lambda: stream.dtmf("1")):
        with pytest.raises(StreamStateError, match="idle"):
            call()
    stream.start()
    with pytest.raises(StreamStateError, match="streaming"):
        stream.start()
    assert new_stream().stop() == []  # never started: nothing to send


def test_send_audio_checks_its_track_and_room() -> None:
    stream = new_stream(sources={"inbound": AudioQueue(8000, max_seconds=0.01)})
    with pytest.raises(ArgumentError, match="outbound"):
        stream.send_audio(ramp(10), 8000, track="outbound")
    with pytest.raises(BufferOverflowError):
        stream.send_audio(ramp(81), 8000)
    assert stream.send_audio(ramp(80), 8000) == 80
    stream.close()
    with pytest.raises(StreamStateError, match="closed"):
        stream.send_audio(ramp(1), 8000)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"media_format": 8000}, TypeError, "media_format"),
        ({"media_format": "audio/x-opus"}, ValueError, "audio/x-opus"),
        ({"stream_id": None}, TypeError, "stream_id"),
        ({"account_id": 5}, TypeError, "account_id"),
        ({"tracks": "inbound"}, TypeError, "tracks"),
        ({"tracks": ()}, ArgumentError, "tracks"),
        ({"tracks": ("inbound", "inbound")}, ArgumentError, "tracks"),
        ({"tracks": ("both",)}, ArgumentError, "tracks"),
        ({"bidirectional": 1}, TypeError, "bidirectional"),
        ({"extra_headers": {"k": 1}}, TypeError, "extra_headers"),
        ({"sources": {"outbound": AudioQueue(8000)}}, ArgumentError, "sources"),
        ({"sources": {"inbound": object()}}, TypeError, "sources"),
        ({"clock": 5}, TypeError, "clock"),
        ({"limits": {"max_queue_s": 1}}, TypeError, "limits"),
    ],
)
def test_constructor_checks_its_arguments(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        new_stream(**options)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_queue_s": 0}, ArgumentError),
        ({"max_queue_s": "10"}, TypeError),
        ({"answers_per_tick": 0}, ArgumentError),
        ({"max_answer_bytes": 1.5}, TypeError),
    ],
)
def test_limits_check_their_values(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        PlatformLimits(**options)
