"""StreamSession in each dialect, sans-I/O: the dialect is detected or given, a message of
the other one is refused naming both, the app's messages are Twilio's on a Twilio stream
(read back with plain ``json``), a Twilio mark is a checkpoint, the marks Twilio echoes
after a clear stay ``cleared``, and the playback truth moves the same in every dialect."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import audiofork as af
from audiofork import CheckpointOutcome, CheckpointResolved, Dialect, StreamSession
from support import twilio_platform as twilio
from support.clock import ManualClock
from support.scripted_platform import STREAM_ID, played_message, start_message, tone

SID = twilio.STREAM_SID


def twilio_session(**options: Any) -> tuple[StreamSession, ManualClock]:
    clock = ManualClock(100.0)
    session = StreamSession(clock=clock, **options)
    session.receive(twilio.connected())
    session.receive(twilio.start())
    return session, clock


def sent(session: StreamSession) -> list[dict[str, Any]]:
    return [json.loads(text) for text in session.data_to_send()]


def outcomes(events: list[Any]) -> dict[str, CheckpointOutcome]:
    return {e.name: e.outcome for e in events if isinstance(e, CheckpointResolved)}


def test_twilio_is_detected_from_connected_and_media_decodes() -> None:
    session, _ = twilio_session()
    assert session.dialect is Dialect.TWILIO
    assert session.stream_id == SID and session.start is not None
    assert session.start.extra_headers == {"FirstName": "Jane"}
    speech = tone(40, rate=8000)
    frames = twilio.ulaw_frames(speech)
    events = [session.receive(twilio.media(p, 2 + i, 1 + i)) for i, p in enumerate(frames)]
    pcms = [e.pcm for (e,) in events if isinstance(e, af.Media) and e.pcm is not None]
    assert [len(p) for p in pcms] == [320, 320]  # 20 ms at the app's 16 kHz
    assert session.stats["sequence_gaps"] == 0
    (dtmf,) = session.receive(twilio.dtmf("7", 4))
    assert dtmf == af.Dtmf(digit="7", stream_id=SID, track="inbound", sequence_number=4)


def test_the_first_telling_message_decides_and_the_other_family_is_refused() -> None:
    session, _ = twilio_session()
    with pytest.raises(af.ProtocolError) as info:
        session.receive(played_message("cp-1"))
    assert info.value.kind == "wrong_dialect"
    assert str(info.value) == (
        'event "playedStream": a Vobiz/Plivo message, but the stream speaks Twilio'
    )
    vobiz = StreamSession()
    vobiz.receive(start_message())
    assert vobiz.dialect is Dialect.VOBIZ
    with pytest.raises(af.ProtocolError, match='event "mark": a Twilio message, but the stream'):
        vobiz.receive(twilio.mark("cp-1", 3))
    # Given explicitly, it holds from the first message on, and a refusal changes nothing.
    explicit = StreamSession(dialect="twilio")
    with pytest.raises(af.ProtocolError, match=r"start\.streamId: a Vobiz/Plivo message"):
        explicit.receive(start_message())
    assert (explicit.start, explicit.dialect) == (None, Dialect.TWILIO)
    plivo = StreamSession(dialect=Dialect.PLIVO)
    plivo.receive(start_message())
    assert plivo.dialect is Dialect.PLIVO


def test_a_refused_first_message_teaches_no_dialect() -> None:
    session = StreamSession()
    with pytest.raises(af.ProtocolError, match="sent by the app"):
        session.receive(json.dumps({"event": "clear", "streamSid": SID}))
    assert session.dialect is None
    session.receive(start_message())
    assert session.dialect is Dialect.VOBIZ


def test_bad_dialect_options_are_refused() -> None:
    with pytest.raises(af.FormatError, match="dialect: 'telnyx' is not a dialect"):
        StreamSession(dialect="telnyx")
    with pytest.raises(TypeError, match="dialect must be"):
        StreamSession(dialect=3)  # type: ignore[arg-type]
    with pytest.raises(af.FormatError, match="Twilio's media carries audio/x-mulaw"):
        StreamSession(dialect="twilio", playback_format=af.MediaFormat("audio/x-l16", 16000))


def test_the_app_sends_twilio_media_marks_and_clear() -> None:
    session, _ = twilio_session()
    session.play(tone(60), 16000)
    name = session.checkpoint()
    messages = sent(session)
    assert [m["event"] for m in messages] == ["media"] * 3 + ["mark"]
    for message in messages[:3]:
        assert message == {"event": "media", "streamSid": SID, "media": message["media"]}
        assert set(message["media"]) == {"payload"}
    assert len(twilio.payload_bytes(messages[:3])) == 3 * 160  # μ-law at 8 kHz
    assert messages[3] == {"event": "mark", "streamSid": SID, "mark": {"name": name}}
    session.clear()
    assert sent(session) == [{"event": "clear", "streamSid": SID}]
    assert session.stop() and sent(session) == []  # Twilio has no app stop


def test_a_twilio_mark_is_a_checkpoint_played_when_echoed() -> None:
    session, clock = twilio_session()
    session.play(tone(200), 16000)
    first = session.checkpoint("greeting")
    session.play(tone(100), 16000)
    second = session.checkpoint()
    sent(session)
    clock.now += 0.2
    events = session.receive(twilio.mark(first, 3))
    assert outcomes(events) == {first: CheckpointOutcome.PLAYED}
    assert session.played_ms == 200.0 and session.pending_checkpoints == (second,)
    clock.now += 0.1
    assert outcomes(session.receive(twilio.mark(second, 4))) == {second: CheckpointOutcome.PLAYED}
    assert session.stats["unmatched_played"] == 0


def test_marks_echoed_after_a_clear_stay_cleared() -> None:
    session, clock = twilio_session(hold_after_clear=True)
    session.play(tone(1000), 16000)
    a = session.checkpoint("a")
    session.play(tone(1000), 16000)
    b = session.checkpoint("b")
    sent(session)
    clock.now += 0.3
    resolved = session.clear()
    assert outcomes(resolved) == {a: CheckpointOutcome.CLEARED, b: CheckpointOutcome.CLEARED}
    assert session.heard_ms() == pytest.approx(300.0)
    # Nothing is held after a Twilio clear: new audio goes out at once, after the clear.
    session.play(tone(100), 16000)
    again = session.checkpoint("a")  # reuses a cleared name
    assert [m["event"] for m in sent(session)] == ["clear"] + ["media"] * 5 + ["mark"]
    # Twilio echoes the cleared marks at once: neither resolves anything, the new "a" waits.
    for sequence, name in enumerate((a, b), start=10):
        assert session.receive(twilio.mark(name, sequence)) == [
            af.PlayedStream(name=name, stream_id=SID, sequence_number=sequence)
        ]
    assert session.pending_checkpoints == (again,)
    assert session.stats["unmatched_played"] == 0
    clock.now += 0.1
    assert outcomes(session.receive(twilio.mark(again, 12))) == {again: CheckpointOutcome.PLAYED}
    assert session.played_ms == pytest.approx(400.0)


def playback_trace(dialect: Dialect) -> list[tuple[float, float, float]]:
    """queued, played and heard ms along one scripted call in ``dialect``."""
    clock = ManualClock(100.0)
    session = StreamSession(clock=clock, dialect=dialect, playback_format=None)
    if dialect is Dialect.TWILIO:
        session.receive(twilio.connected())
        session.receive(twilio.start())
    else:
        session.receive(start_message(encoding="audio/x-mulaw", rate=8000))
    trace = []
    sequence = 5
    for step in range(4):
        session.play(tone(240, rate=8000), 8000)
        name = session.checkpoint()
        clock.now += 0.15
        trace.append((session.queued_ms, session.played_ms, session.heard_ms()))
        if step % 2:
            sequence += 1
            if dialect is Dialect.TWILIO:
                session.receive(twilio.mark(name, sequence))
            else:
                session.receive(json.dumps({"event": "playedStream", "name": name}))
        trace.append((session.queued_ms, session.played_ms, session.heard_ms()))
    session.play(tone(240, rate=8000), 8000)
    session.clear()
    trace.append((session.queued_ms, session.played_ms, session.heard_ms()))
    return trace


def test_playback_truth_moves_the_same_in_every_dialect() -> None:
    vobiz = playback_trace(Dialect.VOBIZ)
    assert playback_trace(Dialect.PLIVO) == vobiz
    assert playback_trace(Dialect.TWILIO) == vobiz
    assert vobiz[-1][0] == vobiz[-1][2] < 5 * 240  # the clear cut the timeline


def test_audio_played_before_a_twilio_start_goes_out_as_twilio_media() -> None:
    session = StreamSession(playback_format=af.MediaFormat("audio/x-mulaw", 8000))
    session.play(tone(40, rate=8000), 8000)
    session.checkpoint("early")
    session.receive(twilio.connected())
    session.receive(twilio.start())
    messages = sent(session)
    assert [m["event"] for m in messages] == ["media", "media", "mark"]
    assert all(m["streamSid"] == SID for m in messages)
    np.testing.assert_array_equal(
        np.frombuffer(twilio.payload_bytes(messages[:2]), np.uint8),
        np.frombuffer(af.ulaw_encode(tone(40, rate=8000)), np.uint8),
    )


def test_a_plivo_stream_writes_what_vobiz_writes() -> None:
    def run(dialect: Dialect) -> list[str]:
        session = StreamSession(dialect=dialect)
        session.receive(start_message())
        session.play(tone(40), 16000)
        session.checkpoint()
        session.clear()
        session.stop()
        return session.data_to_send()

    assert run(Dialect.PLIVO) == run(Dialect.VOBIZ)
    assert json.loads(run(Dialect.PLIVO)[-1]) == {"event": "stop", "streamId": STREAM_ID}
