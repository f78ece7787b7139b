"""The example FastAPI apps called through their answer URLs, as the platform calls them:
the emulator fetches the answer, runs the XML and sends the signed status callbacks, the
simulator is the caller on the stream. The barge-in scenario against
``examples/voice_agent.py`` runs at speed 1 (the agent times its speech on its own clock)."""

from __future__ import annotations

import logging
import re

import pytest

from audiofork.simulate import (
    CallOptions,
    Gate,
    bundled_scenario,
    default_audio,
    default_scenario,
    simulate,
)
from audiofork.simulate.placement import AnswerUrl
from support.app_servers import serve_asgi
from support.examples import load

TOKEN = "agent-token"


async def test_the_barge_in_scenario_passes_its_gates_through_the_emulator(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", TOKEN)
    agent = load("voice_agent")
    # the agent greets at once and falls silent about 120 ms into a barge-in; the gates
    # leave a loaded machine more than ten times that
    gates = [Gate("first_audio", 2000), Gate("barge_in", 2000)]
    with caplog.at_level(logging.INFO, logger="voice_agent"):
        async with serve_asgi(agent.app) as base:
            answer = AnswerUrl(base + "/answer", auth_token=TOKEN)
            options = CallOptions(url=answer.url, scenario=bundled_scenario("barge_in"))
            report = await simulate(options, audio=default_audio(), gates=gates, answer=answer)
    report_text = report.text()
    call = report.calls[0]
    assert [s.status for s in call.steps] == ["passed"] * 6, report_text
    assert report.passed, report_text
    (barge,) = report.metrics[0].barge_ins  # the reply the caller talked over
    assert barge.reaction_ms is not None and barge.silence_ms is not None
    # what the agent estimated the caller heard of its reply, against what was played
    logged = re.findall(r"the caller heard (\d+) of 7200 ms", caplog.text)
    assert len(logged) == 1, caplog.text
    # both clocks run in real time here: they differ by the loop's lag on either side
    assert abs(float(logged[0]) - barge.heard_ms) <= 300, (logged, barge)
    # the call went through the emulator, and its callbacks reached the agent, verified
    assert call.placed is not None and call.placed.hangup_cause == "caller_hangup"
    events = [c.event for c in call.placed.callbacks]
    assert events[0] == "StartStream" and events[-1] == "StopStream", events
    assert events.count("ClearedAudio") == 2  # the caller talks over the greeting and the reply
    assert all(c.delivered for c in call.placed.callbacks)
    accepted = re.findall(rf"stream {re.escape(call.stream_id)}: \S+", caplog.text)
    assert len(accepted) == len(events), caplog.text


async def test_callbacks_signed_with_another_token_fail_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", TOKEN)
    app = load("fastapi_app")
    async with serve_asgi(app.app) as base:
        answer = AnswerUrl(base + "/answer", auth_token="other")
        options = CallOptions(url=answer.url, scenario=default_scenario(default_audio(), 0.6))
        report = await simulate(options, audio=default_audio(), answer=answer)
    assert not report.passed
    assert (
        "call 1: the app did not accept the status callback StartStream: HTTP 403 after 3 "
        "tries (callbacks are signed with --auth-token: the app must verify with it)"
    ) in report.failures, report.text()


async def test_an_answer_url_the_app_does_not_serve_fails_cleanly() -> None:
    app = load("fastapi_app")
    async with serve_asgi(app.app) as base:
        answer = AnswerUrl(base + "/nowhere")
        options = CallOptions(url=answer.url, scenario=default_scenario(default_audio(), 0.6))
        report = await simulate(options, audio=default_audio(), answer=answer)
    assert not report.passed
    (failure,) = report.failures
    assert "the platform's call failed: answer_failed: POST http://" in failure
    assert "/nowhere answered HTTP 404" in failure or "/nowhere answered HTTP 405" in failure
