"""Simulated calls against real apps on loopback: each step kind and the bundled scenarios
passing and failing, the app's misbehaviour reported, impairment reproducible."""

from __future__ import annotations

from typing import Any

import pytest

from audiofork.simulate import (
    CallOptions,
    Impairment,
    Report,
    bundled_scenario,
    default_audio,
    default_scenario,
    parse_scenario,
    run_call,
    simulate,
)
from audiofork.simulate.report import Gate
from support.simulated_apps import scripted_app, silent_listener

#: Call time per real time: scenario timeouts are call time, so a fast clock leaves a loaded
#: machine less slack; the bundled scenarios' timeouts leave a second or more at 2.
SPEED = 2.0


def scenario(*steps: dict[str, Any]) -> Any:
    return parse_scenario({"name": "test", "steps": list(steps)})


async def run(url: str, scn: Any, gates: list[Gate] | None = None, **options: Any) -> Report:
    call = CallOptions(url=url, scenario=scn, speed=options.pop("speed", SPEED), **options)
    return await simulate(call, audio=default_audio(), gates=gates or [])


def statuses(report: Report) -> list[str]:
    return [step.status for step in report.calls[0].steps]


async def test_greeting_passes_against_an_app_that_greets_and_answers() -> None:
    async with scripted_app(greet_ms=1200, reply_ms=800) as (url, _):
        report = await run(url, bundled_scenario("greeting"), [Gate("first_audio", 5000)])
    assert statuses(report) == ["passed"] * 6, report.text()
    assert report.passed, report.text()
    figures = report.figures()
    assert figures["first_audio_ms"].n == 1
    assert figures["response_ms"].n == 1  # one question, one answer
    assert figures["checkpoint_turnaround_ms"].n == 2  # greeting and reply both played out


async def test_greeting_times_out_at_its_first_step_against_a_silent_app() -> None:
    greeting = bundled_scenario("greeting")
    short = parse_scenario(
        {"name": "g", "steps": [{"wait_for": "audio", "timeout_s": 1}, {"hangup": True}]}
    )
    async with scripted_app() as (url, _):
        report = await run(url, short, [Gate("first_audio", 1000)])
    assert statuses(report) == ["timed_out", "skipped"]
    assert not report.passed
    assert any("timed out" in f and "step 1, wait_for" in f for f in report.failures), (
        report.failures
    )
    gate = report.gates[0]
    assert not gate.passed and gate.value_ms is None and "no audible app audio" in gate.detail
    assert len(greeting.steps) == 6


async def test_barge_in_passes_when_the_app_clears_and_fails_when_it_talks_on() -> None:
    gates = [Gate("barge_in", 1500)]  # the clearing app falls silent in about 100 ms
    async with scripted_app(reply_ms=3000, clears=True) as (url, _):
        good = await run(url, bundled_scenario("barge_in"), gates)
    assert statuses(good) == ["passed"] * 6, good.text()
    assert good.passed, good.text()
    figures = good.figures()
    assert figures["barge_in_reaction_ms"].n >= 1
    assert figures["barge_in_silence_ms"].n >= 1
    async with scripted_app(reply_ms=3000, clears=False) as (url, _):
        deaf = await run(url, bundled_scenario("barge_in"), gates)
    steps = deaf.calls[0].steps
    assert steps[3].kind == "expect" and steps[3].status == "failed", deaf.text()
    assert not deaf.passed
    assert not deaf.gates[0].passed
    heard = deaf.figures()["barge_in_heard_ms"].max
    assert heard is not None and heard > 1500  # the caller heard most of the 3 s reply


async def test_dtmf_menu_passes_against_an_app_that_answers_keys() -> None:
    async with scripted_app(greet_ms=800, key_reply_ms=600) as (url, app):
        report = await run(url, bundled_scenario("dtmf_menu"))
    assert statuses(report) == ["passed"] * 8, report.text()
    assert app.seen.keys == ["1", "#"]
    assert [e.data["digit"] for e in report.calls[0].log.of("dtmf")] == ["1", "#"]


async def test_dtmf_expect_fails_against_an_app_that_ignores_keys() -> None:
    scn = scenario({"dtmf": "5"}, {"expect": "audio", "within_ms": 500}, {"hangup": True})
    async with scripted_app() as (url, app):
        report = await run(url, scn)
    assert statuses(report) == ["passed", "failed", "passed"]
    assert app.seen.keys == ["5"]
    assert any("expected audio within 500 ms" in f for f in report.failures)


async def test_say_silence_and_the_two_endings_reach_the_app() -> None:
    async with scripted_app() as (url, app):
        hung = await run(url, scenario({"say": "speech:0-0.5"}, {"silence": 0.3}, {"hangup": True}))
        stopped = await run(url, scenario({"silence": 0.2}, {"stop_stream": True}))
    assert hung.passed and stopped.passed
    assert app.seen.stops == ["hangup", "api_stop"]
    call = hung.calls[0]
    said = call.steps[0]
    assert said.ended_ms is not None and said.started_ms is not None
    assert said.ended_ms - said.started_ms >= 500  # the clip took its time to say
    assert (
        call.steps[1].ended_ms is not None
        and call.steps[1].ended_ms - call.steps[1].started_ms >= 300
    )  # type: ignore[operator]


async def test_checkpoint_and_played_stream_targets_with_names() -> None:
    scn = scenario(
        {"wait_for": "checkpoint", "name": "greeting", "timeout_s": 10},
        {"wait_for": "playedStream", "name": "greeting", "timeout_s": 10},
        {"expect": "clearAudio", "within_ms": 200},
        {"hangup": True},
    )
    async with scripted_app(greet_ms=400) as (url, _):
        report = await run(url, scn)
    assert statuses(report) == ["passed", "passed", "failed", "passed"], report.text()


@pytest.mark.parametrize(
    ("misbehave", "kind"),
    [("bad_json", "bad_json"), ("odd_l16", "odd_length"), ("bad_rate", "bad_rate")],
)
async def test_a_bad_message_fails_the_call_naming_its_kind(misbehave: str, kind: str) -> None:
    async with scripted_app(misbehave=misbehave) as (url, _):
        report = await run(url, scenario({"silence": 0.3}, {"hangup": True}))
    assert not report.passed
    # each kind fails the call once; every refusal is counted
    assert [f for f in report.failures if f"bad message ({kind})" in f] == report.failures
    assert len(report.failures) == 1
    assert report.counts()["bad_messages"] == {kind: 2}


async def test_an_app_that_closes_with_audio_unplayed_leaves_its_checkpoint_unanswered() -> None:
    async with scripted_app(misbehave="close_pending") as (url, _):
        report = await run(url, scenario({"silence": 2}, {"hangup": True}))
    failures = " | ".join(report.failures)
    assert "the app closed the socket" in failures
    assert "1 checkpoint(s) never acknowledged" in failures
    assert report.calls[0].ended == "app_closed"


async def test_no_answer_to_the_upgrade_and_no_listener_are_reported() -> None:
    async with silent_listener() as url:
        silent = await run(url, default_scenario(default_audio(), 0.5), connect_timeout_s=0.5)
    assert silent.calls[0].ended == "no_upgrade"
    assert "no answer to the WebSocket upgrade" in silent.failures[0]
    async with silent_listener() as url:
        pass  # the port is closed again
    refused = await run(url, default_scenario(default_audio(), 0.5))
    assert refused.calls[0].ended == "unreachable"
    assert "cannot connect" in refused.failures[0]
    assert all(s.status == "skipped" for s in refused.calls[0].steps)


async def test_the_call_time_limit_ends_a_scenario_that_waits_too_long() -> None:
    scn = scenario({"wait_for": "audio", "timeout_s": 60}, {"hangup": True})
    async with scripted_app() as (url, app):
        report = await run(url, scn, max_call_s=0.5)
    assert report.calls[0].ended == "time_limit"
    assert any("time limit" in f for f in report.failures)
    assert app.seen.stops == ["timeout"]


async def test_an_app_ending_the_stream_mid_scenario_fails_unless_it_was_awaited() -> None:
    async with scripted_app(stop_after_ms=400) as (url, _):
        early = await run(url, scenario({"silence": 3}, {"hangup": True}))
        awaited = await run(url, scenario({"wait_for": "stop", "timeout_s": 3}, {"hangup": True}))
    assert early.calls[0].ended == "app_stop"
    assert statuses(early) == ["failed", "skipped"]
    assert any("the app ended the stream" in f for f in early.failures), early.failures
    assert statuses(awaited) == ["passed", "skipped"], awaited.text()
    assert awaited.passed, awaited.text()


def decisions(report: Report) -> list[tuple[int, bool, float]]:
    return [
        (e.data["frame"], e.data["lost"], round(e.data["deliver_ms"] - e.t_ms, 3))
        for e in report.calls[0].log.of("sent")
    ]


async def test_the_same_seed_makes_the_same_impairment_decisions() -> None:
    line = Impairment(loss=0.1, jitter_ms=40, burst=(200, 0.5))
    scn = default_scenario(default_audio(), 1.0)
    async with scripted_app() as (url, app):
        first = await run(url, scn, impairment=line, seed=7, speed=4.0)
        again = await run(url, scn, impairment=line, seed=7, speed=4.0)
        other = await run(url, scn, impairment=line, seed=8, speed=4.0)
    # the hangup falls on a real instant, so a loaded machine may pass a frame more or less;
    # every frame both runs sent got the same decision
    common = min(len(decisions(first)), len(decisions(again)))
    assert common >= 50
    assert decisions(first)[:common] == decisions(again)[:common]
    assert decisions(first)[:common] != decisions(other)[:common]
    lost = sum(lost for _, lost, _ in decisions(first))
    assert 0 < lost < 20  # of about 50 frames at 10 %
    assert first.calls[0].failures == []
    assert first.counts()["frames_lost"] == lost
    # what the app got is exactly what was not lost
    delivered = [sum(not gone for _, gone, _ in decisions(r)) for r in (first, again, other)]
    assert app.seen.media == sum(delivered)


async def test_run_call_alone_returns_the_log() -> None:
    async with scripted_app(greet_ms=300) as (url, _):
        result = await run_call(
            CallOptions(url=url, scenario=scenario({"silence": 0.5}, {"hangup": True}), speed=SPEED)
        )
    kinds = {e.kind for e in result.log.events}
    assert {"start", "sent", "heard", "play_audio", "checkpoint", "played_stream", "end"} <= kinds


async def test_an_l16_stream_with_both_tracks() -> None:
    scn = scenario({"say": "speech:0-1"}, {"expect": "audio", "within_ms": 2000}, {"hangup": True})
    async with scripted_app(reply_ms=400) as (url, app):
        report = await run(
            url, scn, content_type="audio/x-l16;rate=16000", tracks=("inbound", "outbound")
        )
    assert report.passed, report.text()
    sent = list(report.calls[0].log.of("sent"))
    assert {e.data["track"] for e in sent} == {"inbound", "outbound"}
    assert report.calls[0].rate == 16000
    assert app.seen.media == sum(1 for e in sent if e.data["track"] == "inbound")


def test_call_options_are_checked() -> None:
    scn = scenario({"hangup": True})
    with pytest.raises(ValueError, match="content_type 'audio/x-l16;rate=44100'"):
        CallOptions(url="ws://x", scenario=scn, content_type="audio/x-l16;rate=44100")
    with pytest.raises(ValueError, match="speed must be a positive number"):
        CallOptions(url="ws://x", scenario=scn, speed=0)
    with pytest.raises(TypeError, match="scenario must be a Scenario"):
        CallOptions(url="ws://x", scenario="greeting")  # type: ignore[arg-type]
