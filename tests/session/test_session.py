"""StreamSession, sans-I/O: state machine, inbound events, outbound frames, playback truth.

Platform messages are built with plain json and base64 (``scripted_platform``), app messages
are read back with ``json.loads``: the session is checked against the protocol as written.
"""

from __future__ import annotations

import ast
import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import audiofork as af
from audiofork import (
    CheckpointOutcome,
    CheckpointResolved,
    CloseReason,
    StreamClosed,
    StreamSession,
    StreamState,
)
from audiofork.session import HOLD_AFTER_CLEAR_S, MAX_EARLY_MEDIA
from support.clock import ManualClock
from support.scripted_platform import (
    STREAM_ID,
    cleared_message,
    dtmf_message,
    l16,
    media_message,
    play_ms,
    played_message,
    start_message,
    tone,
)


def streaming(**options: Any) -> tuple[StreamSession, ManualClock]:
    clock = ManualClock(100.0)
    session = StreamSession(clock=clock, **options)
    session.receive(start_message())
    return session, clock


def sent(session: StreamSession) -> list[dict[str, Any]]:
    return [json.loads(text) for text in session.data_to_send()]


def close_by(session: StreamSession, reason: CloseReason) -> list[Any]:
    if reason is CloseReason.STOP_RECEIVED:
        return session.receive(json.dumps({"event": "stop", "streamId": STREAM_ID}))
    if reason is CloseReason.STOPPED:
        return session.stop()
    if reason is CloseReason.CLOSED:
        return session.close()
    return session.connection_lost()


# --- the state machine -----------------------------------------------------------------


def test_session_module_does_no_io() -> None:
    for path in Path(af.session.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        imported = {
            alias.name.partition(".")[0]
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
        }
        assert not imported & {"asyncio", "socket", "websockets", "aiohttp", "starlette", "trio"}


def test_start_moves_to_streaming_and_fixes_ids_and_formats() -> None:
    session = StreamSession()
    assert session.state is StreamState.AWAITING_START
    assert session.stream_id is None and session.playback_format is None
    events = session.receive(start_message(rate=8000))
    assert session.state is StreamState.STREAMING
    assert isinstance(events[0], af.Start) and len(events) == 1
    assert session.stream_id == STREAM_ID
    assert session.playback_format == af.MediaFormat("audio/x-l16", 8000)


@pytest.mark.parametrize("reason", list(CloseReason))
@pytest.mark.parametrize("started", [False, True])
def test_every_close_transition(reason: CloseReason, started: bool) -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 16000))
    if started:
        session.receive(start_message())
    name = session.checkpoint()
    events = close_by(session, reason)
    assert session.state is StreamState.CLOSED
    assert session.close_reason is reason
    resolved = [e for e in events if isinstance(e, CheckpointResolved)]
    assert [(e.name, e.outcome) for e in resolved] == [(name, CheckpointOutcome.CLOSED)]
    assert events[-1] == StreamClosed(reason)
    out = sent(session)
    if reason is CloseReason.STOPPED and started:
        assert out[-1] == {"event": "stop", "streamId": STREAM_ID}
    else:
        assert all(m["event"] != "stop" for m in out)
    # Closed is final: every closing call is a no-op, messages are ignored.
    for again in CloseReason:
        if again is not CloseReason.STOP_RECEIVED:
            assert close_by(session, again) == []
    assert session.receive(start_message()) == []
    assert session.stats["ignored_after_close"] == 1
    assert session.clear() == []


def test_a_second_start_is_refused_and_changes_nothing() -> None:
    session, _ = streaming()
    with pytest.raises(af.ProtocolError, match="start"):
        session.receive(start_message(rate=8000, stream_id="other"))
    assert session.state is StreamState.STREAMING and session.stream_id == STREAM_ID
    assert session.playback_format == af.MediaFormat("audio/x-l16", 16000)


@pytest.mark.parametrize("started", [False, True])
@pytest.mark.parametrize(
    "message",
    [
        "{not json",
        json.dumps({"event": "media", "media": {"payload": 5}}),
        json.dumps({"event": "playAudio", "streamId": "s", "media": {}}),
        json.dumps({"event": "checkpoint", "streamId": "s", "name": "n"}),
    ],
)
def test_a_bad_message_raises_protocol_error_and_leaves_the_state(
    started: bool, message: str
) -> None:
    session = StreamSession()
    if started:
        session.receive(start_message())
    before = session.state, session.stats
    with pytest.raises(af.ProtocolError):
        session.receive(message)
    assert (session.state, session.stats) == before


def test_misuse_raises_stream_state_error_saying_why() -> None:
    with pytest.raises(af.StreamStateError, match=r"before start.*playback format"):
        StreamSession().play(np.zeros(160, np.int16), 8000)
    alaw = StreamSession()
    alaw.receive(start_message(encoding="audio/x-alaw", rate=8000))
    with pytest.raises(af.StreamStateError, match=r"audio/x-alaw.*playback_format"):
        alaw.play(np.zeros(160, np.int16), 8000)
    session, _ = streaming()
    session.connection_lost()
    with pytest.raises(af.StreamStateError, match=r"closed.*connection_lost"):
        session.play(np.zeros(160, np.int16), 8000)
    with pytest.raises(af.StreamStateError, match="closed"):
        session.checkpoint()


def test_bad_options_are_refused_at_construction() -> None:
    with pytest.raises(af.FormatError, match="playback_format"):
        StreamSession(playback_format=af.MediaFormat("audio/x-alaw", 8000))
    with pytest.raises(TypeError, match="playback_format"):
        StreamSession(playback_format="audio/x-l16;rate=8000")  # type: ignore[arg-type]
    with pytest.raises(af.AudioforkError):
        StreamSession(app_rate=12345)
    with pytest.raises(af.ArgumentError, match="frame_ms"):
        StreamSession(frame_ms=0)
    with pytest.raises(af.ArgumentError, match="app_rate"):
        StreamSession(app_rate=0)


# --- inbound ---------------------------------------------------------------------------


def test_media_arrives_at_the_app_rate_with_its_fields() -> None:
    session, _ = streaming(app_rate=8000)
    pcm = tone(20)
    (event,) = session.receive(media_message(l16(pcm), 1))
    assert isinstance(event, af.Media)
    assert event.pcm.dtype == np.int16 and len(event.pcm) == 160
    assert (event.track, event.sequence_number, event.timestamp_ms) == (
        "inbound",
        1,
        1778597597091 + 20,
    )


def test_float32_app_dtype() -> None:
    session, _ = streaming(app_dtype="float32")
    (event,) = session.receive(media_message(l16(tone(20)), 1))
    assert isinstance(event, af.Media) and event.pcm.dtype == np.float32


def test_media_before_start_is_held_then_decoded_in_order() -> None:
    session = StreamSession()
    frames = [tone(20, hz=300 + 100 * i) for i in range(3)]
    for i, frame in enumerate(frames):
        assert session.receive(media_message(l16(frame), i + 1)) == []
    events = session.receive(start_message())
    assert isinstance(events[0], af.Start)
    media = events[1:]
    assert [e.sequence_number for e in media] == [1, 2, 3]  # type: ignore[union-attr]
    # Same samples as a session that got start first.
    reference, _ = streaming()
    for i, frame in enumerate(frames):
        (expected,) = reference.receive(media_message(l16(frame), i + 1))
        np.testing.assert_array_equal(media[i].pcm, expected.pcm)  # type: ignore[union-attr]
    assert session.stats["sequence_duplicates"] == 0 and session.stats["media"] == 3


def test_media_before_start_is_bounded_dropping_the_oldest() -> None:
    session = StreamSession()
    for i in range(MAX_EARLY_MEDIA + 5):
        session.receive(media_message(l16(tone(20)), i + 1))
    events = session.receive(start_message())
    assert len(events) == 1 + MAX_EARLY_MEDIA
    assert events[1].sequence_number == 6  # type: ignore[union-attr]
    assert session.stats["early_media_dropped"] == 5


def test_audio_track_both_keeps_a_resampler_per_track() -> None:
    both = StreamSession(app_rate=8000)
    both.receive(start_message(tracks=("inbound", "outbound")))
    caller, callee = tone(400, hz=300), tone(400, hz=1100)
    got: dict[str, list[np.ndarray]] = {"inbound": [], "outbound": []}
    sequence = 0
    for i in range(0, len(caller), 320):
        for track, pcm in (("inbound", caller), ("outbound", callee)):
            sequence += 1
            (event,) = both.receive(media_message(l16(pcm[i : i + 320]), sequence, track))
            got[event.track].append(event.pcm)  # type: ignore[union-attr]
    for track, pcm in (("inbound", caller), ("outbound", callee)):
        alone = StreamSession(app_rate=8000)
        alone.receive(start_message())
        expected = [
            alone.receive(media_message(l16(pcm[i : i + 320]), i // 320 + 1))[0].pcm  # type: ignore[union-attr]
            for i in range(0, len(pcm), 320)
        ]
        np.testing.assert_array_equal(np.concatenate(got[track]), np.concatenate(expected))


def test_dtmf() -> None:
    session, _ = streaming()
    (event,) = session.receive(dtmf_message("7", 4))
    assert isinstance(event, af.Dtmf) and event.digit == "7" and event.track == "inbound"


def test_sequence_gaps_and_duplicates_are_counted_not_raised() -> None:
    session, _ = streaming()
    for sequence in (1, 2, 5, 5, 3, 6):
        session.receive(media_message(l16(tone(20)), sequence))
    assert session.stats["sequence_gaps"] == 2  # 3 and 4 missing when 5 came
    assert session.stats["sequence_duplicates"] == 2  # the second 5, and 3 after 5
    assert session.stats["media"] == 6


def test_unknown_events_pass_through() -> None:
    session, _ = streaming()
    (event,) = session.receive(json.dumps({"event": "transcription", "x": 1}))
    assert isinstance(event, af.UnknownEvent) and event.event == "transcription"


# --- outbound --------------------------------------------------------------------------


def test_play_any_rate_and_chunking_gives_exact_frames() -> None:
    session, _ = streaming()
    speech = tone(1000, rate=24000)
    for piece in np.array_split(speech, 7):
        session.play(piece, 24000)
    plays = sent(session)
    assert len(plays) == 50 and all(play_ms(m) == 20.0 for m in plays)
    assert plays[0]["streamId"] == STREAM_ID
    assert plays[0]["media"]["contentType"] == "audio/x-l16"
    assert plays[0]["media"]["sampleRate"] == 16000
    assert session.queued_ms == 1000.0
    # A checkpoint adds no audio: the resampler keeps its delay tail for what comes next.
    name = session.checkpoint()
    (marker,) = sent(session)
    assert marker == {"event": "checkpoint", "streamId": STREAM_ID, "name": name}
    assert session.queued_ms == 1000.0
    # Ending the utterance sends that tail, padded to one more whole frame.
    session.flush()
    (tail,) = sent(session)
    assert play_ms(tail) == 20.0 and session.queued_ms == 1020.0


def mulaw_payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [m["media"]["payload"] for m in messages if m["event"] == "playAudio"]


def test_checkpoints_between_whole_frames_add_no_audio_across_rates() -> None:
    speech = tone(1000, rate=16000)
    plain, checkpointed = StreamSession(), StreamSession()
    for session in (plain, checkpointed):
        session.receive(start_message(encoding="audio/x-mulaw", rate=8000))
    names = []
    for i, frame in enumerate(np.split(speech, 50)):
        plain.play(frame, 16000)
        checkpointed.play(frame, 16000)
        if i % 10 == 9:
            names.append(checkpointed.checkpoint())
            assert checkpointed.queued_ms == 20.0 * (i + 1)
    out = sent(checkpointed)
    assert [m["event"] for m in out].count("playAudio") == 50
    assert [m["name"] for m in out if m["event"] == "checkpoint"] == names
    # The same samples as without checkpoints: no padding, no restarted resampler.
    assert mulaw_payloads(out) == mulaw_payloads(sent(plain))
    for name, position in zip(names, (200.0, 400.0, 600.0, 800.0, 1000.0), strict=True):
        (resolved,) = checkpointed.receive(played_message(name))[1:]
        assert resolved == CheckpointResolved(name, CheckpointOutcome.PLAYED, position)
        assert checkpointed.played_ms == position


def test_checkpoints_before_start_add_no_audio_across_rates() -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-mulaw", 8000))
    for frame in np.split(tone(400, rate=16000), 20):
        session.play(frame, 16000)
        session.checkpoint()
    assert session.queued_ms == 400.0
    session.receive(start_message(encoding="audio/x-mulaw", rate=8000))
    out = sent(session)
    assert [m["event"] for m in out] == ["playAudio", "checkpoint"] * 20
    assert session.queued_ms == 400.0


def test_checkpoint_flushes_the_partial_frame_and_names_itself() -> None:
    session, _ = streaming()
    session.play(np.ones(100, np.int16), 16000)
    assert sent(session) == []
    assert session.checkpoint() == "cp-1"
    out = sent(session)
    assert [m["event"] for m in out] == ["playAudio", "checkpoint"]
    samples = np.frombuffer(base64.b64decode(out[0]["media"]["payload"]), "<i2")
    assert len(samples) == 320 and np.all(samples[200:] == 0)
    assert session.checkpoint("greeting") == "greeting"
    assert session.checkpoint() == "cp-2"
    with pytest.raises(af.StreamStateError, match="greeting"):
        session.checkpoint("greeting")
    assert session.pending_checkpoints == ("cp-1", "greeting", "cp-2")


def test_mulaw_start_plays_mulaw_and_explicit_format_wins() -> None:
    session = StreamSession()
    session.receive(start_message(encoding="audio/x-mulaw", rate=8000))
    session.play(tone(20, rate=8000), 8000)
    (message,) = sent(session)
    assert message["media"]["contentType"] == "audio/x-mulaw"
    assert len(base64.b64decode(message["media"]["payload"])) == 160
    explicit = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 24000))
    explicit.receive(start_message(encoding="audio/x-mulaw", rate=8000))
    explicit.play(tone(20, rate=24000), 24000)
    (message,) = sent(explicit)
    assert message["media"]["sampleRate"] == 24000


def test_play_before_start_with_a_known_format_is_sent_after_start() -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 8000))
    greeting = tone(100, rate=8000)
    session.play(greeting, 8000)
    greeting[:] = 0  # the session kept its own copy
    name = session.checkpoint()
    assert sent(session) == []
    session.receive(start_message())
    out = sent(session)
    assert [m["event"] for m in out] == ["playAudio"] * 5 + ["checkpoint"]
    assert out[-1]["name"] == name and out[0]["streamId"] == STREAM_ID
    audio = np.concatenate(
        [np.frombuffer(base64.b64decode(m["media"]["payload"]), "<i2") for m in out[:-1]]
    )
    np.testing.assert_array_equal(audio, tone(100, rate=8000))
    session.receive(played_message(name))
    assert session.played_ms == 100.0


def test_flush_before_start_is_replayed_and_early_played_stream_resolves_nothing() -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 16000))
    session.play(tone(30), 16000)
    session.flush()
    name = session.checkpoint()
    assert session.receive(played_message(name))[1:] == []  # nothing was sent yet
    assert session.stats["unmatched_played"] == 1
    session.receive(start_message())
    out = sent(session)
    assert [m["event"] for m in out] == ["playAudio", "playAudio", "checkpoint"]
    assert session.pending_checkpoints == (name,) and session.queued_ms == 40.0


def test_bytes_pcm_is_little_endian_int16() -> None:
    session, _ = streaming()
    pcm = tone(20)
    session.play(pcm.astype("<i2").tobytes(), 16000)
    (message,) = sent(session)
    assert base64.b64decode(message["media"]["payload"]) == pcm.astype("<i2").tobytes()


# --- playback truth ----------------------------------------------------------------------


def test_played_heard_and_queued() -> None:
    session, clock = streaming()
    session.play(tone(3000), 16000)
    first = session.checkpoint()
    assert (session.queued_ms, session.played_ms, session.heard_ms()) == (3000.0, 0.0, 0.0)
    clock.now += 1.0
    assert session.heard_ms() == 1000.0  # estimated from the clock
    clock.now += 2.5
    assert session.heard_ms() == 3000.0  # never beyond what was sent
    events = session.receive(played_message(first))
    assert events[1] == CheckpointResolved(first, CheckpointOutcome.PLAYED, 3000.0)
    assert session.played_ms == 3000.0


def test_a_played_checkpoint_also_resolves_the_ones_before_it() -> None:
    session, _ = streaming()
    names = []
    for _ in range(3):
        session.play(tone(100), 16000)
        names.append(session.checkpoint())
    events = session.receive(played_message(names[1]))
    assert [(e.name, e.played_ms) for e in events[1:]] == [(names[0], 100.0), (names[1], 200.0)]
    assert session.pending_checkpoints == (names[2],)
    session.receive(played_message("nobody"))
    assert session.stats["unmatched_played"] == 1


def test_after_a_dry_spell_playout_restarts_when_audio_arrives() -> None:
    session, clock = streaming()
    session.play(tone(1000), 16000)
    session.receive(played_message(session.checkpoint()))
    clock.now += 10.0
    session.play(tone(2000), 16000)
    clock.now += 0.5
    assert session.heard_ms() == 1500.0


def test_clear_cuts_the_timeline_at_what_was_heard() -> None:
    session, clock = streaming()
    session.play(tone(1000), 16000)
    first = session.checkpoint()
    session.play(tone(2000), 16000)
    second = session.checkpoint()
    session.play(tone(10), 16000)  # a partial frame, not sent yet
    clock.now += 1.0
    session.receive(played_message(first))
    clock.now += 0.5
    events = session.clear()
    assert events == [CheckpointResolved(second, CheckpointOutcome.CLEARED, 1500.0)]
    assert sent(session)[-1] == {"event": "clearAudio", "streamId": STREAM_ID}
    assert session.heard_ms() == session.queued_ms == 1500.0
    assert session.stats["cleared_ms"] == 1510.0
    clock.now += 5.0
    assert session.heard_ms() == 1500.0  # frozen until new audio
    session.play(tone(1000), 16000)
    clock.now += 0.25
    assert session.heard_ms() == 1750.0


def test_hold_after_clear_holds_until_cleared_audio() -> None:
    session, clock = streaming(hold_after_clear=True)
    session.play(tone(1000), 16000)
    session.clear()
    sent(session)
    session.play(tone(100), 16000)
    name = session.checkpoint()
    assert sent(session) == [] and session.hold_deadline == clock.now + HOLD_AFTER_CLEAR_S
    assert session.queued_ms == 100.0
    session.receive(cleared_message(3))
    out = sent(session)
    assert [m["event"] for m in out] == ["playAudio"] * 5 + ["checkpoint"]
    assert out[-1]["name"] == name and session.hold_deadline is None


def test_hold_after_clear_releases_after_a_second_without_cleared_audio() -> None:
    session, clock = streaming(hold_after_clear=True)
    session.clear()
    sent(session)
    session.play(tone(100), 16000)
    clock.now += HOLD_AFTER_CLEAR_S - 0.01
    assert sent(session) == []
    clock.now += 0.01
    assert len(sent(session)) == 5


def test_has_data_to_send_says_whether_the_outbox_may_yield() -> None:
    session, clock = streaming(hold_after_clear=True)
    assert not session.has_data_to_send  # nothing played yet
    session.receive(media_message(l16(tone(20)), 1))
    assert not session.has_data_to_send  # inbound media leaves nothing to send
    session.play(tone(20), 16000)
    assert session.has_data_to_send
    sent(session)
    assert not session.has_data_to_send
    session.clear()
    sent(session)
    session.play(tone(20), 16000)
    assert session.has_data_to_send  # held: its release may come due
    clock.now += HOLD_AFTER_CLEAR_S
    assert len(sent(session)) == 1 and not session.has_data_to_send


def test_a_late_played_stream_cannot_confirm_a_checkpoint_still_held() -> None:
    session, _ = streaming(hold_after_clear=True)
    session.play(tone(100), 16000)
    session.checkpoint("reply")
    session.clear()  # the platform may still answer the first "reply" late
    session.play(tone(100), 16000)
    session.checkpoint("reply")  # held, not sent
    assert session.receive(played_message("reply"))[1:] == []
    assert session.played_ms == 0.0 and session.pending_checkpoints == ("reply",)
    session.receive(cleared_message(2))  # released: now it can be confirmed
    events = session.receive(played_message("reply"))
    assert [(e.name, e.outcome) for e in events[1:]] == [("reply", CheckpointOutcome.PLAYED)]


def test_a_second_clear_drops_held_audio() -> None:
    session, _ = streaming(hold_after_clear=True)
    session.clear()
    session.play(tone(100), 16000)
    name = session.checkpoint()
    events = session.clear()
    assert [(e.name, e.outcome) for e in events] == [(name, CheckpointOutcome.CLEARED)]
    session.receive(cleared_message(2))
    assert [m["event"] for m in sent(session)] == ["clearAudio", "clearAudio"]
    assert session.queued_ms == 0.0


def test_connection_lost_drops_unsent_messages() -> None:
    session, _ = streaming()
    session.play(tone(100), 16000)
    session.connection_lost()
    assert session.data_to_send() == []


# --- review fixes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pcm", "rate", "error"),
    [
        (np.zeros(160, np.int16), 7, af.FormatError),
        ([1, 2, 3], 8000, TypeError),
        (b"\x00\x01\x02", 8000, af.CodecError),
    ],
)
def test_bad_play_before_start_is_refused_at_once_not_at_start(
    pcm: Any, rate: int, error: type[Exception]
) -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 8000))
    with pytest.raises(error):
        session.play(pcm, rate)
    events = session.receive(start_message())  # the start is not lost to the bad call
    assert [type(e) for e in events] == [af.Start] and session.state is StreamState.STREAMING
    assert sent(session) == []


def test_audio_played_before_start_counts_as_queued() -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 8000))
    session.play(tone(110), 16000)
    assert session.queued_ms == 110.0
    name = session.checkpoint()
    assert session.queued_ms == 120.0  # flushed to whole frames
    session.receive(start_message())
    assert session.queued_ms == 120.0 and len(sent(session)) == 7
    assert session.receive(played_message(name))[1].played_ms == 120.0


def test_clear_before_start_counts_the_dropped_audio() -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-l16", 8000))
    session.play(tone(100), 16000)
    session.clear()
    assert session.queued_ms == 0.0 and session.stats["cleared_ms"] == 100.0
    session.receive(start_message())
    assert sent(session) == []


def test_wrong_option_types_raise_type_error_and_bad_names_value_errors() -> None:
    with pytest.raises(TypeError, match="clock"):
        StreamSession(clock=5.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hold_after_clear"):
        StreamSession(hold_after_clear="yes")  # type: ignore[arg-type]
    session, _ = streaming()
    with pytest.raises(af.ArgumentError, match="name"):  # the app's mistake, not the peer's
        session.checkpoint("")
    with pytest.raises(TypeError, match="name"):
        session.checkpoint(5)  # type: ignore[arg-type]
    assert session.pending_checkpoints == ()


def test_cleared_ms_counts_a_partial_frame_exactly() -> None:
    session, _ = streaming()
    session.play(np.zeros(100, np.int16), 44100)  # 2.27 ms: less than a frame, not sent
    queued = session.queued_ms
    session.clear()
    assert session.stats["cleared_ms"] == pytest.approx(queued, abs=1e-6)
    assert session.queued_ms == 0.0


def test_bad_constructor_and_play_arguments_name_the_field() -> None:
    with pytest.raises(TypeError, match="app_rate"):
        StreamSession(app_rate="16000")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="frame_ms"):
        StreamSession(frame_ms=20.0)  # type: ignore[arg-type]
    with pytest.raises(af.AudioforkError, match=r"app_dtype.*int32"):
        StreamSession(app_dtype="int32")
    session, _ = streaming()
    with pytest.raises(TypeError, match="sample_rate"):
        session.play(tone(20), "16000")  # type: ignore[arg-type]
    session.play(tone(20), np.int64(16000))  # type: ignore[arg-type]
    assert len(session.data_to_send()) == 1


def test_hold_waits_for_the_cleared_audio_of_the_last_clear() -> None:
    session, _ = streaming(hold_after_clear=True)
    session.play(tone(100), 16000)
    session.clear()
    session.clear()  # two flushes under way
    session.play(tone(100), 16000)
    assert [m["event"] for m in sent(session)] == ["playAudio"] * 5 + ["clearAudio"] * 2
    session.receive(cleared_message(1))  # the answer to the first clear only
    assert sent(session) == [] and session.hold_deadline is not None
    session.receive(cleared_message(2))
    assert len(sent(session)) == 5 and session.hold_deadline is None


def test_frames_held_then_cleared_are_not_counted_as_sent() -> None:
    session, _ = streaming(hold_after_clear=True)
    session.play(tone(40), 16000)
    session.clear()
    session.play(tone(100), 16000)  # held
    session.clear()  # and dropped unsent
    assert len([m for m in sent(session) if m["event"] == "playAudio"]) == 2
    assert session.stats["frames"] == 2


def test_playable_ms_leaves_out_the_partial_frame() -> None:
    session, _ = streaming()
    session.play(tone(30), 16000)
    assert (session.queued_ms, session.playable_ms) == (30.0, 20.0)
    session.flush()
    assert session.queued_ms == session.playable_ms == 40.0


@pytest.mark.parametrize("reason", list(CloseReason))
def test_heard_ms_stops_when_the_stream_ends(reason: CloseReason) -> None:
    session, clock = streaming()
    session.play(tone(3000), 16000)
    clock.now += 1.0
    close_by(session, reason)
    clock.now += 5.0  # the caller hears nothing after the call ended
    assert session.heard_ms() == 1000.0
