"""Status callbacks received by a real aiohttp server, their signatures checked with ``hmac``
directly (not audiofork's verifier), their fields, retries and failures."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web

from audiofork.emulator import Emulator, EmulatorConfig, RetrySchedule
from audiofork.emulator.callbacks import (
    MAX_CALLBACK_BYTES,
    MAX_PENDING_BYTES_PER_KEY,
    MAX_PENDING_PER_KEY,
    CallbackSender,
)
from support.app_servers import serve_aiohttp_app
from support.emulator_platform_apps import (
    ACCOUNT,
    AUTH,
    TOKEN,
    Hit,
    VoiceApp,
    http_client,
    started_emulator,
    within,
)

FAST_RETRY = RetrySchedule(attempts=3, backoff_s=0.01, timeout_s=2.0)


def expected_signature(url: str, nonce: str, dot: str = ".") -> str:
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    digest = hmac.new(TOKEN.encode(), f"{base}{dot}{nonce}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def assert_signed(hit: Hit) -> None:
    headers = {k.lower(): v for k, v in hit.headers.items()}
    nonce = headers["x-vobiz-signature-v3-nonce"]
    assert nonce and hmac.compare_digest(
        headers["x-vobiz-signature-v3"], expected_signature(hit.url, nonce)
    )
    nonce2 = headers["x-vobiz-signature-v2-nonce"]
    assert hmac.compare_digest(
        headers["x-vobiz-signature-v2"], expected_signature(hit.url, nonce2, "")
    )


@contextlib.asynccontextmanager
async def call_with_stream(
    app: VoiceApp, method: str, *, attributes: str = ""
) -> AsyncIterator[Emulator]:
    """An emulator with a call streaming to the app, callbacks to /status?q=1."""
    callback = app.url + "/status?q=1"
    app.xml = (
        f'<Response><Stream bidirectional="true" keepCallAlive="true" extraHeaders="tenant=acme"'
        f' statusCallbackUrl="{callback.replace("&", "&amp;")}"'
        f' statusCallbackMethod="{method}"{attributes}>{app.ws_url}</Stream></Response>'
    )
    config = EmulatorConfig(
        {ACCOUNT: TOKEN}, speed=20, caller_audio="silence", callback_retry=FAST_RETRY
    )
    async with started_emulator(config) as emulator:
        async with http_client(headers=AUTH) as http:
            body = {"from": "+911", "to": "+912", "answer_url": app.url + "/answer"}
            url = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
            async with http.post(url, json=body) as reply:
                assert reply.status == 201
        yield emulator


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_stream_events_reach_the_callback_signed_with_every_field(
    app: VoiceApp, method: str
) -> None:
    app.on_start = [
        {"event": "checkpoint", "name": "greeting"},
        {"event": "clearAudio"},
        {"event": "stop"},
    ]
    async with call_with_stream(app, method) as emulator:
        await app.wait_for(lambda: app.events("StopStream"))
    events = [hit.fields["Event"] for hit in app.callbacks]
    assert events == ["StartStream", "PlayedStream", "ClearedAudio", "StopStream"]
    (call,) = emulator.exchange.calls.values()
    stream_id = call.forks[0].stream_id
    for hit in app.callbacks:
        assert hit.method == method
        assert_signed(hit)
        assert urlsplit(hit.url).path == "/status" and "q=1" in urlsplit(hit.url).query
        f = hit.fields
        assert (f["From"], f["To"], f["CallUUID"]) == ("+911", "+912", call.uuid)
        assert (f["StreamID"], f["ParentAuthID"], f["Error"]) == (stream_id, ACCOUNT, "")
        assert f["status_callback_url"] == app.url + "/status?q=1"
        assert f["status_callback_method"] == method
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", f["Timestamp"])
        assert f["X-VH-tenant"] == "acme" and f["extraHeaders"] == "tenant=acme"
        assert (f["bidirectional"], f["audioTrack"], f["keepCallAlive"]) == (
            "true",
            "inbound",
            "true",
        )
        assert (f["streamTimeout"], f["contentType"]) == ("86400", "audio/x-l16;rate=8000")
        assert f["statusCallbackUrl"] == f["status_callback_url"]
        assert f["statusCallbackMethod"] == method
    start, played = app.callbacks[0].fields, app.callbacks[1].fields
    assert start["ServiceURL"] == app.ws_url and "ServiceURL" not in played
    assert played["Name"] == "greeting" and "Name" not in start


async def test_an_app_closing_the_socket_gives_dropped_stream(app: VoiceApp) -> None:
    app.close_after_media = 5
    async with call_with_stream(app, "POST"):
        await app.wait_for(lambda: app.events("DroppedStream"))
    assert [hit.fields["Event"] for hit in app.callbacks] == ["StartStream", "DroppedStream"]
    assert_signed(app.callbacks[1])


async def test_a_failing_callback_is_retried(app: VoiceApp) -> None:
    app.callback_statuses = [500, 503]
    app.on_start = [{"event": "stop"}]
    async with call_with_stream(app, "POST") as emulator:
        await app.wait_for(lambda: app.events("StopStream"))
        sender = emulator.exchange.services.callbacks
        await within(sender.flush(10))
        # StartStream was answered 500 and 503, then delivered; order is kept.
        assert [hit.fields["Event"] for hit in app.callbacks] == ["StartStream"] * 3 + [
            "StopStream"
        ]
        assert (sender.delivered, sender.failed) == (2, 0)


async def test_an_unreachable_callback_never_blocks_the_call(app: VoiceApp) -> None:
    app.stop_after_media = 10
    app.xml = (
        '<Response><Stream bidirectional="true" keepCallAlive="true"'
        f' statusCallbackUrl="http://127.0.0.1:9/status">{app.ws_url}</Stream><Hangup/></Response>'
    )
    config = EmulatorConfig(
        {ACCOUNT: TOKEN}, speed=20, caller_audio="silence", callback_retry=FAST_RETRY
    )
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as reply:
            call = emulator.exchange.calls[(await reply.json())["call_uuid"]]
        await within(call.finished())
        assert call.hangup_cause == "xml_hangup"
        sender = emulator.exchange.services.callbacks
        await within(sender.flush(10))
        assert (sender.delivered, sender.failed) == (0, 2)


async def test_callbacks_backing_up_are_bounded_per_stream() -> None:
    """A callback server that never answers while a stream floods events: at most
    ``MAX_PENDING_PER_KEY`` wait per stream, the rest are dropped and counted."""
    release = asyncio.Event()
    hits = 0

    async def hold(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        await release.wait()
        return web.Response()

    async with callback_server(hold) as url, http_client() as http:
        sender = CallbackSender(http, RetrySchedule(attempts=1, timeout_s=30.0))
        for n in range(MAX_PENDING_PER_KEY + 50):
            sender.send(url, "POST", {"Event": "ClearedAudio", "n": str(n)}, TOKEN, order_key="a")
        sender.send(url, "POST", {"Event": "StartStream"}, TOKEN, order_key="b")
        assert sender.pending == MAX_PENDING_PER_KEY + 1
        assert sender.dropped == 50
        while hits < 2:  # one in flight per stream
            await within(asyncio.sleep(0.01))
        release.set()
        await within(sender.flush(20))
        assert (sender.delivered, sender.pending) == (MAX_PENDING_PER_KEY + 1, 0)
        sender.send(url, "POST", {"Event": "StopStream"}, TOKEN, order_key="a")
        await within(sender.flush(20))
        assert (sender.delivered, sender.dropped) == (MAX_PENDING_PER_KEY + 2, 50)


@contextlib.asynccontextmanager
async def callback_server(handler: Any) -> AsyncIterator[str]:
    """A loopback aiohttp server answering POST /status with ``handler``; its URL."""
    server = web.Application()
    server.router.add_post("/status", handler)
    async with serve_aiohttp_app(server) as base:
        yield f"{base}/status"


async def test_a_long_callback_reply_is_not_read_to_its_end() -> None:
    """Only the status of a reply matters: of a 64 MiB body the emulator reads at most
    ``MAX_REPLY_BYTES`` and closes the connection, so the server cannot send it all."""
    total = 64 << 20
    sent: list[int] = []

    async def long_reply(request: web.Request) -> web.StreamResponse:
        if request.query.get("short"):
            return web.Response(text="ok")
        reply = web.StreamResponse(headers={"Content-Length": str(total)})
        await reply.prepare(request)
        written = 0
        try:
            while written < total:
                await reply.write(b"x" * (1 << 20))
                written += 1 << 20
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            pass
        sent.append(written)
        return reply

    async with callback_server(long_reply) as url, http_client() as http:
        sender = CallbackSender(http, RetrySchedule(attempts=1, timeout_s=20.0))
        sender.send(url + "?short=1", "POST", {"Event": "StartStream"}, TOKEN, order_key="a")
        sender.send(url, "POST", {"Event": "StopStream"}, TOKEN, order_key="a")
        await within(sender.flush(20))
        assert (sender.delivered, sender.failed, sender.replies_cut) == (2, 0, 1)

        async def server_done() -> None:
            while not sent:
                await asyncio.sleep(0.01)

        await within(server_done())
    assert sent[0] < total


async def test_a_callback_larger_than_a_receiver_reads_is_refused_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response()

    async with callback_server(ok) as url, http_client() as http:
        sender = CallbackSender(http, FAST_RETRY)
        for _ in range(3):
            sender.send(
                url,
                "POST",
                {"Event": "PlayedStream", "Name": "n" * MAX_CALLBACK_BYTES},
                TOKEN,
                order_key="a",
            )
        sender.send(url, "POST", {"Event": "StopStream"}, TOKEN, order_key="a")
        assert (sender.refused, sender.pending) == (3, 1)
        await within(sender.flush(10))
        assert sender.delivered == 1
    refusals = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert len(refusals) == 3 and all(len(r.getMessage()) < 300 for r in refusals)


async def test_callbacks_waiting_are_bounded_in_bytes_per_stream() -> None:
    release = asyncio.Event()

    async def hold(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    name = "n" * (MAX_CALLBACK_BYTES // 2)
    sent = 2 * MAX_PENDING_BYTES_PER_KEY // len(name)  # twice what may wait
    async with callback_server(hold) as url, http_client() as http:
        sender = CallbackSender(http, RetrySchedule(attempts=1, timeout_s=30.0))
        for _ in range(sent):
            sender.send(url, "POST", {"Event": "PlayedStream", "Name": name}, TOKEN, order_key="a")
        waiting = sender.pending
        assert sender.dropped == sent - waiting > 0
        # Full to within one callback, never past the bound.
        assert MAX_PENDING_BYTES_PER_KEY - 2 * len(name) < sender.pending_bytes
        assert sender.pending_bytes <= MAX_PENDING_BYTES_PER_KEY
        sender.send(url, "POST", {"Event": "StartStream"}, TOKEN, order_key="b")
        assert sender.pending == waiting + 1  # another stream's callbacks still wait
        release.set()
        await within(sender.flush(20))
        assert sender.pending_bytes == 0 and sender.delivered == waiting + 1


def emulator_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "audiofork.emulator"]


async def test_a_checkpoint_flood_is_summarised_and_every_callback_counted(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    """50,000 checkpoints in a burst: a few log lines and summaries with counts, not 50,000
    lines; every PlayedStream callback is delivered or counted as dropped."""
    caplog.set_level(logging.INFO, "audiofork.emulator")
    checkpoints = 50_000
    app.on_start = [{"event": "checkpoint", "name": f"cp{n}"} for n in range(checkpoints)]
    app.stop_after_media = 5
    async with call_with_stream(app, "POST") as emulator:
        await app.wait_for(lambda: app.events("StopStream"), 120)
        sender = emulator.exchange.services.callbacks
        await within(sender.flush(60), 90)
        (call,) = emulator.exchange.calls.values()
        stats = call.forks[0].runner.stats
    assert stats.checkpoints_acknowledged > 1000
    assert sender.delivered == len(app.callbacks)
    assert sender.dropped > 0 and sender.failed == sender.refused == 0
    # Every callback the stream asked for (StartStream, each PlayedStream, StopStream, any
    # DegradedStream) was delivered or counted as dropped.
    assert len(app.callbacks) + sender.dropped >= stats.checkpoints_acknowledged + 2
    lines = emulator_lines(caplog)
    assert len(lines) < 500, len(lines)
    summaries = [line for line in lines if "more like this" in line]
    assert any("PlayedStream" in line for line in summaries), summaries
    one_by_one = sum(bool(re.search(r"dropped: \d+ callbacks", line)) for line in lines)
    summed = sum(
        int(found[1])
        for line in summaries
        if (found := re.search(r"dropped: (\d+) more like this", line))
    )
    logged_drops = one_by_one + summed
    assert logged_drops == sender.dropped


async def test_a_huge_checkpoint_name_is_clipped_in_the_log(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "audiofork.emulator")
    name = "n" * 1_000_000
    app.on_start = [{"event": "checkpoint", "name": name}, {"event": "stop"}]
    async with call_with_stream(app, "POST") as emulator:
        await app.wait_for(lambda: app.events("StopStream"))
        sender = emulator.exchange.services.callbacks
        await within(sender.flush(10))
    assert sender.refused == 1  # the PlayedStream callback: over what a receiver reads
    assert [hit.fields["Event"] for hit in app.callbacks] == ["StartStream", "StopStream"]
    lines = emulator_lines(caplog)
    assert any("PlayedStream" in line and "(1000002 characters)" in line for line in lines)
    assert max(map(len, lines)) < 1000
