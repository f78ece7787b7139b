"""``--answer-url``: each call is placed through an in-process emulator, which fetches the
app's answer, runs its XML and sends its status callbacks, while the simulator plays the
platform's side of the stream the XML starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from audiofork.errors import ArgumentError
from audiofork.simulate import (
    CallOptions,
    Report,
    default_audio,
    default_scenario,
    simulate,
)
from audiofork.simulate.api import simulated_call
from audiofork.simulate.placement import AnswerUrl
from audiofork.vobiz.signature import verify_signature
from audiofork.vobiz.xml import Response, StreamElement
from support.app_servers import serve_aiohttp_app
from support.cli_process import run_cli
from support.simulated_apps import Behaviour, ScriptedApp

TOKEN = "answer-token"


@dataclass
class Heard:
    """What the app's HTTP side got: answer requests and status callbacks (form fields,
    plus ``signed``: whether the signature checked out with :data:`TOKEN`)."""

    answers: list[dict[str, str]] = field(default_factory=list)
    callbacks: list[dict[str, str]] = field(default_factory=list)


async def _form(request: web.Request) -> dict[str, str]:
    form = {k: str(v) for k, v in (await request.post()).items()}
    signature = request.headers.get("X-Vobiz-Signature-V3", "")
    nonce = request.headers.get("X-Vobiz-Signature-V3-Nonce", "")
    form["signed"] = str(verify_signature(str(request.url), nonce, signature, TOKEN))
    return form


@asynccontextmanager
async def answering_app(
    xml: str | None = None,
    status: int = 200,
    *,
    one_way: bool = False,
    keep_call_alive: bool = True,
    callback_status: int = 200,
) -> AsyncIterator[tuple[str, Heard]]:
    """An app with ``/answer`` (its XML streams to its own scripted ``/ws``, which greets
    with a checkpoint and never clears) and ``/status`` (answering ``callback_status``);
    yields the answer URL and what the app heard."""
    heard = Heard()
    app = ScriptedApp(Behaviour(greet_ms=300, clears=False))

    async def answer(request: web.Request) -> web.Response:
        heard.answers.append(await _form(request))
        stream = StreamElement(
            str(request.url.with_scheme("ws").with_path("/ws").with_query(None)),
            bidirectional=not one_way,
            audio_track="both" if one_way else "inbound",
            content_type="audio/x-l16;rate=16000",
            extra_headers="team=qa,run=1",
            keep_call_alive=keep_call_alive and not one_way,
            status_callback_url=str(request.url.with_path("/status").with_query(None)),
        )
        body = xml or Response([stream]).to_xml()
        if one_way:  # a one-way stream does not hold the call: a <Wait> does
            body = body.replace("</Response>", '<Wait length="60"/></Response>')
        return web.Response(text=body, status=status, content_type="application/xml")

    async def callback(request: web.Request) -> web.Response:
        heard.callbacks.append(await _form(request))
        return web.Response(status=callback_status)

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await app.handle(ws)
        return ws

    web_app = web.Application()
    web_app.router.add_post("/answer", answer)
    web_app.router.add_post("/status", callback)
    web_app.router.add_get("/ws", socket)
    async with serve_aiohttp_app(web_app) as base:
        yield base + "/answer", heard


async def placed(answer_url: str, seconds: float = 0.6) -> Report:
    """One call of ``seconds`` (say the audio, hang up) through the emulator, at speed 2."""
    options = CallOptions(
        url=answer_url, scenario=default_scenario(default_audio(), seconds), speed=2.0
    )
    answer = AnswerUrl(answer_url, auth_token=TOKEN)
    return await simulate(options, audio=default_audio(), answer=answer)


async def test_the_call_goes_through_the_emulator_and_its_callbacks_reach_the_app() -> None:
    async with answering_app() as (answer_url, heard):
        report = await placed(answer_url)
    assert report.passed, report.text()
    call = report.calls[0]
    platform = call.placed
    assert platform is not None
    (request,) = heard.answers
    assert request["Event"] == "StartApp" and request["signed"] == "True"
    assert request["CallUUID"] == platform.call_uuid and request["Direction"] == "outbound"
    # the emulator ran the XML: the call ended as the caller hung up, after the stream
    assert (platform.status, platform.hangup_cause, platform.error) == (
        "completed",
        "caller_hangup",
        None,
    )
    assert call.rate == 16000 and report.figures()["first_audio_ms"].n == 1
    # every notice of the simulated stream became a signed callback the app accepted
    events = [c["Event"] for c in heard.callbacks]
    assert events == ["StartStream", "PlayedStream", "StopStream"], heard.callbacks
    assert all(c["signed"] == "True" for c in heard.callbacks)
    assert {c["StreamID"] for c in heard.callbacks} == {call.stream_id}
    assert heard.callbacks[1]["Name"] == "greeting"
    assert heard.callbacks[0]["X-VH-team"] == "qa"  # the stream's extra headers
    assert [(c.event, c.outcome, c.delivered) for c in platform.callbacks] == [
        (event, "HTTP 200", True) for event in events
    ]
    text = report.text()
    assert f"platform call {platform.call_uuid} completed (caller_hangup)" in text
    assert "status callbacks: StartStream HTTP 200, PlayedStream HTTP 200" in text
    assert report.to_json()["calls"][0]["platform"]["hangup_cause"] == "caller_hangup"


async def test_a_one_way_stream_refuses_the_apps_audio() -> None:
    async with answering_app(one_way=True) as (answer_url, _):
        report = await placed(answer_url, 0.4)
    refused = report.counts()["bad_messages"]
    assert list(refused) == ["not_bidirectional"] and refused["not_bidirectional"] >= 2
    sent = report.calls[0].stats.media_sent
    assert set(sent) == {"inbound", "outbound"} and sent["inbound"] == sent["outbound"] > 0
    assert not report.passed


@pytest.mark.parametrize(
    ("xml", "status", "why"),
    [
        (
            '<?xml version="1.0"?><Response><Speak>hi</Speak></Response>',
            200,
            "the answer started no stream that forks the caller's track",
        ),
        ("<Response><Stream>", 200, "is not valid VobizXML"),
        ("oops", 500, "answered HTTP 500"),
    ],
)
async def test_a_bad_answer_fails_the_call_and_says_why(xml: str, status: int, why: str) -> None:
    async with answering_app(xml, status) as (answer_url, heard):
        report = await placed(answer_url)
    assert not report.passed
    assert len(heard.answers) == 1 and heard.callbacks == []
    (failure,) = report.failures
    assert why in failure, failure
    assert {s.status for s in report.calls[0].steps} == {"skipped"}


async def test_a_callback_the_app_refuses_fails_the_call() -> None:
    async with answering_app(callback_status=500) as (answer_url, heard):
        report = await placed(answer_url, 0.4)
    assert not report.passed
    tries = [c["Event"] for c in heard.callbacks]
    assert tries.count("StartStream") == 3 and tries.count("StopStream") == 3
    assert (
        "call 1: the app did not accept the status callback StartStream: HTTP 500 after 3 tries"
        in report.failures
    )
    counts = report.counts()["status_callbacks"]
    assert counts["delivered"] == 0 and counts["refused"] >= 3


async def test_an_answer_that_ends_while_the_stream_runs_fails_the_scenario() -> None:
    async with answering_app(keep_call_alive=False) as (answer_url, _):
        report = await placed(answer_url, 2.0)
    assert not report.passed
    text = "\n".join(report.failures)
    assert "the platform hung up the call at" in text, text
    assert "the platform hung up the call (xml_end)" in text and "keepCallAlive" in text
    assert report.calls[0].placed is not None
    assert report.calls[0].placed.hangup_cause == "xml_end"


async def cli(*args: str) -> tuple[int, str]:
    """``audiofork simulate ARGS``: its exit code and everything it printed."""
    code, out, err = await run_cli("simulate", *args)
    return code, out + err


async def test_the_cli_places_the_call_and_reports_the_platforms_side() -> None:
    async with answering_app() as (answer_url, heard):
        code, text = await cli(
            "--answer-url", answer_url, "--auth-token", TOKEN, "--duration", "0.6",
            "--speed", "2", "--max-first-audio-ms", "60000", "-q",
        )  # fmt: skip
    assert code == 0, text
    assert "placed through the emulator (vobiz dialect)" in text
    assert "completed (caller_hangup); status callbacks: StartStream HTTP 200" in text
    assert "status callbacks 3 accepted, 0 not accepted" in text
    assert "gate first_audio: PASS" in text
    assert all(c["signed"] == "True" for c in heard.callbacks) and len(heard.callbacks) == 3


async def test_the_cli_exits_1_on_a_bad_answer() -> None:
    async with answering_app("oops", 404) as (answer_url, _):
        code, text = await cli("--answer-url", answer_url, "--duration", "0.4", "-q")
    assert code == 1, text
    assert "FAILED call 1: the platform's call failed: answer_failed: POST" in text
    assert "answered HTTP 404" in text


async def test_the_cli_refuses_stream_options_the_apps_stream_sets() -> None:
    """With --answer-url the <Stream> sets the format, tracks and extra headers: giving them
    is refused before any call."""
    code, text = await cli(
        "--answer-url", "http://127.0.0.1:9/answer", "--content-type", "audio/x-l16;rate=16000",
        "--track", "both", "-q",
    )  # fmt: skip
    assert code == 2, text
    assert "--content-type, --track: with --answer-url the app's <Stream> sets" in text


async def test_the_api_refuses_stream_options_the_apps_stream_sets() -> None:
    with pytest.raises(ArgumentError, match=r"^content_type, tracks: with answer_url the app's"):
        await simulated_call(
            answer_url="http://127.0.0.1:9/answer",
            content_type="audio/x-l16;rate=16000",
            tracks=("inbound",),
        )
