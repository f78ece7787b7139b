"""``--dialect``: the simulator plays a Plivo or Twilio platform, every step and figure as in
Vobiz's, against the example apps speaking that dialect; with an answer URL the emulator
runs the Twilio app's TwiML."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web

from audiofork.cli import main
from audiofork.simulate import (
    CallOptions,
    Gate,
    Report,
    bundled_scenario,
    default_audio,
    default_scenario,
    simulate,
)
from audiofork.simulate.placement import AnswerUrl
from support.app_servers import serve_aiohttp_app, serve_asgi
from support.echo_process import echo_bot
from support.examples import load

#: Every step kind but barge-in (the echo bot never clears; the voice agent test has it).
TOUR = """
name = "dialect-tour"

[[steps]]
say = "speech:0-2.0"

[[steps]]
wait_for = "quiet"      # the echo has played out
quiet_ms = 600
timeout_s = 30

[[steps]]
dtmf = "1#"

[[steps]]
expect = "playAudio"    # the echo of the line's silence goes on
within_ms = 2000

[[steps]]
wait_for = "checkpoint" # one a second of echoed audio
timeout_s = 10

[[steps]]
wait_for = "playedStream"
timeout_s = 10

[[steps]]
silence = 0.2

[[steps]]
stop_stream = true
"""


@pytest.fixture(scope="module", params=["twilio", "plivo"])
def dialect_echo(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The echo bot speaking one dialect only: the dialect and its ``ws://`` URL."""
    with echo_bot("--dialect", request.param) as url:
        yield request.param, url


async def test_every_step_and_figure_works_in_the_dialect(
    dialect_echo: tuple[str, str],
    simulated_call: Callable[..., Awaitable[Report]],
    tmp_path: Path,
) -> None:
    dialect, url = dialect_echo
    (tmp_path / "tour.toml").write_text(TOUR)
    content_type = "audio/x-l16;rate=16000" if dialect == "plivo" else "audio/x-mulaw;rate=8000"
    report = await simulated_call(
        url,
        scenario=tmp_path / "tour.toml",
        dialect=dialect,
        content_type=content_type,
        speed=2.0,
        max_first_audio_ms=5000,
    )
    call = report.calls[0]
    assert [s.status for s in call.steps] == ["passed"] * 8, report.text()
    assert report.passed, report.text()
    assert call.ended == "api_stop"
    figures = report.figures()
    assert figures["first_audio_ms"].n == 1
    assert figures["checkpoint_turnaround_ms"].n >= 2
    counts = report.counts()
    assert counts["frames_lost"] == 0 and counts["bad_messages"] == {}
    assert counts["formats"].keys() == {content_type}
    assert [e.data["digit"] for e in call.log.of("dtmf")] == ["1", "#"]
    assert report.run["dialect"] == dialect


async def test_a_twilio_barge_in_passes_its_gates() -> None:
    """The voice agent's socket detects the dialect: Twilio's ``clear`` is the barge-in."""
    agent = load("voice_agent")
    gates = [Gate("first_audio", 2000), Gate("barge_in", 2000)]
    async with serve_asgi(agent.app) as base:
        options = CallOptions(
            url=base.replace("http://", "ws://") + "/ws",
            scenario=bundled_scenario("barge_in"),
            dialect="twilio",
        )
        report = await simulate(options, audio=default_audio(), gates=gates)
    assert report.passed, report.text()
    assert [s.status for s in report.calls[0].steps] == ["passed"] * 6, report.text()
    (barge,) = report.metrics[0].barge_ins
    assert barge.reaction_ms is not None and barge.silence_ms is not None


async def test_marks_twilio_echoes_at_a_clear_are_not_counted_as_played() -> None:
    """An app plays 2 s with a mark after it and clears 200 ms in: the mark comes back at
    once, unplayed, and is no checkpoint turnaround."""

    async def app(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid, frames = "", 0
        async for message in ws:
            data = json.loads(message.data)
            if data["event"] == "start":
                sid = data["streamSid"]
                loud = np.tile(np.array([0x10, 0x90], np.uint8), 8000)  # 2 s, loud mu-law
                payload = base64.b64encode(loud.tobytes()).decode()
                await ws.send_json(
                    {"event": "media", "streamSid": sid, "media": {"payload": payload}}
                )
                await ws.send_json({"event": "mark", "streamSid": sid, "mark": {"name": "reply"}})
            elif data["event"] == "media":
                frames += 1
                if frames == 10:
                    await ws.send_json({"event": "clear", "streamSid": sid})
        return ws

    web_app = web.Application()
    web_app.router.add_get("/ws", app)
    async with serve_aiohttp_app(web_app) as base:
        options = CallOptions(
            url=base.replace("http://", "ws://") + "/ws",
            scenario=default_scenario(default_audio(), 0.6),
            dialect="twilio",
            speed=2.0,
        )
        report = await simulate(options, audio=default_audio())
    assert report.passed, report.text()
    log = report.calls[0].log
    (clear,) = log.of("clear")
    (echoed,) = log.of("played_stream")
    assert echoed.data == {"name": "reply", "cleared": True}
    assert log.events.index(echoed) == log.events.index(clear) + 1  # answered by the clear
    assert report.figures()["checkpoint_turnaround_ms"].n == 0
    assert report.metrics[0].checkpoints_unanswered == 0


async def test_a_twilio_call_through_the_emulator_runs_the_twiml() -> None:
    with echo_bot("--dialect", "twilio") as ws_url:
        twiml = (
            '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
            f'<Stream url="{ws_url}"><Parameter name="team" value="qa"/></Stream>'
            "</Connect></Response>"
        )

        async def answer(request: web.Request) -> web.Response:
            return web.Response(text=twiml, content_type="application/xml")

        app = web.Application()
        app.router.add_post("/twiml", answer)
        async with serve_aiohttp_app(app) as base:
            answer_url = AnswerUrl(base + "/twiml")
            options = CallOptions(
                url=answer_url.url,
                scenario=default_scenario(default_audio(), 1.0),
                dialect="twilio",
                speed=2.0,
            )
            report = await simulate(options, audio=default_audio(), answer=answer_url)
    assert report.passed, report.text()
    call = report.calls[0]
    assert call.placed is not None and call.placed.hangup_cause == "caller_hangup"
    assert call.placed.callback_url is None  # TwiML's <Stream> names none
    assert report.figures()["first_audio_ms"].n == 1  # the echo came back
    (start,) = call.log.of("start")
    assert start.data["content_type"] == "audio/x-mulaw;rate=8000"


def test_twilio_refuses_another_content_type(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["simulate", "ws://127.0.0.1:9/ws", "--dialect", "twilio",
         "--content-type", "audio/x-l16;rate=16000"]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "content_type 'audio/x-l16;rate=16000': Twilio streams are audio/x-mulaw" in err
