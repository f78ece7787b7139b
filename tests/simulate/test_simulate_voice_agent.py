"""The bundled barge-in scenario against ``examples/voice_agent.py``, reached through its
answer URL as the platform reaches it, at speed 1 (the agent times its speech on its own
clock)."""

from __future__ import annotations

import logging
import re

import pytest

from audiofork.simulate import CallOptions, Gate, bundled_scenario, default_audio, simulate
from audiofork.simulate.answer import fetch_stream, options_from_stream
from support.app_servers import serve_asgi
from support.examples import load


async def test_the_barge_in_scenario_passes_its_gates(caplog: pytest.LogCaptureFixture) -> None:
    agent = load("voice_agent")
    gates = [Gate("first_audio", 2000), Gate("barge_in", 1000)]
    with caplog.at_level(logging.INFO, logger="voice_agent"):
        async with serve_asgi(agent.app) as base:
            stream = await fetch_stream(base + "/answer")
            template = CallOptions(url=base, scenario=bundled_scenario("barge_in"))
            options = options_from_stream(template, stream)
            report = await simulate(options, audio=default_audio(), gates=gates)
    report_text = report.text()
    assert [s.status for s in report.calls[0].steps] == ["passed"] * 6, report_text
    assert report.passed, report_text
    (barge,) = report.metrics[0].barge_ins  # the reply the caller talked over
    assert barge.reaction_ms is not None and barge.silence_ms is not None
    # what the agent estimated the caller heard of its reply, against what was played
    logged = re.findall(r"the caller heard (\d+) of 7200 ms", caplog.text)
    assert len(logged) == 1, caplog.text
    assert abs(float(logged[0]) - barge.heard_ms) <= 100, (logged, barge)
