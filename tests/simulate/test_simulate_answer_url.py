"""``--answer-url``: the app's VobizXML is fetched as the platform does, and its ``<Stream>``
decides what is opened."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from audiofork.errors import ValidationError
from audiofork.simulate import CallOptions, default_audio, default_scenario, simulate
from audiofork.simulate.answer import fetch_stream, options_from_stream
from audiofork.vobiz.signature import verify_signature
from audiofork.vobiz.xml import Response, StreamElement
from support.app_servers import serve_aiohttp_app
from support.echo_process import ENV
from support.simulated_apps import Behaviour, ScriptedApp

TOKEN = "answer-token"


@asynccontextmanager
async def answering_app(
    xml: str | None = None, status: int = 200, *, one_way: bool = False
) -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """An app with ``/answer`` (its XML streams to its own ``/ws``) and a scripted ``/ws``;
    yields the answer URL and the requests it got."""
    requests: list[dict[str, str]] = []
    app = ScriptedApp(Behaviour(greet_ms=300))

    async def answer(request: web.Request) -> web.Response:
        form = dict(await request.post())
        signature = request.headers.get("X-Vobiz-Signature-V3", "")
        nonce = request.headers.get("X-Vobiz-Signature-V3-Nonce", "")
        form["signed"] = str(verify_signature(str(request.url), nonce, signature, TOKEN))
        requests.append({k: str(v) for k, v in form.items()})
        ws_url = str(request.url.with_scheme("ws").with_path("/ws").with_query(None))
        stream = StreamElement(
            ws_url,
            bidirectional=not one_way,
            audio_track="both" if one_way else "inbound",
            content_type="audio/x-l16;rate=16000",
            extra_headers="team=qa,run=1",
        )
        body = xml or Response([stream]).to_xml()
        return web.Response(text=body, status=status, content_type="application/xml")

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await app.handle(ws)
        return ws

    web_app = web.Application()
    web_app.router.add_post("/answer", answer)
    web_app.router.add_get("/ws", socket)
    async with serve_aiohttp_app(web_app) as base:
        yield base + "/answer", requests


async def test_the_stream_named_by_the_answer_is_opened_with_its_attributes() -> None:
    async with answering_app() as (answer_url, requests):
        stream = await fetch_stream(answer_url, auth_token=TOKEN)
        template = CallOptions(
            url=answer_url, scenario=default_scenario(default_audio(), 0.6), speed=2.0
        )
        options = options_from_stream(template, stream)
        report = await simulate(options, audio=default_audio())
    assert requests[0]["Event"] == "StartApp" and requests[0]["CallStatus"] == "in-progress"
    assert requests[0]["signed"] == "True"
    assert options.url.endswith("/ws") and options.content_type == "audio/x-l16;rate=16000"
    assert options.tracks == ("inbound",) and options.bidirectional
    assert options.extra_headers == {"team": "qa", "run": "1"}
    assert report.passed, report.text()
    assert report.calls[0].rate == 16000
    assert report.figures()["first_audio_ms"].n == 1  # the app's greeting


async def test_a_one_way_stream_refuses_the_apps_audio() -> None:
    async with answering_app(one_way=True) as (answer_url, _):
        stream = await fetch_stream(answer_url)
        template = CallOptions(url=answer_url, scenario=default_scenario(default_audio(), 0.4))
        options = options_from_stream(template, stream)
        report = await simulate(options, audio=default_audio())
    assert options.tracks == ("inbound", "outbound") and not options.bidirectional
    refused = report.counts()["bad_messages"]
    assert list(refused) == ["not_bidirectional"] and refused["not_bidirectional"] >= 2
    assert not report.passed


@pytest.mark.parametrize(
    ("xml", "status", "why"),
    [
        ('<?xml version="1.0"?><Response><Speak>hi</Speak></Response>', 200, "has no <Stream>"),
        ("<Response><Stream>", 200, "not valid VobizXML"),
        ("oops", 500, "HTTP 500"),
    ],
)
async def test_an_answer_without_a_usable_stream_is_refused(
    xml: str, status: int, why: str
) -> None:
    async with answering_app(xml, status) as (answer_url, _):
        with pytest.raises(ValidationError, match=why):
            await fetch_stream(answer_url)


async def test_the_cli_follows_the_answer_url() -> None:
    async with answering_app() as (answer_url, requests):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "audiofork.cli", "simulate", "--answer-url", answer_url,
            "--duration", "0.6", "--speed", "2", "--max-first-audio-ms", "60000", "-q",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=ENV,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 120)
    text = out.decode()
    assert process.returncode == 0, text + err.decode()
    assert "<Stream> ws://" in text and "audio/x-l16;rate=16000" in text
    assert "gate first_audio: PASS" in text
    assert len(requests) == 1 and requests[0]["signed"] == "False"  # no --auth-token
