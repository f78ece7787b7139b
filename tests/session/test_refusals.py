"""A refused message or call leaves no trace: validate first, then commit.

Each case builds two identical sessions, gives one of them an input it must refuse, and
checks that the two still agree on everything observable, and go on agreeing, output for
output, through a script of later calls. Also: the app's own mistakes are never
``ProtocolError``, which is kept for what the platform sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import audiofork as af
from audiofork import StreamSession, StreamState
from support.clock import ManualClock
from support.scripted_platform import (
    STREAM_ID,
    cleared_message,
    l16,
    media_message,
    played_message,
    start_message,
    tone,
)

L16_16K = af.MediaFormat("audio/x-l16", 16000)


def before_start_known_format(clock: ManualClock) -> StreamSession:
    session = StreamSession(playback_format=L16_16K, hold_after_clear=True, clock=clock)
    session.receive(media_message(l16(tone(20)), 1))
    session.play(tone(30), 16000)  # one whole frame and a partial one
    session.checkpoint("early")
    session.play(tone(10), 16000)
    return session


def before_start_unknown_format(clock: ManualClock) -> StreamSession:
    session = StreamSession(clock=clock)
    session.receive(media_message(l16(tone(20)), 1))
    return session


def streaming(clock: ManualClock) -> StreamSession:
    session = StreamSession(hold_after_clear=True, clock=clock)
    session.receive(start_message())  # L16 at 16 kHz
    session.receive(media_message(l16(tone(20)), 1))
    session.play(tone(30), 16000)
    session.checkpoint("early")
    session.play(tone(10), 16000)
    return session


def holding_past_the_deadline(clock: ManualClock) -> StreamSession:
    """Audio held after a clear whose release is due, though no call released it yet."""
    session = streaming(clock)
    session.clear()
    session.play(tone(40), 16000)
    session.checkpoint("held")
    clock.now += 5.0
    return session


def closed(clock: ManualClock) -> StreamSession:
    session = streaming(clock)
    session.close()
    return session


SETUPS: dict[str, Callable[[ManualClock], StreamSession]] = {
    "before_start_known_format": before_start_known_format,
    "before_start_unknown_format": before_start_unknown_format,
    "streaming": streaming,
    "holding_past_the_deadline": holding_past_the_deadline,
}

App = Callable[[StreamSession], Any]

# The app's calls that each setup above must refuse.
REFUSED_CALLS: dict[str, App] = {
    "checkpoint_empty_name": lambda s: s.checkpoint(""),
    "checkpoint_lone_surrogate": lambda s: s.checkpoint("cp-\ud800"),
    "checkpoint_name_not_str": lambda s: s.checkpoint(5),
    "play_unsupported_rate": lambda s: s.play(tone(20), 7),
    "play_rate_zero": lambda s: s.play(tone(20), 0),
    "play_rate_not_int": lambda s: s.play(tone(20), "16000"),
    "play_odd_bytes": lambda s: s.play(b"\x00\x01\x02", 16000),
    "play_a_list": lambda s: s.play([1, 2, 3], 16000),
    "play_int32": lambda s: s.play(np.zeros(160, np.int32), 16000),
}

# Platform messages that each setup above must refuse.
REFUSED_MESSAGES: dict[str, str] = {
    "not_json": "{not json",
    "not_an_object": "[]",
    "media_without_payload": json.dumps({"event": "media", "media": {"payload": 5}}),
    "play_audio": json.dumps({"event": "playAudio", "streamId": "s", "media": {}}),
    "checkpoint": json.dumps({"event": "checkpoint", "streamId": "s", "name": "n"}),
    "clear_audio": json.dumps({"event": "clearAudio", "streamId": "s"}),
    "too_large": json.dumps({"event": "dtmf", "pad": "x" * af.wire.DEFAULT_MAX_MESSAGE_BYTES}),
}

# Refused only once streaming (the setups that start the stream).
REFUSED_WHILE_STREAMING: dict[str, App] = {
    "second_start_other_format": lambda s: s.receive(
        start_message(encoding="audio/x-mulaw", rate=8000, stream_id="other")
    ),
    "second_start_same_format": lambda s: s.receive(start_message()),
    "media_odd_l16_payload": lambda s: s.receive(media_message("AAEC", 2)),
    "checkpoint_name_pending": lambda s: s.checkpoint(s.pending_checkpoints[-1]),
}

REFUSED_WHEN_CLOSED: dict[str, App] = {
    "play": lambda s: s.play(tone(20), 16000),
    "flush": lambda s: s.flush(),
    "checkpoint": lambda s: s.checkpoint(),
    "checkpoint_named": lambda s: s.checkpoint("late"),
}


def observe(session: StreamSession) -> tuple[Any, ...]:
    """Everything the public API shows, without side effects."""
    return (
        session.state,
        session.close_reason,
        session.start,
        session.stream_id,
        session.playback_format,
        session.queued_ms,
        session.playable_ms,
        session.played_ms,
        session.heard_ms(),
        session.pending_checkpoints,
        session.hold_deadline,
        session.has_data_to_send,
        session.stats,
    )


def comparable(result: Any) -> Any:
    """A call's outcome in a form == can compare (arrays by value, errors by type/text)."""
    if isinstance(result, list):
        return [comparable(item) for item in result]
    if isinstance(result, af.Media):
        return ("media", result.track, result.sequence_number, result.pcm.tobytes())
    if isinstance(result, np.ndarray):
        return result.tobytes()
    return result


def attempt(call: App, session: StreamSession) -> Any:
    try:
        return comparable(call(session))
    except (af.AudioforkError, TypeError) as error:
        return (type(error), str(error))


# Later calls, the same on both sessions; each outcome must match.
FOLLOW_UP: list[App] = [
    lambda s: s.data_to_send(),
    lambda s: s.receive(start_message()) if s.state is StreamState.AWAITING_START else [],
    lambda s: s.data_to_send(),
    lambda s: s.receive(media_message(l16(tone(20, hz=300)), 3)),
    lambda s: s.receive(media_message(l16(tone(20, hz=500)), 4)),
    lambda s: s.play(tone(50, rate=24000), 24000),
    lambda s: s.checkpoint(),
    lambda s: s.checkpoint("after"),
    lambda s: s.flush(),
    lambda s: s.data_to_send(),
    lambda s: s.receive(played_message("early")),
    lambda s: s.receive(cleared_message(9)),
    lambda s: s.data_to_send(),
    lambda s: s.receive(played_message("after")),
    lambda s: s.clear(),
    lambda s: s.play(tone(20), 16000),
    lambda s: s.receive(cleared_message(10)),
    lambda s: s.data_to_send(),
    lambda s: s.stop(),
    lambda s: s.data_to_send(),
]


def assert_no_trace(setup: Callable[[ManualClock], StreamSession], refused: App) -> Exception:
    clock, twin_clock = ManualClock(100.0), ManualClock(100.0)
    session, twin = setup(clock), setup(twin_clock)
    before = observe(session)
    with pytest.raises((af.AudioforkError, TypeError)) as caught:
        refused(session)
    assert observe(session) == before == observe(twin)
    for step, call in enumerate(FOLLOW_UP):
        assert attempt(call, session) == attempt(call, twin), f"follow-up step {step}"
        assert observe(session) == observe(twin), f"after follow-up step {step}"
        clock.now = twin_clock.now = clock.now + 0.01
    return caught.value


def cases(setups: list[str], calls: dict[str, Any]) -> list[Any]:
    return [pytest.param(setup, name, id=f"{setup}-{name}") for setup in setups for name in calls]


@pytest.mark.parametrize(("setup", "call"), cases(list(SETUPS), REFUSED_CALLS))
def test_a_refused_call_leaves_no_trace(setup: str, call: str) -> None:
    error = assert_no_trace(SETUPS[setup], REFUSED_CALLS[call])
    assert not isinstance(error, af.ProtocolError), "the app's own mistake"


@pytest.mark.parametrize(("setup", "message"), cases(list(SETUPS), REFUSED_MESSAGES))
def test_a_refused_message_leaves_no_trace(setup: str, message: str) -> None:
    error = assert_no_trace(SETUPS[setup], lambda s: s.receive(REFUSED_MESSAGES[message]))
    assert isinstance(error, af.ProtocolError)


STREAMING_SETUPS = ["streaming", "holding_past_the_deadline"]


@pytest.mark.parametrize(("setup", "call"), cases(STREAMING_SETUPS, REFUSED_WHILE_STREAMING))
def test_a_refused_input_while_streaming_leaves_no_trace(setup: str, call: str) -> None:
    assert_no_trace(SETUPS[setup], REFUSED_WHILE_STREAMING[call])


@pytest.mark.parametrize("call", list(REFUSED_WHEN_CLOSED))
def test_a_refused_call_on_a_closed_stream_leaves_no_trace(call: str) -> None:
    error = assert_no_trace(closed, REFUSED_WHEN_CLOSED[call])
    assert isinstance(error, af.StreamStateError)


def test_a_refused_second_start_keeps_decoding_the_first_format() -> None:
    session, reference = StreamSession(), StreamSession()
    for s in (session, reference):
        s.receive(start_message(encoding="audio/x-mulaw", rate=8000))
    with pytest.raises(af.ProtocolError, match="start"):
        session.receive(start_message(encoding="audio/x-l16", rate=16000, stream_id="other"))
    assert session.stream_id == STREAM_ID
    ulaw_frame = media_message(base64.b64encode(bytes(range(160))).decode(), 1)  # 20 ms
    (got,) = session.receive(ulaw_frame)
    (expected,) = reference.receive(ulaw_frame)
    assert len(got.pcm) == len(expected.pcm) == 320  # type: ignore[union-attr]
    np.testing.assert_array_equal(got.pcm, expected.pcm)  # type: ignore[union-attr]


def test_an_unencodable_checkpoint_name_before_start_is_refused_at_once() -> None:
    session = StreamSession(playback_format=L16_16K)
    session.receive(media_message(l16(tone(20)), 1))
    session.play(tone(40), 16000)
    with pytest.raises(af.ArgumentError, match="name"):
        session.checkpoint("cp-\ud800")
    session.play(tone(40), 16000)
    events = session.receive(start_message())  # the start is not lost to the refused name
    assert [type(e) for e in events] == [af.Start, af.Media]
    assert session.state is StreamState.STREAMING
    out = [json.loads(text) for text in session.data_to_send()]
    assert [m["event"] for m in out] == ["playAudio"] * 4


@pytest.mark.parametrize(("name", "kind"), [("", "bad_value"), ("cp-\ud800", "bad_utf8")])
@pytest.mark.parametrize("started", [False, True])
def test_a_bad_checkpoint_name_from_the_app_is_an_argument_error(
    name: str, kind: str, started: bool
) -> None:
    session = StreamSession(playback_format=L16_16K)
    if started:
        session.receive(start_message())
    with pytest.raises(af.ArgumentError, match="name") as caught:
        session.checkpoint(name)
    assert not isinstance(caught.value, af.ProtocolError)
    assert caught.value.kind == kind
    assert session.pending_checkpoints == ()
