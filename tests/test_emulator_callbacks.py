"""Status callbacks received by a real aiohttp server, their signatures checked with ``hmac``
directly (not audiofork's verifier), their fields, retries and failures."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from audiofork.emulator import Emulator, EmulatorConfig, RetrySchedule
from emulator_platform_apps import (
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
