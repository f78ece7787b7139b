"""PlatformStream in the Twilio and Plivo dialects, driven by hand (no sockets): its
messages read back with plain ``json`` against the documented shapes, the app's Twilio
messages accepted and another dialect's refused, a clear answered by echoing each pending
``mark``; and a StreamSession talking to it, whose cleared checkpoints stay cleared."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

from audiofork import (
    CheckpointOutcome,
    CheckpointResolved,
    Dialect,
    FormatError,
    StreamSession,
    UtteranceResolved,
)
from audiofork.codec import ulaw_encode
from audiofork.platform import (
    AudioCleared,
    AudioQueued,
    BadInput,
    CheckpointAnswered,
    CheckpointReceived,
    PlatformStream,
)
from support.scripted_platform import tone

SID = "MZ00000000000000000000000000000001"


def twilio_stream(**options: Any) -> PlatformStream:
    fields: dict[str, Any] = {
        "stream_id": SID,
        "call_id": "CA1",
        "account_id": "AC1",
        "bidirectional": True,
        "extra_headers": {"FirstName": "Jane"},
        "dialect": "twilio",
    }
    fields.update(options)
    return PlatformStream("audio/x-mulaw;rate=8000", **fields)


def sent(stream: PlatformStream) -> list[dict[str, Any]]:
    return [json.loads(text) for text in stream.data_to_send()]


def app_media(ms: int) -> str:
    payload = base64.b64encode(ulaw_encode(tone(ms, rate=8000))).decode()
    return json.dumps({"event": "media", "streamSid": SID, "media": {"payload": payload}})


def app_mark(name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": SID, "mark": {"name": name}})


CLEAR = json.dumps({"event": "clear", "streamSid": SID})


def test_twilio_opens_with_connected_then_start_and_string_counters() -> None:
    stream = twilio_stream()
    stream.start()
    stream.tick()
    stream.press("1")
    stream.tick()
    connected, start, media, dtmf, media2 = sent(stream)  # the first key goes at once
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert start == {
        "event": "start",
        "sequenceNumber": "1",
        "streamSid": SID,
        "start": {
            "accountSid": "AC1",
            "streamSid": SID,
            "callSid": "CA1",
            "tracks": ["inbound"],
            "customParameters": {"FirstName": "Jane"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }
    assert media["sequenceNumber"] == "2" and media["streamSid"] == SID
    assert {k: media["media"][k] for k in ("track", "chunk", "timestamp")} == {
        "track": "inbound",
        "chunk": "1",
        "timestamp": "0",
    }
    assert len(base64.b64decode(media["media"]["payload"])) == 160
    assert media2["media"]["timestamp"] == "20" and media2["sequenceNumber"] == "4"
    assert dtmf == {
        "event": "dtmf",
        "sequenceNumber": "3",
        "streamSid": SID,
        "dtmf": {"track": "inbound_track", "digit": "1"},
    }
    stream.stop("hangup")
    assert sent(stream)[-1] == {
        "event": "stop",
        "sequenceNumber": "5",
        "streamSid": SID,
        "stop": {"accountSid": "AC1", "callSid": "CA1"},
    }


def test_twilio_app_media_plays_and_a_mark_is_answered_once_played() -> None:
    stream = twilio_stream()
    stream.start()
    sent(stream)
    (queued,) = stream.receive(app_media(40))
    assert isinstance(queued, AudioQueued) and queued.duration_ms == 40
    assert stream.receive(app_mark("greeting")) == [CheckpointReceived("greeting")]
    notices = [n for _ in range(4) for n in stream.tick().notices]
    assert CheckpointAnswered("greeting") in notices
    marks = [m for m in sent(stream) if m["event"] == "mark"]
    assert marks == [
        {
            "event": "mark",
            "sequenceNumber": marks[0]["sequenceNumber"],
            "streamSid": SID,
            "mark": {"name": "greeting"},
        }
    ]


def test_a_twilio_clear_echoes_every_pending_mark_and_nothing_else() -> None:
    stream = twilio_stream()
    stream.start()
    stream.receive(app_media(1000))
    stream.receive(app_mark("a"))
    stream.receive(app_media(1000))
    stream.receive(app_mark("b"))
    stream.tick()
    sent(stream)
    notices = stream.receive(CLEAR)
    assert notices[0] == AudioCleared(pytest.approx(1980.0), 0)
    assert notices[1:] == [CheckpointAnswered("a"), CheckpointAnswered("b")]
    assert [(m["event"], m["mark"]["name"]) for m in sent(stream)] == [("mark", "a"), ("mark", "b")]
    assert stream.stats.checkpoints_dropped == 0 and stream.stats.clears_answered == 0


def test_another_dialects_message_is_refused_naming_both() -> None:
    stream = twilio_stream()
    stream.start()
    (bad,) = stream.receive(json.dumps({"event": "checkpoint", "streamId": SID, "name": "x"}))
    assert isinstance(bad, BadInput) and bad.kind == "wrong_dialect"
    assert "a Vobiz/Plivo message, but the stream speaks Twilio" in bad.detail
    vobiz = PlatformStream(
        "audio/x-mulaw;rate=8000", stream_id="s", call_id="c", bidirectional=True
    )
    vobiz.start()
    (bad,) = vobiz.receive(CLEAR)
    assert isinstance(bad, BadInput) and bad.kind == "wrong_dialect"


def test_twilio_streams_are_mulaw_8k_and_plivo_counts_from_one() -> None:
    with pytest.raises(FormatError, match="Twilio streams are audio/x-mulaw at 8000 Hz"):
        PlatformStream("audio/x-l16;rate=16000", stream_id="s", call_id="c", dialect="twilio")
    plivo = PlatformStream(
        "audio/x-l16;rate=8000",
        stream_id="s",
        call_id="c",
        extra_headers={"userId": "12345"},
        dialect=Dialect.PLIVO,
    )
    plivo.start(timestamp_ms=0)
    plivo.tick()
    start, media = sent(plivo)
    assert (start["sequenceNumber"], media["sequenceNumber"]) == (1, 2)
    assert "streamId" in media and "streamSid" not in media


def test_a_session_and_a_twilio_platform_agree_on_what_was_cleared() -> None:
    """The app side detects Twilio, plays two utterances with a checkpoint after each, and
    clears while the first plays: both resolve ``cleared``, and the marks the platform
    echoes resolve nothing; a third checkpoint after the clear resolves ``played``."""
    platform = twilio_stream()
    now = [0.0]
    session = StreamSession(app_rate=8000, clock=lambda: now[0])

    def exchange() -> list[Any]:
        events: list[Any] = []
        for text in session.data_to_send():
            platform.receive(text)
        for text in platform.data_to_send():
            events += session.receive(text)
        return events

    def run_frames(count: int) -> list[Any]:
        events: list[Any] = []
        for _ in range(count):
            platform.tick()
            now[0] += 0.02
            events += exchange()
        return events

    platform.start()
    exchange()
    assert session.dialect is Dialect.TWILIO
    session.play(tone(500, rate=8000), 8000)
    session.checkpoint("one")
    session.play(tone(500, rate=8000), 8000)
    session.checkpoint("two")
    run_frames(10)
    resolved = session.clear()
    assert {e.name: e.outcome for e in resolved} == {
        "one": CheckpointOutcome.CLEARED,
        "two": CheckpointOutcome.CLEARED,
    }
    events = exchange()
    assert not [e for e in events if isinstance(e, CheckpointResolved)]
    assert session.stats["unmatched_played"] == 0
    session.play(tone(100, rate=8000), 8000)
    session.checkpoint("one")  # a reused name
    events = run_frames(8)
    played = [e for e in events if isinstance(e, CheckpointResolved)]
    assert [(e.name, e.outcome) for e in played] == [("one", CheckpointOutcome.PLAYED)]
    assert np.isclose(session.played_ms, session.heard_ms(), atol=40)


def utterance_run(dialect: str) -> list[tuple[str, CheckpointOutcome, float, float]]:
    """Two utterances against a PlatformStream of ``dialect`` on a frame clock: the first
    plays out, the second is cleared 200 ms in. Their resolutions, as the session saw them."""
    fields: dict[str, Any] = {"stream_id": SID, "call_id": "CA1", "bidirectional": True}
    platform = PlatformStream("audio/x-mulaw;rate=8000", dialect=dialect, **fields)
    now = [0.0]
    session = StreamSession(app_rate=8000, clock=lambda: now[0])
    resolved: list[Any] = []

    def run_frames(count: int) -> None:
        for _ in range(count):
            for text in session.data_to_send():
                platform.receive(text)
            platform.tick()
            now[0] += 0.02
            for text in platform.data_to_send():
                resolved.extend(session.receive(text))

    platform.start(timestamp_ms=0)
    run_frames(1)
    for uid in ("first", "second"):
        session.begin_utterance(uid)
        session.play(tone(400, rate=8000), 8000)
        session.end_utterance(uid)
    run_frames(30)  # the first (400 ms) plays out, the second is 200 ms in
    resolved.extend(session.clear())
    run_frames(5)
    return [
        (e.id, e.outcome, round(e.heard_ms), round(e.duration_ms))
        for e in resolved
        if isinstance(e, UtteranceResolved)
    ]


def test_utterances_resolve_the_same_in_every_dialect() -> None:
    vobiz = utterance_run("vobiz")
    assert [(uid, outcome) for uid, outcome, _, _ in vobiz] == [
        ("first", CheckpointOutcome.PLAYED),
        ("second", CheckpointOutcome.CLEARED),
    ]
    assert vobiz[0][2:] == (400, 400) and 100 < vobiz[1][2] < 300
    assert utterance_run("twilio") == vobiz
    assert utterance_run("plivo") == vobiz
