"""Seeded impairment: the same seed gives the same decisions; loss, jitter with order kept,
and stalls with catch-up."""

from __future__ import annotations

import pytest

from audiofork.errors import ArgumentError
from audiofork.simulate.impairment import Impairer, Impairment, parse_burst


def decide(
    line: Impairment, seed: int, call: int = 1, frames: int = 2000
) -> list[tuple[bool, float]]:
    impairer = Impairer(line, seed, call)
    return [(d.lost, d.deliver_ms) for d in (impairer.media(20.0 * (k + 1)) for k in range(frames))]


def test_same_seed_same_decisions_and_another_seed_or_call_others() -> None:
    line = Impairment(loss=0.05, jitter_ms=40, burst=(300, 2))
    assert decide(line, 42) == decide(line, 42)
    assert decide(line, 42) != decide(line, 43)
    assert decide(line, 42, call=1) != decide(line, 42, call=2)


def test_a_clean_line_delivers_every_frame_on_time() -> None:
    assert decide(Impairment(), 1, frames=10) == [(False, 20.0 * (k + 1)) for k in range(10)]


def test_loss_drops_about_the_asked_share() -> None:
    lost = sum(lost for lost, _ in decide(Impairment(loss=0.05), 3, frames=20000))
    assert 800 < lost < 1200


def test_jitter_delays_within_its_bound_and_keeps_order() -> None:
    decisions = decide(Impairment(jitter_ms=40), 5)
    delays = [at - 20.0 * (k + 1) for k, (_, at) in enumerate(decisions)]
    assert min(delays) >= 0 and max(delays) <= 40 + 20  # a frame may wait for the one ahead
    assert max(delays) > 20  # it does delay
    times = [at for _, at in decisions]
    assert times == sorted(times)


def test_a_burst_holds_frames_then_releases_them_together() -> None:
    decisions = decide(Impairment(burst=(400, 1)), 9, frames=3000)
    times = [at for _, at in decisions]
    assert times == sorted(times)
    held = [k for k, at in enumerate(times) if at > 20.0 * (k + 1)]
    assert held  # some stalls happened
    k = held[0]
    release = times[k]
    together = [t for t in times[k:] if t == release]
    assert len(together) >= 2  # frames held by a stall leave at its end, together
    assert release - 20.0 * (k + 1) <= 400


def test_non_media_messages_keep_their_place() -> None:
    impairer = Impairer(Impairment(jitter_ms=100), 1, 1)
    media = impairer.media(20.0)
    assert impairer.other(20.0) >= media.deliver_ms


@pytest.mark.parametrize("text", ["", "400", "x:5", "400:0", "-1:5", "400:nan"])
def test_bad_burst_text_is_refused(text: str) -> None:
    with pytest.raises(ArgumentError, match="burst"):
        parse_burst(text)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ArgumentError, match="loss"):
        Impairment(loss=1.0)
    with pytest.raises(ArgumentError, match="jitter_ms"):
        Impairment(jitter_ms=-1)
    assert parse_burst("400:5") == (400.0, 5.0)
