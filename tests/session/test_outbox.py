"""The outbox on its own: messages in order, audio held after a clear until every clear is
answered or the deadline passes, and the timeline it feeds."""

from __future__ import annotations

from audiofork.session._outbox import HOLD_AFTER_CLEAR_S, Outbox
from audiofork.session._playback import Playback
from support.clock import ManualClock


def take(box: Outbox) -> list[str]:
    """Drain the outbox as the session does."""
    box.release_if_due()
    out, box.messages = box.messages, []
    return out


def outbox() -> tuple[Outbox, Playback, ManualClock]:
    clock = ManualClock(10.0)
    playback = Playback(clock)
    return Outbox(playback, 20, clock), playback, clock


def test_frames_and_checkpoints_leave_in_order_and_frames_advance_the_timeline() -> None:
    box, playback, _ = outbox()
    box.add_frames(["f1", "f2"])
    assert box.add_checkpoint("cp") is True
    box.add_frames([])
    box.add_stop("stop")
    assert box.frames == 2 and playback.sent_ms == 40.0
    assert take(box) == ["f1", "f2", "cp", "stop"]
    assert take(box) == [] and box.messages == []


def test_after_a_clear_audio_is_held_until_the_clear_is_answered() -> None:
    box, playback, clock = outbox()
    box.add_clear("clear", HOLD_AFTER_CLEAR_S)
    assert box.hold_until == clock.now + HOLD_AFTER_CLEAR_S
    box.add_frames(["f1", "f2", "f3"])
    assert box.add_checkpoint("cp") is False
    playback.mark("cp", 60.0, sent=False)
    assert take(box) == ["clear"]
    assert (box.held_ms, box.frames, playback.sent_ms) == (60.0, 0, 0.0)
    assert playback.confirm("cp") == []  # held: it cannot have played
    box.clear_answered()
    assert box.hold_until is None and box.held_ms == 0.0
    assert take(box) == ["f1", "f2", "f3", "cp"]
    assert (box.frames, playback.sent_ms) == (3, 60.0)
    assert playback.confirm("cp") == [("cp", 60.0)]


def test_the_hold_waits_for_an_answer_to_every_clear() -> None:
    box, _, _ = outbox()
    box.add_clear("clear", HOLD_AFTER_CLEAR_S)
    box.add_clear("clear", HOLD_AFTER_CLEAR_S)
    box.add_frames(["f"])
    box.clear_answered()
    assert box.hold_until is not None and box.clears_unanswered == 1
    box.clear_answered()
    assert box.hold_until is None and take(box) == ["clear", "clear", "f"]
    box.clear_answered()  # an answer nobody waits for changes nothing
    assert box.clears_unanswered == 0


def test_the_hold_ends_at_the_deadline_and_a_late_answer_does_not_count() -> None:
    box, _, clock = outbox()
    box.add_clear("clear", HOLD_AFTER_CLEAR_S)
    box.add_frames(["f"])
    clock.now += HOLD_AFTER_CLEAR_S - 0.001
    box.release_if_due()
    assert box.hold_until is not None
    clock.now += 0.001
    assert take(box) == ["clear", "f"] and box.hold_until is None
    assert box.clears_unanswered == 0
    box.add_clear("again", HOLD_AFTER_CLEAR_S)
    box.clear_answered()
    assert box.hold_until is None


def test_frames_added_past_the_deadline_release_the_held_ones_first() -> None:
    box, _, clock = outbox()
    box.add_clear("clear", HOLD_AFTER_CLEAR_S)
    box.add_frames(["held"])
    clock.now += HOLD_AFTER_CLEAR_S
    box.add_frames(["new"])
    assert box.messages == ["clear", "held", "new"] and box.frames == 2


def test_without_a_hold_a_clear_only_counts_the_answer_it_waits_for() -> None:
    box, _, _ = outbox()
    box.add_clear("clear", None)
    assert box.hold_until is None and box.clears_unanswered == 1
    box.add_frames(["f"])
    assert take(box) == ["clear", "f"]


def test_dropping_held_audio_reports_it_and_counts_no_frames() -> None:
    box, playback, _ = outbox()
    box.add_clear("clear", HOLD_AFTER_CLEAR_S)
    box.add_frames(["f1", "f2"])
    assert box.drop_held() == 40.0 and box.held_ms == 0.0
    box.clear_answered()
    assert take(box) == ["clear"] and box.frames == 0 and playback.sent_ms == 0.0


def test_the_end_drops_held_audio_and_a_lost_connection_the_unsent_messages() -> None:
    box, _, _ = outbox()
    box.add_frames(["sent"])
    box.add_clear("clear", HOLD_AFTER_CLEAR_S)
    box.add_frames(["held"])
    box.end()
    assert box.hold_until is None and box.held_ms == 0.0
    assert box.messages == ["sent", "clear"]
    box.drop()
    assert take(box) == []
