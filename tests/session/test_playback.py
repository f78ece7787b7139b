"""The playback timeline on its own: sent, confirmed-played and estimated-heard positions,
and the pending checkpoints, driven by a hand-set clock."""

from __future__ import annotations

import pytest

from audiofork.session._playback import Playback
from support.clock import ManualClock


def timeline() -> tuple[Playback, ManualClock]:
    clock = ManualClock(50.0)
    return Playback(clock), clock


def test_heard_runs_with_the_clock_from_the_first_send_capped_at_what_was_sent() -> None:
    playback, clock = timeline()
    assert playback.heard_ms() == 0.0
    playback.send(0.0)  # nothing sent: playout does not start
    clock.now += 1.0
    assert playback.heard_ms() == 0.0
    playback.send(1000.0)
    clock.now += 0.4
    assert playback.heard_ms() == pytest.approx(400.0)
    playback.send(1000.0)  # queued behind: playout does not restart
    clock.now += 5.0
    assert playback.heard_ms() == playback.sent_ms == 2000.0


def test_after_running_dry_playout_restarts_when_audio_arrives() -> None:
    playback, clock = timeline()
    playback.send(100.0)
    clock.now += 3.0
    playback.send(100.0)
    clock.now += 0.05
    assert playback.heard_ms() == pytest.approx(150.0)


def test_a_confirmation_resolves_in_order_up_to_its_checkpoint_and_anchors_there() -> None:
    playback, clock = timeline()
    for name in ("a", "b", "c"):
        playback.send(100.0)
        playback.mark(name, playback.sent_ms, sent=True)
    assert playback.pending() == ("a", "b", "c") and len(playback) == 3 and "b" in playback
    clock.now += 0.05  # the estimate says 50 ms; the platform says b (200 ms) played
    assert playback.confirm("b") == [("a", 100.0), ("b", 200.0)]
    assert playback.played_ms == 200.0 and playback.heard_ms() == 200.0
    assert playback.pending() == ("c",) and "b" not in playback
    assert playback.confirm("b") == [] and playback.confirm("nobody") == []
    clock.now += 0.05
    assert playback.heard_ms() == pytest.approx(250.0)


def test_played_never_moves_back() -> None:
    playback, _ = timeline()
    playback.send(300.0)
    playback.mark("late", 300.0, sent=True)
    playback.confirm("late")
    playback.cut()
    playback.mark("again", 100.0, sent=True)
    playback.confirm("again")
    assert playback.played_ms == 300.0


def test_a_checkpoint_not_yet_sent_cannot_be_confirmed_until_all_are_sent() -> None:
    playback, _ = timeline()
    playback.send(100.0)
    playback.mark("sent", 100.0, sent=True)
    playback.mark("held", 100.0, sent=False)
    playback.mark("held too", 100.0, sent=False)
    assert playback.confirm("held") == [] and playback.confirm("held too") == []
    assert playback.pending() == ("sent", "held", "held too")
    assert playback.confirm("sent") == [("sent", 100.0)]
    playback.all_sent()
    assert playback.confirm("held too") == [("held", 100.0), ("held too", 100.0)]


def test_a_name_can_be_reused_once_resolved() -> None:
    playback, _ = timeline()
    playback.send(100.0)
    playback.mark("reply", 100.0, sent=True)
    playback.confirm("reply")
    playback.send(100.0)
    playback.mark("reply", 200.0, sent=True)
    assert playback.confirm("reply") == [("reply", 200.0)]


def test_dropping_pending_caps_positions_at_the_heard_estimate() -> None:
    playback, clock = timeline()
    playback.send(1000.0)
    playback.mark("early", 100.0, sent=True)
    playback.mark("end", 1000.0, sent=True)
    clock.now += 0.5
    assert playback.drop_pending() == [("early", 100.0), ("end", 500.0)]
    assert playback.pending() == () and "end" not in playback
    assert playback.confirm("end") == []


def test_a_cut_ends_the_timeline_at_the_heard_estimate() -> None:
    playback, clock = timeline()
    playback.send(1000.0)
    clock.now += 0.25
    assert playback.cut() == 750.0
    assert playback.sent_ms == playback.heard_ms() == 250.0
    clock.now += 5.0
    assert playback.heard_ms() == 250.0  # nothing more to play
    playback.send(100.0)
    clock.now += 0.05
    assert playback.heard_ms() == pytest.approx(300.0)


def test_stop_freezes_the_estimate() -> None:
    playback, clock = timeline()
    playback.send(1000.0)
    clock.now += 0.375
    playback.stop()
    clock.now += 5.0
    assert playback.heard_ms() == 375.0
