"""Utterances in StreamSession, sans-I/O: ids in, resolutions out, heard figures from the
platform-confirmed timeline, the flush padding never counted as heard."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from audiofork import (
    ArgumentError,
    CheckpointOutcome,
    CheckpointResolved,
    MediaFormat,
    StreamSession,
    StreamStateError,
    UtteranceResolved,
    UtteranceState,
)
from audiofork.session import check_words, heard_text
from support.clock import ManualClock
from support.scripted_platform import STREAM_ID, played_message, start_message, tone


def streaming(**options: Any) -> tuple[StreamSession, ManualClock]:
    clock = ManualClock(50.0)
    session = StreamSession(clock=clock, **options)
    session.receive(start_message())
    return session, clock


def say(session: StreamSession, uid: str, ms: int, rate: int = 16000) -> str:
    """Play ``ms`` of tone as the utterance ``uid``; the name of its checkpoint."""
    session.begin_utterance(uid)
    session.play(tone(ms, rate), rate)
    name = session.end_utterance(uid)
    assert name is not None
    return name


def checkpoint_names(session: StreamSession) -> list[str]:
    return [
        m["name"] for m in map(json.loads, session.data_to_send()) if m["event"] == "checkpoint"
    ]


def utterances(events: list[Any]) -> list[UtteranceResolved]:
    return [e for e in events if type(e) is UtteranceResolved]


def test_played_reports_the_audio_not_the_padding() -> None:
    session, clock = streaming()
    name = say(session, "reply", 130)  # 6.5 frames: the flush pads to 140 ms
    assert checkpoint_names(session) == [name]
    assert session.queued_ms == 140.0  # the timeline holds the padding
    assert session.utterance_duration_ms("reply") == 130.0
    clock.now += 10.0  # long after the audio ran out
    assert session.heard_ms() == 140.0
    assert session.utterance_heard_ms("reply") == 130.0
    events = session.receive(played_message(name))
    assert [type(e) for e in events][-2:] == [CheckpointResolved, UtteranceResolved]
    assert utterances(events) == [
        UtteranceResolved("reply", CheckpointOutcome.PLAYED, 130.0, 130.0)
    ]
    assert session.pending_utterances == ()


def test_live_figures_follow_the_heard_estimate_across_utterances() -> None:
    session, clock = streaming()
    first = say(session, "one", 1000)
    say(session, "two", 500)
    session.queue_utterance("three")
    assert session.pending_utterances == ("one", "two", "three")
    assert session.current_utterance is None
    assert session.utterance_state("one") is UtteranceState.QUEUED
    clock.now += 0.3
    assert session.current_utterance == "one"
    assert session.utterance_state("one") is UtteranceState.PLAYING
    assert session.utterance_heard_ms("one") == pytest.approx(300.0)
    assert session.utterance_state("two") is UtteranceState.QUEUED
    assert session.utterance_heard_ms("two") == 0.0
    clock.now += 0.9
    assert session.current_utterance == "two"
    assert session.utterance_heard_ms("one") == 1000.0
    assert session.utterance_heard_ms("two") == pytest.approx(200.0)
    assert session.utterance_state("three") is UtteranceState.QUEUED
    # The platform confirms the first one late: its resolution says all of it was heard.
    resolved = utterances(session.receive(played_message(first)))
    assert resolved == [UtteranceResolved("one", CheckpointOutcome.PLAYED, 1000.0, 1000.0)]


def test_a_playedstream_resolves_every_utterance_sent_before_it() -> None:
    session, clock = streaming()
    say(session, "a", 200)
    second = say(session, "b", 300)
    clock.now += 1.0
    resolved = utterances(session.receive(played_message(second)))
    assert [(u.id, u.outcome, u.heard_ms) for u in resolved] == [
        ("a", CheckpointOutcome.PLAYED, 200.0),
        ("b", CheckpointOutcome.PLAYED, 300.0),
    ]


def test_clear_resolves_every_pending_utterance_with_what_was_heard() -> None:
    session, clock = streaming()
    say(session, "one", 1000)
    session.begin_utterance("two")  # open: being written when the caller barges in
    session.play(tone(600), 16000)
    session.queue_utterance("three")
    clock.now += 1.25
    assert session.current_utterance == "two"
    resolved = utterances(session.clear())
    assert resolved == [
        UtteranceResolved("one", CheckpointOutcome.CLEARED, 1000.0, 1000.0),
        UtteranceResolved("two", CheckpointOutcome.CLEARED, pytest.approx(250.0), 600.0),
        UtteranceResolved("three", CheckpointOutcome.CLEARED, 0.0, 0.0),
    ]
    assert session.pending_utterances == ()
    assert session.current_utterance is None
    # The writer of "two" may still end it: nothing happens, nothing is sent for it.
    session.data_to_send()
    assert session.end_utterance("two") is None
    assert session.data_to_send() == []
    # A new utterance starts where the clear cut the timeline.
    session.begin_utterance("four")
    assert session.utterance_heard_ms("four") == 0.0


@pytest.mark.parametrize("ending", ["stop", "close", "connection_lost", "platform_stop"])
def test_the_end_of_the_stream_resolves_them_closed(ending: str) -> None:
    session, clock = streaming()
    say(session, "one", 400)
    session.begin_utterance("two")
    session.play(tone(400), 16000)
    clock.now += 0.5
    if ending == "platform_stop":
        events = session.receive(json.dumps({"event": "stop", "streamId": STREAM_ID}))
    else:
        events = getattr(session, ending)()
    assert utterances(events) == [
        UtteranceResolved("one", CheckpointOutcome.CLOSED, 400.0, 400.0),
        UtteranceResolved("two", CheckpointOutcome.CLOSED, pytest.approx(100.0), 400.0),
    ]
    with pytest.raises(StreamStateError, match="closed"):
        session.begin_utterance("three")
    with pytest.raises(StreamStateError, match="closed"):
        session.queue_utterance("three")


def test_resampled_audio_keeps_its_duration() -> None:
    session, clock = streaming()  # L16 at 16 kHz on the wire
    name = say(session, "r", 250, rate=24000)
    assert session.utterance_duration_ms("r") == pytest.approx(250.0, abs=0.1)
    clock.now += 1.0
    (resolved,) = utterances(session.receive(played_message(name)))
    assert resolved.heard_ms == resolved.duration_ms == pytest.approx(250.0, abs=0.1)


def test_before_start_with_a_playback_format() -> None:
    clock = ManualClock(50.0)
    session = StreamSession(clock=clock, playback_format=MediaFormat("audio/x-l16", 16000))
    name = say(session, "greeting", 90)
    assert session.pending_utterances == ("greeting",)
    session.receive(start_message())
    assert name in checkpoint_names(session)
    clock.now += 1.0
    assert utterances(session.receive(played_message(name))) == [
        UtteranceResolved("greeting", CheckpointOutcome.PLAYED, 90.0, 90.0)
    ]


def test_before_start_without_a_format_is_refused() -> None:
    session = StreamSession()
    with pytest.raises(StreamStateError, match="before start"):
        session.begin_utterance("u")
    assert session.pending_utterances == ()


def test_refusals_change_nothing() -> None:
    session, _ = streaming()
    session.begin_utterance("one")
    with pytest.raises(StreamStateError, match="still open"):
        session.begin_utterance("two")
    with pytest.raises(StreamStateError, match="begun already"):
        session.begin_utterance("one")
    with pytest.raises(StreamStateError, match="already pending"):
        session.queue_utterance("one")
    with pytest.raises(TypeError, match="utterance id must be a str"):
        session.begin_utterance(7)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="must not be empty"):
        session.queue_utterance("")
    with pytest.raises(ArgumentError, match="no pending utterance 'nope'"):
        session.utterance_heard_ms("nope")
    session.queue_utterance("later")
    with pytest.raises(StreamStateError, match="'later' has not begun"):
        session.end_utterance("later")
    assert session.pending_utterances == ("one", "later")
    session.play(np.zeros(320, np.int16), 16000)
    assert session.end_utterance("one") is not None
    assert session.utterance_duration_ms("one") == 20.0
    with pytest.raises(StreamStateError, match="begun already"):
        session.begin_utterance("one")
    assert session.pending_utterances == ("one", "later")
    with pytest.raises(StreamStateError, match="'one' has ended already"):
        session.end_utterance("one")  # ended already, its checkpoint pending


def test_an_utterance_fully_heard_is_no_longer_current() -> None:
    """Heard to its end, only the platform's confirmation outstanding: nothing is being
    heard, so a barge-in then cuts nothing."""
    session, clock = streaming()
    say(session, "reply", 130)  # padded to 140 ms on the timeline
    clock.now += 0.1
    assert session.current_utterance == "reply"
    clock.now += 0.035  # in the padding
    assert session.current_utterance is None
    assert session.utterance_state("reply") is UtteranceState.PLAYING  # not confirmed yet
    clock.now += 10.0
    assert session.current_utterance is None


def test_flush_and_checkpoint_are_refused_while_an_utterance_is_open() -> None:
    """Their padding would be counted as the utterance's audio."""
    session, _ = streaming()
    session.begin_utterance("reply")
    session.play(tone(30), 16000)
    before = session.queued_ms
    with pytest.raises(StreamStateError, match="utterance 'reply' is open"):
        session.flush()
    with pytest.raises(StreamStateError, match="utterance 'reply' is open"):
        session.checkpoint()
    assert session.queued_ms == before and session.pending_checkpoints == ()
    name = session.end_utterance("reply")
    assert session.pending_checkpoints == (name,)
    session.flush()
    assert session.checkpoint("after") == "after"


def test_a_queued_utterance_can_be_discarded() -> None:
    session, _ = streaming()
    session.queue_utterance("later")
    session.queue_utterance("cancelled")
    assert session.discard_utterance("cancelled") is None
    assert session.pending_utterances == ("later",)
    assert session.discard_utterance("cancelled") is None  # gone already: nothing to do
    session.begin_utterance("later")
    with pytest.raises(StreamStateError, match="'later' has begun: end it"):
        session.discard_utterance("later")
    with pytest.raises(TypeError, match="utterance id must be a str"):
        session.discard_utterance(3)  # type: ignore[arg-type]
    assert session.pending_utterances == ("later",)


def test_an_utterance_cannot_be_queued_on_a_stream_that_cannot_play() -> None:
    session = StreamSession()
    session.receive(start_message(encoding="audio/x-alaw", rate=8000))
    with pytest.raises(StreamStateError, match=r"cannot queue_utterance: .*alaw"):
        session.queue_utterance("u")
    assert session.pending_utterances == ()


def test_utterance_checkpoints_do_not_take_the_apps_names() -> None:
    session, _ = streaming()
    name = say(session, "u", 20)
    assert session.checkpoint() != name
    assert session.checkpoint("mine") == "mine"


# --- word timings -----------------------------------------------------------------------

WORDS = (("Hello,", 0, 400), ("how", 450, 600), ("are", 620, 800), ("you?", 820, 1100))


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        (0.0, ""),
        (399.0, ""),
        (400.0, "Hello,"),
        (700.0, "Hello,  how"),
        (1100.0, "Hello,  how are you?"),
    ],
)
def test_heard_text_is_the_prefix_of_words_that_ended(heard: float, expected: str) -> None:
    assert heard_text("Hello,  how are you?", check_words(WORDS), heard) == expected


def test_heard_text_without_text_or_with_words_not_in_it_joins_them() -> None:
    words = check_words(WORDS)
    assert heard_text(None, words, 700.0) == "Hello, how"
    assert heard_text("Bonjour", words, 700.0) == "Hello, how"


@pytest.mark.parametrize(
    ("words", "error", "match"),
    [
        ("a b", TypeError, "words must be a sequence"),
        ([("a", 0)], TypeError, r"words\[0\] must be \(word, start_ms, end_ms\)"),
        ([("a", 0, 1), (b"b", 1, 2)], TypeError, r"words\[1\]: the word must be a str"),
        ([("a", "0", 1)], TypeError, r"words\[0\]: start_ms must be a number"),
        ([("a", 0, True)], TypeError, r"words\[0\]: end_ms must be a number"),
        ([("a", 0, float("nan"))], ArgumentError, r"end_ms must be finite and >= 0"),
        ([("a", -1, 1)], ArgumentError, r"start_ms must be finite and >= 0"),
        ([("a", 5, 1)], ArgumentError, r"words\[0\]: end_ms 1 is before start_ms 5"),
    ],
)
def test_bad_word_timings_are_refused(words: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        check_words(words)
